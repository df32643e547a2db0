import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { callsTo, clientUser, json, mockFetch, renderApp, tokenFor } from "../../../test/utils";
import { MyOrdersTab, cancelledNote } from "./MyOrdersTab";
import { TradeHistoryTab } from "./TradeHistoryTab";
import type { MyTrade, Order } from "./types";

const order = (n: number, over: Partial<Order> = {}): Order => ({
  id: `0190a0a0-0000-7000-8000-0000000001${String(n).padStart(2, "0")}`,
  instrument: "EUA-EUR",
  certificate_type: "EUA",
  client_order_id: null,
  order_type: "BUY",
  order_kind: "LIMIT",
  time_in_force: "GTC",
  post_only: false,
  price: `70.${String(n).padStart(2, "0")}`,
  quantity: 10,
  filled_quantity: 0,
  remaining_quantity: 10,
  average_fill_price: null,
  filled_amount: "0.00",
  fees: "0.00",
  reserved_asset: "EUR",
  reserved_remaining: "701.00",
  status: "OPEN",
  reason: null,
  reason_detail: null,
  created_at: "2026-03-02T10:00:00Z",
  updated_at: "2026-03-02T10:00:00Z",
  fills: [],
  ...over,
});

const param = (req: Request, name: string) => new URL(req.url).searchParams.get(name);

describe("My orders", () => {
  it("pages through the history with Load more and filters it", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)),
      "GET /api/v1/orders/my-orders": (req) =>
        param(req, "certificate_type") === "CEA"
          ? json({ items: [order(9, { instrument: "CEA-EUR", certificate_type: "CEA", price: "13.95" })], next_cursor: null })
          : param(req, "cursor") === "c1"
            ? json({ items: [order(2, { status: "FILLED" })], next_cursor: null })
            : json({ items: [order(1, { status: "CANCELLED" })], next_cursor: "c1" }),
    });
    renderApp(<MyOrdersTab open={false} />);
    const table = await screen.findByRole("table", { name: "Order history" });
    expect(await within(table).findByText("€70.01")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(table).findByText("€70.02")).toBeInTheDocument();
    expect(within(table).getByText("€70.01")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(param(callsTo(f, "GET /api/v1/orders/my-orders")[1]!, "cursor")).toBe("c1");
    // History has no status filter and no "Cancel all".
    expect(param(callsTo(f, "GET /api/v1/orders/my-orders")[0]!, "status")).toBeNull();
    expect(screen.queryByRole("button", { name: /Cancel all/ })).not.toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Certificate"), "CEA");
    expect(await within(table).findByText("€13.95")).toBeInTheDocument();
    expect(within(table).queryByText("€70.01")).not.toBeInTheDocument();
  });

  it("cancels every open order of the chosen type after confirmation", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)),
      "GET /api/v1/orders/my-orders": [
        () => json({ items: [order(1), order(2)], next_cursor: null }),
        () => json({ items: [order(1), order(2)], next_cursor: null }),
        () => json({ items: [], next_cursor: null }),
      ],
      "POST /api/v1/orders/cancel-all": () => json({ cancelled: 2, orders: [order(1, { status: "CANCELLED" }), order(2, { status: "CANCELLED" })] }),
    });
    renderApp(<MyOrdersTab open />);
    const table = await screen.findByRole("table", { name: "Open orders" });
    await within(table).findByText("€70.01");
    expect(param(callsTo(f, "GET /api/v1/orders/my-orders")[0]!, "status")).toBe("ACTIVE");
    await user.selectOptions(screen.getByLabelText("Certificate"), "EUA");
    await user.click(await screen.findByRole("button", { name: "Cancel all EUA" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Cancel all open EUA orders?" });
    expect(callsTo(f, "POST /api/v1/orders/cancel-all")).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Cancel all" }));
    expect(await screen.findByText("2 orders cancelled")).toBeInTheDocument();
    expect(param(callsTo(f, "POST /api/v1/orders/cancel-all")[0]!, "certificate_type")).toBe("EUA");
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    expect(await screen.findByText("No open orders")).toBeInTheDocument();
  });
});

describe("cancelledNote", () => {
  it("says what a cancellation gives back: euros for a buy, certificates for a sell", () => {
    const buy = order(1, { status: "CANCELLED", filled_quantity: 4, remaining_quantity: 0 });
    expect(cancelledNote(buy)).toBe("6 EUA off the book; the euros it reserved are available again.");
    const sell = order(2, { order_type: "SELL", certificate_type: "CEA", status: "CANCELLED", remaining_quantity: 0 });
    expect(cancelledNote(sell)).toBe("10 CEA off the book; its certificates are available again.");
  });
});

describe("Trade history", () => {
  it("pages through the trades and filters them by certificate type", async () => {
    const user = userEvent.setup();
    const trade = (id: string, price: string, type = "EUA"): MyTrade =>
      ({
        id,
        instrument: `${type}-EUR`,
        certificate_type: type,
        side: "BUY",
        price,
        quantity: 5,
        amount: "350.00",
        fee: "0.35",
        liquidity: "TAKER",
        order_id: "0190a0a0-0000-7000-8000-000000000201",
        status: "CONFIRMED",
        settlement_status: "UNSETTLED",
        created_at: "2026-03-02T10:00:00Z",
      }) as MyTrade;
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)),
      "GET /api/v1/trades/my-trades": (req) =>
        param(req, "certificate_type") === "CEA"
          ? json({ items: [trade("t9", "13.90", "CEA")], next_cursor: null })
          : param(req, "cursor")
            ? json({ items: [trade("t2", "70.20")], next_cursor: null })
            : json({ items: [trade("t1", "70.10")], next_cursor: "c1" }),
    });
    renderApp(<TradeHistoryTab />);
    const table = await screen.findByRole("table", { name: "Trade history" });
    expect(await within(table).findByText("€70.10")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(table).findByText("€70.20")).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Certificate"), "CEA");
    expect(await within(table).findByText("€13.90")).toBeInTheDocument();
    expect(param(callsTo(f, "GET /api/v1/trades/my-trades").at(-1)!, "certificate_type")).toBe("CEA");
  });
});
