import { cx } from "../lib/cx";

export interface SkeletonProps {
  className?: string;
}

/** A grey placeholder block with a pulse, for content that is loading. */
export function Skeleton({ className }: SkeletonProps) {
  return <div aria-hidden="true" className={cx("animate-pulse rounded-md bg-slate-200/80", className ?? "h-4 w-full")} />;
}
