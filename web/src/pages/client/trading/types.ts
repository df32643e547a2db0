import type { components } from "../../../api/schema";

type S = components["schemas"];
export type Book = S["BookOut"];
export type Level = S["LevelOut"];
export type Ticker = S["TickerOut"];
export type TapeTrade = S["TapeTradeOut"];
export type Candle = S["CandleOut"];
export type Order = S["OrderOut"];
export type OrderDetail = S["OrderDetailOut"];
export type MyTrade = S["MyTradeOut"];
export type Instrument = S["PublicInstrumentOut"];
export type Certificate = S["CertificateOut"];
export type CertificateDetail = S["CertificateDetailOut"];
export type Statistics = S["StatisticsOut"];

export interface BookDelta {
  instrument: string;
  sequence: number;
  changes: { side: "BUY" | "SELL"; price: string; quantity: number; orders: number }[];
}

export const SYMBOLS = ["EUA-EUR", "CEA-EUR"] as const;

/** "72.35" -> 7235 (cents); null for anything that is not a decimal with <= 2 places. */
export function toCents(value: string): number | null {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

export function fromCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** Fee in cents, rounded up (as the server does). */
export function feeCents(notionalCents: number, bps: number): number {
  return Math.ceil((notionalCents * bps) / 10_000);
}

/** Apply an L2 delta to a book (levels with quantity 0 disappear); returns a new book. */
export function applyDelta(book: Book, delta: BookDelta): Book {
  const bids = new Map(book.bids.map((l) => [l.price, l]));
  const asks = new Map(book.asks.map((l) => [l.price, l]));
  for (const c of delta.changes) {
    const side = c.side === "BUY" ? bids : asks;
    if (c.quantity <= 0) side.delete(c.price);
    else side.set(c.price, { price: c.price, quantity: c.quantity, orders: c.orders });
  }
  const byPrice = (a: Level, b: Level) => (toCents(a.price) ?? 0) - (toCents(b.price) ?? 0);
  return {
    instrument: book.instrument,
    sequence: delta.sequence,
    bids: [...bids.values()].sort(byPrice).reverse(),
    asks: [...asks.values()].sort(byPrice),
  };
}

/** A `fill.created` event of the private `fills` channel. */
export interface FillEvent {
  side: "BUY" | "SELL";
  liquidity: "MAKER" | "TAKER";
  quantity: number;
  price: string;
  instrument: string;
}

/** How much of the caller's own resting orders on the other side an order would reach:
 * sells at or below a buy's limit, buys at or above a sell's (a market order reaches
 * them all). Self-trade prevention cancels those instead of trading with them. */
export function ownReached(
  side: "BUY" | "SELL",
  limit: string | null,
  own: readonly { order_type: "BUY" | "SELL"; price: string | null; remaining_quantity: number }[],
): number {
  const cap = limit === null ? null : toCents(limit);
  let reached = 0;
  for (const o of own) {
    const p = o.price === null ? null : toCents(o.price);
    if (o.order_type === side || p === null) continue;
    if (cap === null || (side === "BUY" ? p <= cap : p >= cap)) reached += o.remaining_quantity;
  }
  return reached;
}

/** What to tell a client whose order may reach its own resting orders (see
 * {@link ownReached}); `bound` is the order's limit as shown, null for a market order. */
export function selfTradeNote(quantity: number, asset: string, side: "BUY" | "SELL", bound: string | null): string {
  const theirs = side === "BUY" ? "sell orders offer" : "buy orders bid for";
  const where = bound === null ? "" : ` ${side === "BUY" ? "at or below" : "at or above"} ${bound}`;
  return `Your own ${theirs} ${quantity.toLocaleString("en-US")} ${asset}${where}. An order never trades with its own organisation's orders: any it reaches are cancelled.`;
}
