import { cx } from "../lib/cx";
import { formatMoney, formatQuantity, parseDecimal } from "../lib/format";

export interface MoneyProps {
  /** decimal string from the API, e.g. "1234.50" */
  value: string;
  currency?: string;
  signed?: boolean;
  /** colour negative red and positive green */
  colored?: boolean;
  className?: string;
}

/** An amount of money, formatted from its decimal string without floats. */
export function Money({ value, currency = "EUR", signed, colored, className }: MoneyProps) {
  const p = parseDecimal(value);
  const zero = p ? p.int === "0" && /^0*$/.test(p.frac) : true;
  return (
    <span
      className={cx(
        "tabular whitespace-nowrap",
        colored && !zero && (p?.negative ? "text-red-700" : "text-emerald-700"),
        className,
      )}
    >
      {formatMoney(value, currency, { signed })}
    </span>
  );
}

export interface QuantityProps {
  /** whole certificate units (integer, or a string for very large values) */
  value: number | string | bigint;
  /** e.g. "EUA" */
  unit?: string;
  signed?: boolean;
  className?: string;
}

/** A certificate quantity with grouping: 1,500,000 EUA. */
export function Quantity({ value, unit, signed, className }: QuantityProps) {
  return <span className={cx("tabular whitespace-nowrap", className)}>{formatQuantity(value, unit, { signed })}</span>;
}
