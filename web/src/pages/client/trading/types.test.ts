import { describe, expect, it } from "vitest";
import { ownReached, selfTradeNote } from "./types";

const own = [
  { order_type: "SELL" as const, price: "70.80", remaining_quantity: 102 },
  { order_type: "SELL" as const, price: "71.50", remaining_quantity: 10 },
  { order_type: "BUY" as const, price: "69.00", remaining_quantity: 40 },
];

describe("self-trade prevention, as the client is told", () => {
  it("counts the own orders on the other side within the limit", () => {
    expect(ownReached("BUY", "70.79", own)).toBe(0);
    expect(ownReached("BUY", "70.80", own)).toBe(102);
    expect(ownReached("BUY", "72", own)).toBe(112);
    expect(ownReached("SELL", "69.00", own)).toBe(40);
    expect(ownReached("SELL", "69.01", own)).toBe(0);
  });

  it("counts every own order on the other side for a market order", () => {
    expect(ownReached("BUY", null, own)).toBe(112);
    expect(ownReached("SELL", null, own)).toBe(40);
  });

  it("says which orders, where, and what happens to them", () => {
    expect(selfTradeNote(1200, "EUA", "BUY", "€70.81")).toBe(
      "Your own sell orders offer 1,200 EUA at or below €70.81. An order never trades with its own organisation's orders: any it reaches are cancelled.",
    );
    expect(selfTradeNote(40, "CEA", "SELL", null)).toMatch(/^Your own buy orders bid for 40 CEA\. /);
  });
});
