import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { callsTo, json, mockFetch, problem, renderApp } from "../../../test/utils";
import { OrderEntryPanel } from "./OrderEntryPanel";
import type { Book } from "./types";

const book: Book = {
  instrument: "EUA-EUR",
  sequence: 7,
  bids: [{ price: "70.40", quantity: 50, orders: 1 }],
  asks: [
    { price: "70.80", quantity: 10, orders: 1 },
    { price: "71.00", quantity: 5, orders: 1 },
  ],
} as Book;

const order = (over: Record<string, unknown>) => ({
  id: "0190a0a0-0000-7000-8000-0000000000f1",
  instrument: "EUA-EUR",
  certificate_type: "EUA",
  order_type: "BUY",
  order_kind: "LIMIT",
  quantity: 10,
  price: "70.50",
  time_in_force: "FOK",
  post_only: false,
  status: "OPEN",
  filled_quantity: 0,
  average_fill_price: null,
  fills: [],
  created_at: "2026-03-02T10:00:00Z",
  ...over,
});

function routes(place: Parameters<typeof mockFetch>[0][string]) {
  return mockFetch({
    "GET /api/v1/fees": () => json([{ instrument: "EUA-EUR", maker_fee_bps: 5, taker_fee_bps: 8, negotiated: true }]),
    "GET /api/v1/orders/my-orders": () => json({ items: [], next_cursor: null }),
    "POST /api/v1/orders/place": place,
  });
}

function panel() {
  renderApp(
    <OrderEntryPanel symbol="EUA-EUR" instrument={undefined} book={book} available={{ quote: "20000.00", base: "300" }} canTrade pickedPrice={null} />,
  );
}

describe("OrderEntryPanel", () => {
  it("checks price and quantity before a preview", async () => {
    const user = userEvent.setup();
    const f = routes(() => json(order({}), 201));
    panel();
    const preview = screen.getByRole("button", { name: "Preview buy order" });
    expect(preview).toBeDisabled();
    await user.type(screen.getByLabelText("Price (EUR)"), "70.123");
    await user.type(screen.getByLabelText("Quantity (EUA)"), "1.5");
    expect(screen.getByText("Up to 2 decimals")).toBeInTheDocument();
    expect(screen.getByText("Whole units only")).toBeInTheDocument();
    expect(preview).toBeDisabled();
    expect(callsTo(f, "POST /api/v1/orders/place")).toHaveLength(0);
  });

  it("warns, without blocking, when the order needs more than the available balance", async () => {
    const user = userEvent.setup();
    routes(() => json(order({}), 201));
    panel(); // 20,000.00 EUR and 300 EUA available
    const warning = /More than your available/;
    await user.type(screen.getByLabelText("Price (EUR)"), "70.00");
    await user.type(screen.getByLabelText("Quantity (EUA)"), "285"); // 19,950.00 + 15.96 fee
    expect(screen.queryByText(warning)).not.toBeInTheDocument();
    await user.clear(screen.getByLabelText("Quantity (EUA)"));
    await user.type(screen.getByLabelText("Quantity (EUA)"), "286"); // 20,020.00 + fee
    expect(screen.getByText(warning)).toHaveTextContent("More than your available EUR");
    expect(screen.getByRole("button", { name: "Preview buy order" })).toBeEnabled();
    await user.click(screen.getByRole("button", { name: "Sell" }));
    expect(screen.queryByText(warning)).not.toBeInTheDocument(); // 286 of 300 EUA
    await user.clear(screen.getByLabelText("Quantity (EUA)"));
    await user.type(screen.getByLabelText("Quantity (EUA)"), "301");
    expect(screen.getByText(warning)).toHaveTextContent("More than your available EUA");
  });

  it("sends the chosen time in force, after a confirmation with the estimate and the client's fee", async () => {
    const user = userEvent.setup();
    const f = routes(() => json(order({}), 201));
    panel();
    expect(await screen.findByText(/8 bps, your rate/)).toBeInTheDocument();
    await user.type(screen.getByLabelText("Price (EUR)"), "70.50");
    await user.type(screen.getByLabelText("Quantity (EUA)"), "10");
    await user.selectOptions(screen.getByLabelText("Time in force"), "FOK");
    // Post-only is for an order that rests: not with FOK.
    expect(screen.getByRole("checkbox", { name: /Post-only/ })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Preview buy order" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm buy order" });
    expect(dialog).toHaveTextContent("FOK");
    expect(dialog).toHaveTextContent("705.00 EUR"); // 10 x 70.50
    expect(dialog).toHaveTextContent("0.57 EUR"); // 8 bps of 705.00, rounded up to the cent
    await user.click(within(dialog).getByRole("button", { name: "Place buy order" }));
    expect(await screen.findByText("Buy 10 EUA placed")).toBeInTheDocument();
    const body = await callsTo(f, "POST /api/v1/orders/place")[0]!.json();
    expect(body).toMatchObject({ instrument: "EUA-EUR", order_type: "BUY", order_kind: "LIMIT", quantity: 10, price: "70.50", time_in_force: "FOK", post_only: false });
  });

  it("confirms a market order as what it is: immediate or cancel, never post-only", async () => {
    const user = userEvent.setup();
    const f = routes(() => json(order({ order_kind: "MARKET", quantity: 12, price: null, time_in_force: "IOC", status: "FILLED", filled_quantity: 12, average_fill_price: "70.83" }), 201));
    panel();
    await user.type(screen.getByLabelText("Price (EUR)"), "70.50");
    await user.click(screen.getByRole("checkbox", { name: /Post-only/ }));
    await user.click(screen.getByRole("radio", { name: "Market" }));
    await user.type(screen.getByLabelText("Quantity (EUA)"), "12");
    await user.click(screen.getByRole("button", { name: "Preview buy order" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm buy order" });
    expect(dialog).toHaveTextContent("IOC");
    expect(dialog).not.toHaveTextContent("post-only");
    expect(dialog).toHaveTextContent("850.00 EUR"); // 10 x 70.80 + 2 x 71.00, from the book
    await user.click(within(dialog).getByRole("button", { name: "Place buy order" }));
    expect(await screen.findByText("Buy 12 EUA filled")).toBeInTheDocument();
    const body = await callsTo(f, "POST /api/v1/orders/place")[0]!.json();
    expect(body).toMatchObject({ order_kind: "MARKET", price: null, time_in_force: "IOC", post_only: false });
  });

  it("keeps the confirmation open with the venue's refusal", async () => {
    const user = userEvent.setup();
    routes(() => problem(422, "insufficient_funds", { detail: "Not enough EUR available for this order." }));
    panel();
    await user.type(screen.getByLabelText("Price (EUR)"), "70.50");
    await user.type(screen.getByLabelText("Quantity (EUA)"), "10");
    await user.click(screen.getByRole("button", { name: "Preview buy order" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm buy order" });
    await user.click(within(dialog).getByRole("button", { name: "Place buy order" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent(/enough/i);
    expect(screen.getByLabelText("Quantity (EUA)")).toHaveValue("10");
  });
});
