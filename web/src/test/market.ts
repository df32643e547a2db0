import type { components } from "../api/schema";

/** A public ticker (`GET /api/v1/market/{instrument}/ticker`) for tests. */
export function tickerFixture(instrument: string, last: string | null, change: string | null = null): components["schemas"]["TickerOut"] {
  return {
    instrument,
    certificate_type: instrument.slice(0, 3),
    last,
    bid: last ? "70.46" : null,
    ask: last ? "70.80" : null,
    open_24h: null,
    high_24h: null,
    low_24h: null,
    change_24h: null,
    change_24h_percent: change,
    volume_24h: last ? 20366 : 0,
    amount_24h: "0.00",
    trades_24h: last ? 1 : 0,
    last_trade_at: null,
    sequence: 1,
    status: "OPEN",
  };
}
