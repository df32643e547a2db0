import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../../App";
import type { User } from "../../../api/types";
import { FakeSocket } from "../../../test/fakeSocket";
import { callsTo, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../../test/utils";
import type { AdminInstrument, StaffOrder, StaffTrade } from "./shared";

const NORDIC = "0190a0a0-0000-7000-8000-0000000000e1";
const RHINE = "0190a0a0-0000-7000-8000-0000000000e2";

const eua: AdminInstrument = {
  symbol: "EUA-EUR",
  name: "EU Allowance",
  base_asset: "EUA",
  quote_asset: "EUR",
  tick_size: "0.01",
  lot_size: 1,
  min_quantity: 1,
  max_quantity: 100000,
  price_band_percent: "10.00",
  band_low: "65.16",
  band_high: "79.64",
  reference_price: "72.40",
  last_price: "72.40",
  maker_fee_bps: 5,
  taker_fee_bps: 10,
  fees_from_config: true,
  status: "OPEN",
  status_reason: null,
  sequence: 41,
  updated_at: "2025-03-02T10:00:00Z",
};
const cea: AdminInstrument = { ...eua, symbol: "CEA-EUR", name: "China Emission Allowance", base_asset: "CEA", reference_price: "12.65", last_price: "12.65" };

function overview(e: AdminInstrument = eua) {
  return { instruments: [{ instrument: cea, open_buy_quantity: 0, open_sell_quantity: 0 }, { instrument: e, open_buy_quantity: 40, open_sell_quantity: 25 }] };
}

const order: StaffOrder = {
  id: "0190a0a0-0000-7000-8000-0000000000a1",
  instrument: "EUA-EUR",
  certificate_type: "EUA",
  client_order_id: null,
  order_type: "SELL",
  order_kind: "LIMIT",
  time_in_force: "GTC",
  post_only: false,
  price: "72.50",
  quantity: 25,
  filled_quantity: 5,
  remaining_quantity: 20,
  average_fill_price: "72.5000",
  filled_amount: "362.50",
  fees: "0.18",
  reserved_asset: "EUA",
  reserved_remaining: "20",
  status: "PARTIALLY_FILLED",
  reason: null,
  reason_detail: null,
  created_at: "2025-03-02T09:00:00Z",
  updated_at: "2025-03-02T09:30:00Z",
  fills: [],
  entity_id: NORDIC,
  entity_name: "Nordic Steel AB",
  user_id: null,
};

const trade: StaffTrade = {
  id: "0190a0a0-0000-7000-8000-0000000000b1",
  instrument: "EUA-EUR",
  sequence: 40,
  price: "72.50",
  quantity: 5,
  amount: "362.50",
  buy_order_id: "0190a0a0-0000-7000-8000-0000000000a2",
  sell_order_id: order.id,
  buyer_entity_id: RHINE,
  seller_entity_id: NORDIC,
  buyer_entity_name: "Rhine Chemicals GmbH",
  seller_entity_name: "Nordic Steel AB",
  maker_side: "SELL",
  buyer_fee: "0.37",
  seller_fee: "0.18",
  status: "CONFIRMED",
  confirmed_by: null,
  confirmed_at: null,
  settlement_batch_id: null,
  created_at: "2025-03-02T09:30:00Z",
};

const book = {
  instrument: "EUA-EUR",
  sequence: 41,
  bids: [{ price: "72.30", quantity: 40, orders: 2 }],
  asks: [{ price: "72.50", quantity: 20, orders: 1 }],
};

const ticker = {
  instrument: "EUA-EUR",
  certificate_type: "EUA",
  status: "OPEN",
  sequence: 41,
  last: "72.40",
  bid: "72.30",
  ask: "72.50",
  open_24h: null,
  high_24h: null,
  low_24h: null,
  change_24h: null,
  change_24h_percent: null,
  volume_24h: 1250,
  amount_24h: "90500.00",
  trades_24h: 12,
  last_trade_at: null,
};

function base(extra: Parameters<typeof mockFetch>[0] = {}, who: User = staffUser) {
  return mockFetch({
    "POST /api/v1/auth/refresh": () => json(tokenFor(who)),
    "GET /api/v1/admin/market/overview": () => json(overview()),
    "GET /api/v1/market/EUA-EUR/book": () => json(book),
    "GET /api/v1/market/EUA-EUR/ticker": () => json(ticker),
    "GET /api/v1/admin/orders": () => json({ items: [order], next_cursor: null }),
    "GET /api/v1/admin/trades": () => json({ items: [trade], next_cursor: null }),
    "GET /api/v1/admin/entities": () =>
      json({ items: [{ id: NORDIC, legal_name: "Nordic Steel AB" }, { id: RHINE, legal_name: "Rhine Chemicals GmbH" }], next_cursor: null }),
    ...extra,
  });
}

async function openPage(route = "/admin/market") {
  renderApp(<AppRoutes />, { route });
  const table = await screen.findByRole("table", { name: "Open orders on EUA-EUR" }, { timeout: 15_000 });
  await within(table).findByText("Nordic Steel AB");
  return table;
}

// The backoffice bundle is loaded lazily: the first render in a worker takes a few seconds.
describe("Market (backoffice)", { timeout: 30_000 }, () => {
  it("shows status, prices, the book, open orders and trades with entity names", async () => {
    base();
    const orders = await openPage();
    expect(screen.getByRole("heading", { name: "Market", level: 1 })).toBeInTheDocument();
    expect(screen.getByRole("navigation", { name: "Backoffice" })).toHaveTextContent("Market");
    expect(screen.getAllByRole("tab").map((t) => t.textContent)).toEqual(["EUA-EUR", "CEA-EUR"]);
    expect(screen.getByRole("tab", { name: "EUA-EUR" })).toHaveAttribute("aria-selected", "true");
    expect(within(screen.getByTestId("instrument-status")).getByText("Open")).toBeInTheDocument();
    const status = screen.getByRole("region", { name: "EUA-EUR status" });
    expect(await within(status).findByText("72.30 EUR")).toBeInTheDocument(); // bid
    expect(within(status).getByText("1,250 EUA")).toBeInTheDocument();
    expect(within(status).getByText("40 EUA")).toBeInTheDocument(); // open buy quantity
    // the live ladder (the client trading component)
    const ladder = await screen.findByRole("region", { name: "Order book" });
    expect(within(ladder).getByRole("row", { name: "Ask 72.50 EUR, 20 units" })).toBeInTheDocument();
    expect(within(orders).getByText("Nordic Steel AB")).toBeInTheDocument();
    const row = within(orders).getAllByRole("row")[1]!;
    expect(within(row).getAllByRole("cell").map((c) => c.textContent)).toEqual(
      expect.arrayContaining(["Sell", "€72.50", "20 EUAof 25 · partly filled"]),
    );
    const trades = await screen.findByRole("table", { name: "Trades on EUA-EUR" });
    const [buyer, seller] = ["Buyer", "Seller"].map((h) => within(trades).getAllByRole("columnheader").findIndex((c) => c.textContent === h));
    const cells = within((await within(trades).findAllByRole("row"))[1]!).getAllByRole("cell");
    expect(cells[buyer!]).toHaveTextContent("Rhine Chemicals GmbHtaker · fee €0.37");
    expect(cells[seller!]).toHaveTextContent("Nordic Steel ABmaker · fee €0.18");
    // a row opens the trade's details (both orders, the fees, settlement)
    await userEvent.setup().click(within(cells[0]!).getByRole("button", { name: /trade details/ }));
    const details = await screen.findByRole("dialog", { name: "Trade" });
    expect(details).toHaveTextContent(trade.buy_order_id);
    expect(details).toHaveTextContent("Seller (resting offer)");
  });

  it("halts an instrument only with a reason, behind a confirmation", async () => {
    const user = userEvent.setup();
    const halted = { ...eua, status: "HALTED" as const, status_reason: "Registry outage", updated_at: "2025-03-02T11:00:00Z" };
    let current = eua;
    const f = base({
      "GET /api/v1/admin/market/overview": () => json(overview(current)),
      "PATCH /api/v1/admin/instruments/EUA-EUR": () => {
        current = halted;
        return json(halted);
      },
    });
    await openPage();
    await user.click(screen.getByRole("button", { name: "Halt trading" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Halt trading on EUA-EUR?" });
    await user.click(within(dialog).getByRole("button", { name: "Halt trading" }));
    expect(within(dialog).getByText(/Give a reason of at least 3 characters/)).toBeInTheDocument();
    expect(callsTo(f, "PATCH /api/v1/admin/instruments/EUA-EUR")).toHaveLength(0);
    await user.type(within(dialog).getByLabelText(/Reason/), "Registry outage");
    await user.click(within(dialog).getByRole("button", { name: "Halt trading" }));
    await waitFor(() => expect(callsTo(f, "PATCH /api/v1/admin/instruments/EUA-EUR")).toHaveLength(1));
    expect(await callsTo(f, "PATCH /api/v1/admin/instruments/EUA-EUR")[0]!.json()).toEqual({ status: "HALTED", reason: "Registry outage" });
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    expect(await screen.findByRole("button", { name: "Resume trading" })).toBeInTheDocument();
    expect(within(screen.getByTestId("instrument-status")).getByText("Halted")).toBeInTheDocument();
    expect(screen.getByText(/“Registry outage”/)).toBeInTheDocument();
    expect(within(screen.getByRole("tab", { name: /EUA-EUR/ })).getByText("Halted")).toBeInTheDocument();
  });

  it("shows the API's refusal of a reason under the field", async () => {
    const user = userEvent.setup();
    base({
      "PATCH /api/v1/admin/instruments/EUA-EUR": () => problem(422, "unprocessable", { detail: "a reason is required to halt or resume", field: "reason" }),
    });
    await openPage();
    await user.click(screen.getByRole("button", { name: "Halt trading" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Halt trading on EUA-EUR?" });
    await user.type(within(dialog).getByLabelText(/Reason/), "   ok!  ");
    await user.click(within(dialog).getByRole("button", { name: "Halt trading" }));
    expect(await within(dialog).findByText("a reason is required to halt or resume")).toBeInTheDocument();
    expect(within(dialog).getByLabelText(/Reason/)).toHaveAttribute("aria-invalid", "true");
  });

  it("cancels a client's order on its behalf with a reason", async () => {
    const user = userEvent.setup();
    const f = base({
      "POST /api/v1/admin/orders/0190a0a0-0000-7000-8000-0000000000a1/cancel": () => json({ ...order, status: "CANCELLED", reason: "cancelled_by_staff" }),
    });
    const orders = await openPage();
    await user.click(within(orders).getByRole("button", { name: "Cancel order: sell 20 at 72.50 by Nordic Steel AB" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Cancel order on behalf of the client" });
    expect(within(dialog).getByText("Nordic Steel AB")).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument(); // the row's details stay closed
    await user.type(within(dialog).getByLabelText(/Reason/), "Fat finger reported by phone");
    await user.click(within(dialog).getByRole("button", { name: "Cancel order" }));
    await waitFor(() => expect(callsTo(f, "POST /api/v1/admin/orders/0190a0a0-0000-7000-8000-0000000000a1/cancel")).toHaveLength(1));
    const req = callsTo(f, "POST /api/v1/admin/orders/0190a0a0-0000-7000-8000-0000000000a1/cancel")[0]!;
    expect(await req.json()).toEqual({ reason: "Fat finger reported by phone" });
    expect(req.headers.get("Idempotency-Key")).toBeTruthy();
    expect(await screen.findByText("Order cancelled")).toBeInTheDocument();
  });

  it("edits the rules and shows the API's validation errors per field", async () => {
    const user = userEvent.setup();
    const f = base({
      "PATCH /api/v1/admin/instruments/EUA-EUR": [
        () => problem(422, "invalid_quantity", { detail: "min_quantity must not exceed max_quantity", field: "min_quantity" }),
        () =>
          problem(422, "validation_error", {
            detail: "maker_fee_bps: Input should be less than or equal to 1000",
            errors: [{ field: "maker_fee_bps", message: "Input should be less than or equal to 1000", code: "less_than_equal" }],
          }),
        () => json({ ...eua, price_band_percent: "5.00", updated_at: "2025-03-02T12:00:00Z" }),
      ],
    });
    await openPage();
    const form = screen.getByRole("form", { name: "EUA-EUR rules" });
    const review = within(form).getByRole("button", { name: "Review changes" });
    expect(review).toBeDisabled();

    const min = within(form).getByLabelText("Minimum quantity");
    await user.clear(min);
    await user.type(min, "1.5");
    await user.click(review);
    expect(within(form).getByText("Enter a whole number.")).toBeInTheDocument();
    await user.clear(min);
    await user.type(min, "200000");
    await user.click(review);
    let dialog = await screen.findByRole("alertdialog", { name: "Apply to EUA-EUR?" });
    expect(within(dialog).getByRole("list", { name: "Changes" })).toHaveTextContent("Minimum quantity");
    await user.click(within(dialog).getByRole("button", { name: "Apply changes" }));
    expect(await within(form).findByText("min_quantity must not exceed max_quantity")).toBeInTheDocument();
    expect(min).toHaveAttribute("aria-invalid", "true");

    await user.clear(min);
    await user.type(min, "1");
    const maker = within(form).getByLabelText("Maker fee (bps)");
    await user.clear(maker);
    await user.type(maker, "5000");
    await user.click(review);
    dialog = await screen.findByRole("alertdialog", { name: "Apply to EUA-EUR?" });
    await user.click(within(dialog).getByRole("button", { name: "Apply changes" }));
    expect(await within(form).findByText("Input should be less than or equal to 1000")).toBeInTheDocument();
    expect(await callsTo(f, "PATCH /api/v1/admin/instruments/EUA-EUR")[1]!.json()).toEqual({ maker_fee_bps: 5000 });

    await user.clear(maker);
    await user.type(maker, "5");
    const band = within(form).getByLabelText("Price band (± %)");
    await user.clear(band);
    await user.type(band, "5");
    await user.click(review);
    dialog = await screen.findByRole("alertdialog", { name: "Apply to EUA-EUR?" });
    await user.click(within(dialog).getByRole("button", { name: "Apply changes" }));
    expect(await screen.findByText("EUA-EUR rules updated")).toBeInTheDocument();
    expect(await callsTo(f, "PATCH /api/v1/admin/instruments/EUA-EUR")[2]!.json()).toEqual({ price_band_percent: "5" });
  });

  it("gives compliance a read-only view", async () => {
    base({}, { ...staffUser, role: "compliance" });
    const orders = await openPage();
    expect(within(orders).getByText("Nordic Steel AB")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Halt trading" })).not.toBeInTheDocument();
    expect(within(orders).queryByRole("button", { name: /Cancel order/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "EUA-EUR rules" })).not.toBeInTheDocument();
    expect(screen.getByText("±10.00 %")).toBeInTheDocument();
  });

  it("refreshes the open orders when the book moves, and pages and filters the trades", async () => {
    const user = userEvent.setup();
    const older = { ...trade, id: "0190a0a0-0000-7000-8000-0000000000b0", buyer_entity_name: "Atlas Carbon Partners S.r.l." };
    const f = base({
      "GET /api/v1/admin/trades": (req) =>
        new URL(req.url).searchParams.get("cursor") ? json({ items: [older], next_cursor: null }) : json({ items: [trade], next_cursor: "c1" }),
    });
    const orders = await openPage();
    await waitFor(() => expect(FakeSocket.instances.length).toBeGreaterThan(0));
    const sock = FakeSocket.last;
    act(() => {
      sock.open();
      sock.serverSend({ type: "ready" });
    });
    await waitFor(() => expect(sock.ops("subscribe").some((m) => m.channel === "book.EUA-EUR")).toBe(true));
    const before = callsTo(f, "GET /api/v1/admin/orders").length;
    act(() => {
      sock.serverSend({
        type: "event",
        channel: "book.EUA-EUR",
        event: "book.delta",
        data: { instrument: "EUA-EUR", sequence: 42, changes: [{ side: "BUY", price: "72.35", quantity: 10, orders: 1 }] },
        ts: "2025-03-02T11:00:00Z",
      });
    });
    await waitFor(() => expect(callsTo(f, "GET /api/v1/admin/orders").length).toBeGreaterThan(before));
    expect(await screen.findByRole("row", { name: "Bid 72.35 EUR, 10 units" })).toBeInTheDocument();
    expect(orders).toBeInTheDocument();

    const trades = screen.getByRole("table", { name: "Trades on EUA-EUR" });
    await within(trades).findAllByText("Rhine Chemicals GmbH");
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect((await within(trades).findAllByText("Atlas Carbon Partners S.r.l.")).length).toBeGreaterThan(0);
    const paged = callsTo(f, "GET /api/v1/admin/trades").map((r) => new URL(r.url).searchParams);
    expect(paged.some((p) => p.get("cursor") === "c1" && p.get("instrument") === "EUA-EUR")).toBe(true);

    await user.selectOptions(screen.getByLabelText("Buyer or seller"), "Rhine Chemicals GmbH");
    await user.selectOptions(screen.getByLabelText("Status"), "Confirmed");
    await user.type(screen.getByLabelText("From"), "2025-03-01");
    await waitFor(() => {
      const last = new URL(callsTo(f, "GET /api/v1/admin/trades").at(-1)!.url).searchParams;
      expect([last.get("entity_id"), last.get("status"), last.get("date_from")]).toEqual([RHINE, "CONFIRMED", "2025-03-01T00:00:00Z"]);
    });
  });

  it("shows loading, error with retry, and empty states", async () => {
    const user = userEvent.setup();
    const f = base({
      "GET /api/v1/admin/market/overview": [() => problem(500, "internal_error"), () => json(overview())],
      "GET /api/v1/admin/orders": () => json({ items: [], next_cursor: null }),
      "GET /api/v1/admin/trades": () => problem(503, "unavailable", { detail: "Database is busy" }),
    });
    renderApp(<AppRoutes />, { route: "/admin/market" });
    expect(await screen.findByText("Could not load the market", {}, { timeout: 15_000 })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByText("No open orders")).toBeInTheDocument();
    expect(await screen.findByText("Could not load the trades")).toBeInTheDocument();
    expect(callsTo(f, "GET /api/v1/admin/market/overview").length).toBeGreaterThanOrEqual(2);
  });

  it("opens another instrument from the URL", async () => {
    base({
      "GET /api/v1/market/CEA-EUR/book": () => json({ ...book, instrument: "CEA-EUR", asks: [], bids: [] }),
      "GET /api/v1/market/CEA-EUR/ticker": () => json({ ...ticker, instrument: "CEA-EUR" }),
      "GET /api/v1/admin/orders": () => json({ items: [], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/admin/market?instrument=CEA-EUR" });
    expect(await screen.findByRole("table", { name: "Open orders on CEA-EUR" }, { timeout: 15_000 })).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "CEA-EUR" })).toHaveAttribute("aria-selected", "true");
  });
});
