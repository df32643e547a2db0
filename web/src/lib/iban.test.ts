import { describe, expect, it } from "vitest";
import { checkBic, checkIban, formatIban, ibanMod97 } from "./iban";

const VALID = [
  "DE89370400440532013000",
  "GB82WEST12345698765432",
  "FR1420041010050500013M02606",
  "NL91ABNA0417164300",
  "ES9121000418450200051332",
  "IT60X0542811101000000123456",
  "BE68539007547034",
  "AT611904300234573201",
];

describe("checkIban", () => {
  it("accepts real IBANs, spaced or not, in any case", () => {
    for (const iban of VALID) {
      expect(checkIban(iban).problem).toBeNull();
      expect(checkIban(formatIban(iban).toLowerCase()).problem).toBeNull();
      expect(ibanMod97(iban)).toBe(1);
    }
  });

  it("refuses each of them with one digit changed", () => {
    for (const iban of VALID) {
      for (let i = 2; i < iban.length; i++) {
        const ch = iban[i]!;
        if (!/\d/.test(ch)) continue;
        const changed = iban.slice(0, i) + String((Number(ch) + 1) % 10) + iban.slice(i + 1);
        expect(checkIban(changed).problem, changed).toBe("checksum");
      }
    }
  });

  it("says what is wrong, and waits while the IBAN is being typed", () => {
    expect(checkIban("").problem).toBe("empty");
    expect(checkIban("DE89 3704").incomplete).toBe(true);
    expect(checkIban("DE89 3704").problem).toBeNull();
    expect(checkIban("XX89370400440532013000").problem).toBe("country");
    expect(checkIban("DE8937040044053201300099").problem).toBe("length");
    expect(checkIban("DE89-3704-0044-0532-0130-00").problem).toBeNull();
    expect(checkIban("DE89 3704 0044 0532 0130 0!").problem).toBe("characters");
    expect(checkIban("DEAB370400440532013000").problem).toBe("characters");
    expect(checkIban("de89370400440532013000").country).toBe("DE");
  });

  it("formats in groups of four", () => {
    expect(formatIban("nl91abna0417164300")).toBe("NL91 ABNA 0417 1643 00");
  });
});

describe("checkBic", () => {
  it("checks the shape and reads the country", () => {
    expect(checkBic("deut de ff")).toEqual({ compact: "DEUTDEFF", valid: true, country: "DE" });
    expect(checkBic("DEUTDEFF500").valid).toBe(true);
    expect(checkBic("DEUT").valid).toBe(false);
    expect(checkBic("1234DEFF").valid).toBe(false);
  });
});
