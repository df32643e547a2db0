/**
 * Formatting of money and quantities from the API's decimal strings.
 *
 * The API sends money and prices as decimal strings ("1234.50") and
 * certificate quantities as integers. Nothing here converts a value to a
 * floating-point number: all work is done on the digit strings, so
 * "90071992547409931234.57" formats exactly.
 */

/** Decimal places of each asset (assets are data on the server; these are the known ones). */
export const ASSET_SCALE: Record<string, number> = { EUR: 2, EUA: 0, CEA: 0 };

const CURRENCY_SYMBOL: Record<string, string> = { EUR: "€" };

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?$/;

export interface ParsedDecimal {
  negative: boolean;
  /** integer digits without leading zeros ("0" at least) */
  int: string;
  /** fraction digits as given (may be empty) */
  frac: string;
}

/** Parse a decimal string; returns null when it is not a plain decimal. */
export function parseDecimal(value: string | number | bigint): ParsedDecimal | null {
  let text: string;
  if (typeof value === "number") {
    // Only integers are accepted as numbers (quantities); anything else would already be lossy.
    if (!Number.isSafeInteger(value)) return null;
    text = String(value);
  } else {
    text = String(value).trim();
  }
  const m = DECIMAL_RE.exec(text);
  if (!m) return null;
  const intRaw = m[2] ?? "";
  const fracRaw = m[3] ?? "";
  if (intRaw === "" && fracRaw === "") return null;
  const int = intRaw.replace(/^0+(?=\d)/, "") || "0";
  const isZero = /^0*$/.test(int) && /^0*$/.test(fracRaw);
  return { negative: m[1] === "-" && !isZero, int, frac: fracRaw };
}

/** Insert a thousands separator every three digits of an integer digit string. */
export function groupDigits(int: string, separator = ","): string {
  let out = "";
  for (let i = 0; i < int.length; i++) {
    const fromRight = int.length - i;
    out += int[i];
    if (fromRight > 1 && fromRight % 3 === 1) out += separator;
  }
  return out;
}

export interface DecimalFormatOptions {
  /** minimum number of fraction digits (padded with zeros) */
  scale?: number;
  /** prefix placed after the sign, e.g. "€" */
  prefix?: string;
  /** suffix, e.g. " EUA" */
  suffix?: string;
  /** show a leading "+" for positive values */
  signed?: boolean;
}

/**
 * Format a decimal string with grouping. Trailing zeros beyond `scale` are
 * dropped; significant digits are never rounded away.
 */
export function formatDecimal(value: string | number | bigint, opts: DecimalFormatOptions = {}): string {
  const parsed = parseDecimal(value);
  if (!parsed) return String(value);
  const scale = opts.scale ?? 0;
  let frac = parsed.frac.replace(/0+$/, "");
  if (frac.length < scale) frac = frac.padEnd(scale, "0");
  const sign = parsed.negative ? "-" : opts.signed && !isZeroParsed(parsed) ? "+" : "";
  const body = groupDigits(parsed.int) + (frac ? "." + frac : "");
  return `${sign}${opts.prefix ?? ""}${body}${opts.suffix ?? ""}`;
}

function isZeroParsed(p: ParsedDecimal): boolean {
  return p.int === "0" && /^0*$/.test(p.frac);
}

/** Format an amount of money: formatMoney("1234.5", "EUR") === "€1,234.50". */
export function formatMoney(value: string, currency = "EUR", opts: { signed?: boolean } = {}): string {
  const scale = ASSET_SCALE[currency] ?? 2;
  const symbol = CURRENCY_SYMBOL[currency];
  return symbol
    ? formatDecimal(value, { scale, prefix: symbol, signed: opts.signed })
    : formatDecimal(value, { scale, suffix: ` ${currency}`, signed: opts.signed });
}

/** Format a certificate quantity (whole units): formatQuantity(1500000, "EUA") === "1,500,000 EUA". */
export function formatQuantity(value: string | number | bigint, unit?: string, opts: { signed?: boolean } = {}): string {
  return formatDecimal(value, { scale: 0, suffix: unit ? ` ${unit}` : "", signed: opts.signed });
}

/** Compare two decimal strings without floats: -1, 0 or 1. Invalid input sorts first. */
export function compareDecimal(a: string, b: string): number {
  const pa = parseDecimal(a);
  const pb = parseDecimal(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  if (pa.negative !== pb.negative) return pa.negative ? -1 : 1;
  const sign = pa.negative ? -1 : 1;
  if (pa.int.length !== pb.int.length) return (pa.int.length > pb.int.length ? 1 : -1) * sign;
  if (pa.int !== pb.int) return (pa.int > pb.int ? 1 : -1) * sign;
  const len = Math.max(pa.frac.length, pb.frac.length);
  const fa = pa.frac.padEnd(len, "0");
  const fb = pb.frac.padEnd(len, "0");
  if (fa === fb) return 0;
  return (fa > fb ? 1 : -1) * sign;
}

// ---------------------------------------------------------------------------
// Time (the API speaks ISO 8601 UTC with "Z")

const ABSOLUTE = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

const DATE_ONLY = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "short",
  day: "2-digit",
});

/** "02 Mar 2025, 14:03:07 UTC" */
export function formatAbsolute(iso: string, opts: { dateOnly?: boolean } = {}): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return opts.dateOnly ? DATE_ONLY.format(d) : `${ABSOLUTE.format(d)} UTC`;
}

const TIME_OF_DAY = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** "14:03:07" (UTC, 24-hour), for a trade tape where the day is today's. */
export function formatTimeOfDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : TIME_OF_DAY.format(d);
}

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "3 minutes ago", "in 2 days", "now" */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  if (abs < 10) return "just now";
  for (const [unit, seconds] of UNITS) {
    if (abs >= seconds || unit === "second") {
      return RELATIVE.format(Math.trunc(diff / seconds), unit);
    }
  }
  return RELATIVE.format(diff, "second");
}

/** Human label for snake_case enum values: "super_admin" -> "Super admin". */
export function humanize(value: string): string {
  const s = value.replace(/[_.]+/g, " ").trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
