/** Amount entry for money (decimal strings, at most 2 decimals), checked without floats. */
import { compareDecimal, parseDecimal } from "../../../lib/format";

export function normalizeAmount(value: string): string {
  return value.trim().replace(/[\s,_]/g, "");
}

/** null when fine, else a message. `max` (a decimal string) is the most allowed. */
export function amountError(value: string, opts: { max?: string; scale?: number } = {}): string | null {
  const scale = opts.scale ?? 2;
  const text = normalizeAmount(value);
  if (!text) return "Enter an amount.";
  if (!/^\d+(\.\d*)?$/.test(text)) return "Enter an amount like 1500.00.";
  const parsed = parseDecimal(text);
  if (!parsed) return "Enter an amount like 1500.00.";
  if (parsed.frac.replace(/0+$/, "").length > scale) return `Use at most ${scale} decimals.`;
  if (/^0*$/.test(parsed.int) && /^0*$/.test(parsed.frac)) return "The amount must be more than zero.";
  if (opts.max !== undefined && compareDecimal(text, opts.max) > 0) return "The amount is more than you have available.";
  return null;
}

/** "1,500.5" -> "1500.50" (the API's form). */
export function canonicalAmount(value: string, scale = 2): string {
  const p = parseDecimal(normalizeAmount(value));
  if (!p) return normalizeAmount(value);
  const frac = p.frac.replace(/0+$/, "").padEnd(scale, "0");
  return scale ? `${p.int}.${frac}` : p.int;
}
