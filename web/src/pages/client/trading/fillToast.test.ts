import { describe, expect, it } from "vitest";
import { fillToast } from "./fillToast";

describe("fillToast", () => {
  it("tells of a resting order's fill", () => {
    expect(fillToast({ side: "SELL", liquidity: "MAKER", quantity: 1500, price: "72.1", instrument: "EUA-EUR" })).toEqual({
      tone: "success",
      title: "Sold 1,500 EUA",
      description: "at €72.10 (your resting order)",
    });
  });

  it("stays quiet for an order's own trades as it arrives (its placement says it)", () => {
    expect(fillToast({ side: "BUY", liquidity: "TAKER", quantity: 5, price: "72.14", instrument: "CEA-EUR" })).toBeNull();
  });
});
