export interface SparklineProps {
  /** Decimal strings, oldest first (drawn only: no arithmetic on the amounts). */
  closes: string[];
  label: string;
  className?: string;
}

/** A small line of closing prices, emerald when the last is at or above the first, red
 * below; nothing for fewer than two points. */
export function Sparkline({ closes, label, className }: SparklineProps) {
  const cents = closes.map(Number).filter((c) => Number.isFinite(c));
  if (cents.length < 2) return null;
  const width = 240;
  const height = 48;
  const low = Math.min(...cents);
  const span = Math.max(...cents) - low || 1;
  const points = cents.map((c, i) => `${((i / (cents.length - 1)) * width).toFixed(1)},${(height - 2 - ((c - low) / span) * (height - 4)).toFixed(1)}`);
  const up = cents[cents.length - 1]! >= cents[0]!;
  return (
    <svg role="img" aria-label={label} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" className={className ?? "h-12 w-full"}>
      <polyline points={points.join(" ")} fill="none" stroke={up ? "#047857" : "#b91c1c"} strokeWidth="1.8" strokeLinejoin="round" vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
