import type { ReactNode } from "react";
import { cx } from "../lib/cx";
import { TONE_DOT, type Tone } from "../lib/status";
import { AbsoluteTime } from "./Time";

export interface TimelineItem {
  id: string;
  title: ReactNode;
  /** ISO 8601 timestamp */
  time: string;
  description?: ReactNode;
  tone?: Tone;
}

export interface TimelineProps {
  items: readonly TimelineItem[];
  label: string;
}

/** A vertical, oldest-first list of events. */
export function Timeline({ items, label }: TimelineProps) {
  return (
    <ol aria-label={label} className="relative flex flex-col">
      {items.map((item, i) => (
        <li key={item.id} className="relative flex gap-4 pb-6 last:pb-0">
          {i < items.length - 1 && <span aria-hidden="true" className="absolute top-4 left-[7px] h-full w-px bg-slate-200" />}
          <span
            aria-hidden="true"
            className={cx("relative mt-1 size-[15px] shrink-0 rounded-full border-[3px] border-white ring-1 ring-slate-200", TONE_DOT[item.tone ?? "navy"])}
          />
          <div className="min-w-0 flex-1">
            <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-0.5">
              <div className="text-sm font-medium text-navy-950">{item.title}</div>
              <AbsoluteTime value={item.time} className="text-xs text-slate-500" />
            </div>
            {item.description && <div className="mt-1 text-sm text-slate-600">{item.description}</div>}
          </div>
        </li>
      ))}
    </ol>
  );
}
