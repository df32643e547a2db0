import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { AppRoutes } from "../../../App";
import type { User } from "../../../api/types";
import { FakeSocket } from "../../../test/fakeSocket";
import { callsTo, clientUser, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../../test/utils";
import { buyNowQuote, marketplaceDraft } from "./MarketplacePage";
import type { Certificate, CertificateDetail } from "./types";

// jsdom has no canvas: the price chart is drawn by a stand-in.
vi.mock("lightweight-charts", () => ({
  AreaSeries: {},
  ColorType: { Solid: "solid" },
  createChart: () => ({ addSeries: () => ({ setData: () => undefined }), timeScale: () => ({ fitContent: () => undefined }), remove: () => undefined }),
}));

const trader: User = { ...clientUser, entity_role: "trader" };

const eua: Certificate = {
  id: "EUA",
  certificate_type: "EUA",
  instrument: "EUA-EUR",
  name: "EU Allowance (EUA)",
  scheme: "EU ETS",
  registry: "Union Registry",
  phase: "Phase 4 (2021-2030)",
  description: "One allowance to emit one tonne of CO2 equivalent.",
  vintage_year: null,
  current_price: "70.63",
  best_bid: "70.46",
  best_ask: "70.80",
  available_quantity: 116,
  sellers: 2,
  demand_quantity: 40,
  change_24h_percent: "1.66",
  volume_24h: 2000,
  status: "OPEN",
};

const detail: CertificateDetail = {
  ...eua,
  sequence: 41,
  price_history: [
    { time: "2025-03-01T00:00:00Z", open: "69.00", high: "70.00", low: "68.50", close: "69.80", volume: 100 },
    { time: "2025-03-02T00:00:00Z", open: "69.80", high: "70.90", low: "69.70", close: "70.63", volume: 120 },
  ],
  sellers_ladder: [
    { price: "70.80", quantity: 102, orders: 1 },
    { price: "70.81", quantity: 14, orders: 1 },
  ],
} as CertificateDetail;

const entity = (status: string, kyc: string) => ({ id: trader.entity_id, legal_name: "Acme Carbon GmbH", status, kyc_status: kyc });

function market(extra: Record<string, Parameters<typeof mockFetch>[0][string]> = {}, approved = true) {
  return mockFetch({
    "POST /api/v1/auth/refresh": () => json(tokenFor(trader)),
    "GET /api/v1/onboarding/entity": () => json(approved ? entity("APPROVED", "APPROVED") : entity("UNDER_REVIEW", "SUBMITTED")),
    "GET /api/v1/marketplace/certificates": () => json({ items: [eua], next_cursor: null }),
    "GET /api/v1/marketplace/certificates/EUA": () => json(detail),
    "GET /api/v1/marketplace/statistics": () => json({ certificates: [] }),
    "GET /api/v1/marketplace/price-history": () => json({ certificate_type: "EUA", interval: "daily", points: [] }),
    "GET /api/v1/market/EUA-EUR/trades": () => json({ items: [] }),
    "GET /api/v1/market/CEA-EUR/trades": () => json({ items: [] }),
    "GET /api/v1/market/instruments": () => json([]),
    "GET /api/v1/fees": () => json([{ instrument: "EUA-EUR", maker_fee_bps: 5, taker_fee_bps: 8, negotiated: true }]),
    "GET /api/v1/balances": () =>
      json({ entity_id: trader.entity_id, balances: [{ asset: "EUR", available: "20000.00", reserved: "0.00", on_hold: "0.00", settling: "0.00", total: "20000.00" }] }),
    ...extra,
  });
}

const placed = (over: Record<string, unknown>) => ({
  id: "0190a0a0-0000-7000-8000-0000000000f1",
  instrument: "EUA-EUR",
  certificate_type: "EUA",
  order_type: "BUY",
  order_kind: "LIMIT",
  quantity: 150,
  price: "70.80",
  filled_quantity: 102,
  average_fill_price: "70.8000",
  status: "EXPIRED",
  fills: [],
  ...over,
});

async function openEua() {
  const user = userEvent.setup();
  renderApp(<AppRoutes />, { route: "/app/marketplace" });
  await user.click(await screen.findByRole("button", { name: /EU Allowance \(EUA\)/ }));
  const dialog = await screen.findByRole("dialog", { name: "EU Allowance (EUA)" });
  await within(dialog).findByRole("table", { name: "Available sellers" });
  return { user, dialog };
}

describe("Marketplace", () => {
  it("drafts Buy now as IOC at the best ask and an offer as a resting limit buy", () => {
    expect(marketplaceDraft("buy", "5", "70.80", "")).toMatchObject({ side: "BUY", kind: "LIMIT", quantity: 5, price: "70.80", tif: "IOC" });
    expect(marketplaceDraft("offer", "5", "70.80", " 69.5 ")).toMatchObject({ price: "69.5", tif: "GTC" });
  });

  it("confirms Buy now before sending it, with what the best ask can fill", async () => {
    const fetchMock = market({ "POST /api/v1/orders/place": () => json(placed({}), 201) });
    const { user, dialog } = await openEua();
    expect(within(dialog).getByTestId("available-eur")).toHaveTextContent("€20,000.00");
    await user.type(within(dialog).getByLabelText(/Quantity \(EUA\)/), "150");
    expect(within(dialog).getByText(/102 available at €70.80/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Buy now at €70.80" }));
    const confirm = await screen.findByRole("dialog", { name: "Confirm buy order" });
    // The estimate covers the 102 for sale at the best ask; the fee is the caller's own rate (8 bps).
    expect(within(confirm).getByText("7,221.60 EUR")).toBeInTheDocument();
    expect(within(confirm).getByText("5.78 EUR")).toBeInTheDocument();
    expect(within(confirm).getByText(/the other 48 are cancelled/)).toBeInTheDocument();
    expect(callsTo(fetchMock, "POST /api/v1/orders/place")).toHaveLength(0);
    await user.click(within(confirm).getByRole("button", { name: "Place buy order" }));
    await waitFor(() => expect(callsTo(fetchMock, "POST /api/v1/orders/place")).toHaveLength(1));
    const body = await callsTo(fetchMock, "POST /api/v1/orders/place")[0]!.json();
    expect(body).toMatchObject({ instrument: "EUA-EUR", order_type: "BUY", order_kind: "LIMIT", quantity: 150, price: "70.80", time_in_force: "IOC" });
    expect(await screen.findByText("Bought 102 EUA")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Confirm buy order" })).not.toBeInTheDocument());
    expect(within(dialog).getByLabelText(/Quantity \(EUA\)/)).toHaveValue("");
  });

  it("makes an offer after confirmation and shows the server's refusal", async () => {
    const fetchMock = market({ "POST /api/v1/orders/place": () => problem(422, "price_out_of_band", { detail: "The price is outside today's band (63.57-77.69 EUR)." }) });
    const { user, dialog } = await openEua();
    await user.type(within(dialog).getByLabelText(/Quantity \(EUA\)/), "10");
    await user.type(within(dialog).getByLabelText(/Your offer/), "50.00");
    await user.click(within(dialog).getByRole("button", { name: "Make offer" }));
    const confirm = await screen.findByRole("dialog", { name: "Confirm buy order" });
    expect(within(confirm).getByText("GTC")).toBeInTheDocument();
    await user.click(within(confirm).getByRole("button", { name: "Place buy order" }));
    expect(await within(confirm).findByText(/outside today's band/)).toBeInTheDocument();
    const body = await callsTo(fetchMock, "POST /api/v1/orders/place")[0]!.json();
    expect(body).toMatchObject({ quantity: 10, price: "50.00", time_in_force: "GTC" });
  });

  it("explains bad input and keeps the buttons off", async () => {
    market();
    const { user, dialog } = await openEua();
    await user.type(within(dialog).getByLabelText(/Quantity \(EUA\)/), "1.5");
    expect(within(dialog).getByText("Whole units only")).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText(/Your offer/), "70.123");
    expect(within(dialog).getByText(/up to 2 decimals/)).toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: /Buy now/ })).toBeDisabled();
    expect(within(dialog).getByRole("button", { name: "Make offer" })).toBeDisabled();
  });

  it("tells an organisation that is not approved yet why it cannot buy", async () => {
    market({}, false);
    const { user, dialog } = await openEua();
    expect(await within(dialog).findByText(/Trading opens once your organisation and its KYC are approved/)).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText(/Quantity \(EUA\)/), "5");
    expect(within(dialog).getByRole("button", { name: /Buy now/ })).toBeDisabled();
  });

  it("is public: a visitor sees the market at /marketplace and is invited to sign in to buy", async () => {
    const user = userEvent.setup();
    const f = market({ "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token") });
    renderApp(<AppRoutes />, { route: "/marketplace" });
    expect(await screen.findByRole("heading", { name: "Marketplace" })).toBeInTheDocument();
    await user.click(await screen.findByRole("button", { name: /EU Allowance \(EUA\)/ }));
    const dialog = await screen.findByRole("dialog", { name: "EU Allowance (EUA)" });
    expect(await within(dialog).findByRole("link", { name: "Sign in to buy" })).toHaveAttribute("href", "/login");
    expect(within(dialog).queryByRole("button", { name: /Buy now/ })).not.toBeInTheDocument();
    expect(within(dialog).queryByLabelText(/Quantity/)).not.toBeInTheDocument();
    // Nothing private is asked for.
    for (const key of ["GET /api/v1/balances", "GET /api/v1/fees", "GET /api/v1/onboarding/entity"]) expect(callsTo(f, key)).toHaveLength(0);
    // Live for the visitor too: the socket goes in anonymously for the public channels.
    const sock = FakeSocket.last;
    act(() => sock.open());
    expect(sock.sent).toEqual([{ op: "anonymous" }]);
    act(() => sock.serverSend({ type: "ready", anonymous: true }));
    expect(sock.ops("subscribe").map((m) => m.channel)).toEqual(expect.arrayContaining(["ticker", "book.EUA-EUR"]));
    const before = callsTo(f, "GET /api/v1/marketplace/certificates").length;
    act(() => sock.serverSend({ type: "event", channel: "ticker", event: "ticker", data: {}, ts: "2026-03-02T10:00:00Z" }));
    await waitFor(() => expect(callsTo(f, "GET /api/v1/marketplace/certificates").length).toBeGreaterThan(before));
  });

  it("sends a signed-in client from /marketplace to the one where it can buy", async () => {
    market();
    renderApp(<AppRoutes />, { route: "/marketplace" });
    await screen.findByRole("button", { name: /EU Allowance \(EUA\)/ });
    expect(screen.getByRole("link", { name: "Marketplace" })).toHaveAttribute("href", "/app/marketplace");
  });

  it("quotes Buy now past the caller's own sell orders", () => {
    const ladder = [
      { price: "70.80", quantity: 102 },
      { price: "70.81", quantity: 14 },
      { price: "70.97", quantity: 342 },
    ];
    expect(buyNowQuote(ladder, [])).toEqual({ price: "70.80", available: 102, own: 0 });
    expect(buyNowQuote(ladder, [{ order_type: "SELL" as const, price: "70.80", remaining_quantity: 102 }])).toEqual({ price: "70.81", available: 14, own: 102 });
    expect(buyNowQuote(ladder, [{ order_type: "SELL" as const, price: "70.80", remaining_quantity: 2 }])).toEqual({ price: "70.80", available: 100, own: 2 });
    expect(buyNowQuote(ladder, [{ order_type: "SELL" as const, price: "70.8", remaining_quantity: 102 }, { order_type: "SELL" as const, price: "70.81", remaining_quantity: 14 }])).toEqual({ price: "70.97", available: 342, own: 116 });
    // The organisation's own buys are not in the way.
    expect(buyNowQuote(ladder, [{ order_type: "BUY" as const, price: "70.80", remaining_quantity: 5 }])).toEqual({ price: "70.80", available: 102, own: 0 });
    expect(buyNowQuote(ladder.slice(0, 1), [{ order_type: "SELL" as const, price: "70.80", remaining_quantity: 102 }])).toEqual({ price: null, available: 0, own: 102 });
  });

  it("buys from other sellers when the best ask is the caller's own, and says so", async () => {
    const f = market({
      "GET /api/v1/orders/my-orders": () => json({ items: [{ ...placed({}), order_type: "SELL", price: "70.80", quantity: 102, filled_quantity: 0, remaining_quantity: 102, status: "OPEN" }], next_cursor: null }),
      "POST /api/v1/orders/place": () => json(placed({ quantity: 5, filled_quantity: 5, status: "FILLED", price: "70.81", average_fill_price: "70.8100" }), 201),
    });
    const { user, dialog } = await openEua();
    await user.type(within(dialog).getByLabelText(/Quantity \(EUA\)/), "5");
    expect(await within(dialog).findByText(/Your own sell orders offer 102 EUA at or below €70.81/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Buy now at €70.81" }));
    const confirm = await screen.findByRole("dialog", { name: "Confirm buy order" });
    expect(within(confirm).getByText(/any it reaches are cancelled/)).toBeInTheDocument();
    await user.click(within(confirm).getByRole("button", { name: "Place buy order" }));
    await waitFor(() => expect(callsTo(f, "POST /api/v1/orders/place")).toHaveLength(1));
    expect(await callsTo(f, "POST /api/v1/orders/place")[0]!.json()).toMatchObject({ price: "70.81", time_in_force: "IOC", quantity: 5 });
  });

  it("tells signed-in staff on the public marketplace that only clients trade", async () => {
    const user = userEvent.setup();
    market({ "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)) });
    renderApp(<AppRoutes />, { route: "/marketplace" });
    await user.click(await screen.findByRole("button", { name: /EU Allowance \(EUA\)/ }));
    const dialog = await screen.findByRole("dialog", { name: "EU Allowance (EUA)" });
    expect(await within(dialog).findByText(/only clients trade/)).toBeInTheDocument();
    expect(within(dialog).queryByRole("link", { name: "Sign in to buy" })).not.toBeInTheDocument();
  });
});

