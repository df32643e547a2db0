import { describe, expect, it } from "vitest";
import { compareDecimal, formatAbsolute, formatDecimal, formatMoney, formatQuantity, formatRelative, formatTimeOfDay, groupDigits, humanize } from "./format";

describe("formatMoney", () => {
  it("groups thousands and pads to the currency scale", () => {
    expect(formatMoney("1234.5")).toBe("€1,234.50");
    expect(formatMoney("1234.50")).toBe("€1,234.50");
    expect(formatMoney("0")).toBe("€0.00");
    expect(formatMoney("999")).toBe("€999.00");
    expect(formatMoney("1000")).toBe("€1,000.00");
    expect(formatMoney("0.07")).toBe("€0.07");
  });

  it("formats negatives with a leading minus", () => {
    expect(formatMoney("-1234.5")).toBe("-€1,234.50");
    expect(formatMoney("-0.01")).toBe("-€0.01");
    expect(formatMoney("-0.00")).toBe("€0.00");
  });

  it("keeps every digit of values far beyond float precision", () => {
    expect(formatMoney("90071992547409931234.57")).toBe("€90,071,992,547,409,931,234.57");
    expect(formatMoney("-123456789012345678901234567890.99")).toBe("-€123,456,789,012,345,678,901,234,567,890.99");
    // 0.1 + 0.2 style values are not rounded through floats
    expect(formatMoney("0.30")).toBe("€0.30");
  });

  it("never rounds away significant digits", () => {
    expect(formatMoney("1.005")).toBe("€1.005");
    expect(formatMoney("1.500")).toBe("€1.50");
  });

  it("drops leading zeros and accepts a plus sign", () => {
    expect(formatMoney("000123.4")).toBe("€123.40");
    expect(formatMoney("+5")).toBe("€5.00");
  });

  it("shows an explicit sign when asked", () => {
    expect(formatMoney("12.3", "EUR", { signed: true })).toBe("+€12.30");
    expect(formatMoney("0", "EUR", { signed: true })).toBe("€0.00");
  });

  it("uses a code suffix for currencies without a symbol", () => {
    expect(formatMoney("1234.5", "USD")).toBe("1,234.50 USD");
  });

  it("returns unparseable input unchanged", () => {
    expect(formatMoney("abc")).toBe("abc");
    expect(formatMoney("1e5")).toBe("1e5");
    expect(formatMoney("")).toBe("");
  });
});

describe("formatQuantity", () => {
  it("formats integer quantities with grouping", () => {
    expect(formatQuantity(0)).toBe("0");
    expect(formatQuantity(1500000, "EUA")).toBe("1,500,000 EUA");
    expect(formatQuantity(-2500, "CEA")).toBe("-2,500 CEA");
    expect(formatQuantity("123456789012345678901234567890")).toBe("123,456,789,012,345,678,901,234,567,890");
    expect(formatQuantity(12345678901234567890n)).toBe("12,345,678,901,234,567,890");
  });

  it("refuses unsafe numbers rather than printing a rounded value", () => {
    expect(formatQuantity(2 ** 60)).toBe(String(2 ** 60));
    expect(formatQuantity(1.5)).toBe("1.5");
  });
});

describe("helpers", () => {
  it("groups digits", () => {
    expect(groupDigits("1")).toBe("1");
    expect(groupDigits("123")).toBe("123");
    expect(groupDigits("1234")).toBe("1,234");
    expect(groupDigits("123456")).toBe("123,456");
    expect(groupDigits("1234567")).toBe("1,234,567");
  });

  it("formats with a minimum scale", () => {
    expect(formatDecimal("72.3", { scale: 4 })).toBe("72.3000");
  });

  it("compares decimal strings without floats", () => {
    expect(compareDecimal("10.5", "9.99")).toBe(1);
    expect(compareDecimal("-10.5", "-9.99")).toBe(-1);
    expect(compareDecimal("1.50", "1.5")).toBe(0);
    expect(compareDecimal("90071992547409931234.57", "90071992547409931234.56")).toBe(1);
    expect(compareDecimal("-1", "0")).toBe(-1);
  });

  it("formats UTC times", () => {
    expect(formatAbsolute("2025-03-02T14:03:07Z")).toBe("02 Mar 2025, 14:03:07 UTC");
    expect(formatAbsolute("2025-03-02T23:59:59Z", { dateOnly: true })).toBe("02 Mar 2025");
    expect(formatAbsolute("nonsense")).toBe("nonsense");
    expect(formatTimeOfDay("2025-03-02T00:48:53Z")).toBe("00:48:53");
    expect(formatTimeOfDay("2025-03-02T14:03:07.5+02:00")).toBe("12:03:07");
    expect(formatTimeOfDay("nonsense")).toBe("nonsense");
  });

  it("formats relative times", () => {
    const now = Date.parse("2025-03-02T12:00:00Z");
    expect(formatRelative("2025-03-02T11:57:00Z", now)).toBe("3 minutes ago");
    expect(formatRelative("2025-03-02T11:59:58Z", now)).toBe("just now");
    expect(formatRelative("2025-03-04T12:00:00Z", now)).toBe("in 2 days");
    expect(formatRelative("2025-03-01T12:00:00Z", now)).toBe("yesterday");
  });

  it("humanizes enum values", () => {
    expect(humanize("super_admin")).toBe("Super admin");
    expect(humanize("partially_filled")).toBe("Partially filled");
  });
});
