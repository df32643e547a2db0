import { describe, expect, it } from "vitest";
import { amountError, canonicalAmount } from "./amount";

describe("amountError", () => {
  it("accepts amounts with up to 2 decimals", () => {
    for (const v of ["1", "1500.00", "0.01", "1,500.5", "10.10"]) expect(amountError(v)).toBeNull();
  });
  it("refuses the rest with a reason", () => {
    expect(amountError("")).toMatch(/Enter an amount/);
    expect(amountError("abc")).toMatch(/like 1500.00/);
    expect(amountError("-5")).toMatch(/like 1500.00/);
    expect(amountError("1e5")).toMatch(/like 1500.00/);
    expect(amountError("1.234")).toMatch(/at most 2 decimals/);
    expect(amountError("0.00")).toMatch(/more than zero/);
  });
  it("compares with the available amount without floats", () => {
    expect(amountError("90071992547409931234.57", { max: "90071992547409931234.57" })).toBeNull();
    expect(amountError("90071992547409931234.58", { max: "90071992547409931234.57" })).toMatch(/more than you have/);
  });
});

describe("canonicalAmount", () => {
  it("gives the API form", () => {
    expect(canonicalAmount("1,500.5")).toBe("1500.50");
    expect(canonicalAmount("007")).toBe("7.00");
    expect(canonicalAmount("2.10")).toBe("2.10");
  });
});
