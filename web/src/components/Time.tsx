import { useEffect, useState } from "react";
import { formatAbsolute, formatRelative } from "../lib/format";

export interface TimeProps {
  /** ISO 8601 UTC timestamp */
  value: string;
  className?: string;
}

/** "3 minutes ago", updating every 30 s; the exact time is in the tooltip. */
export function RelativeTime({ value, className }: TimeProps) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return (
    <time dateTime={value} title={formatAbsolute(value)} className={className}>
      {formatRelative(value, now)}
    </time>
  );
}

/** "02 Mar 2025, 14:03:07 UTC" */
export function AbsoluteTime({ value, className, dateOnly }: TimeProps & { dateOnly?: boolean }) {
  return (
    <time dateTime={value} className={className}>
      {formatAbsolute(value, { dateOnly })}
    </time>
  );
}
