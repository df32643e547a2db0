/**
 * IBAN checks in the browser, for instant feedback while typing (the server
 * checks again with schwifty, which also knows national check digits and banks).
 * No floats: the mod-97 is computed digit by digit.
 */

/** Length of the IBAN per country (ISO 13616 registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
}; // prettier-ignore

export type IbanProblem = "empty" | "characters" | "country" | "length" | "checksum";

export interface IbanResult {
  compact: string;
  /** groups of four, for display */
  formatted: string;
  country: string | null;
  problem: IbanProblem | null;
  /** still typing: shorter than the country's length, otherwise fine so far */
  incomplete: boolean;
}

export function compactIban(value: string): string {
  return value.replace(/[\s-]+/g, "").toUpperCase();
}

export function formatIban(value: string): string {
  return compactIban(value).replace(/(.{4})(?=.)/g, "$1 ");
}

/** (IBAN moved: first four characters last, letters as 10..35) mod 97. */
export function ibanMod97(compact: string): number {
  const moved = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const digits = code >= 65 && code <= 90 ? String(code - 55) : ch;
    for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest;
}

export function checkIban(value: string): IbanResult {
  const compact = compactIban(value);
  const formatted = formatIban(compact);
  const base = { compact, formatted, country: null, incomplete: false };
  if (!compact) return { ...base, problem: "empty" };
  if (!/^[A-Z0-9]+$/.test(compact)) return { ...base, problem: "characters" };
  if (compact.length < 2) return { ...base, problem: null, incomplete: true };
  const country = compact.slice(0, 2);
  const length = IBAN_LENGTHS[country];
  if (!/^[A-Z]{2}$/.test(country) || length === undefined) return { ...base, problem: "country" };
  if (compact.length > 2 && !/^\d{1,2}$/.test(compact.slice(2, 4))) return { ...base, country, problem: "characters" };
  if (compact.length < length) return { ...base, country, problem: null, incomplete: true };
  if (compact.length > length) return { ...base, country, problem: "length" };
  return { ...base, country, problem: ibanMod97(compact) === 1 ? null : "checksum" };
}

export const IBAN_PROBLEM_TEXT: Readonly<Record<IbanProblem, string>> = {
  empty: "Enter the IBAN.",
  characters: "An IBAN has only letters and digits, and starts with two letters and two digits.",
  country: "The IBAN does not start with a known country code.",
  length: "The IBAN is too long for its country.",
  checksum: "The check digits don't match: check the IBAN for a typo.",
};

/** A BIC: 4 letters (bank), 2 letters (country), 2 letters/digits, optionally 3 more. */
export function checkBic(value: string): { compact: string; valid: boolean; country: string | null } {
  const compact = value.replace(/\s+/g, "").toUpperCase();
  const valid = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(compact);
  return { compact, valid, country: valid ? compact.slice(4, 6) : null };
}
