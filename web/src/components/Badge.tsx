import type { ReactNode } from "react";
import { cx } from "../lib/cx";
import { humanize } from "../lib/format";
import { statusTone, TONE_CLASSES, TONE_DOT, type Tone } from "../lib/status";

export type BadgeProps =
  | { status: string; children?: ReactNode; tone?: never; className?: string }
  | { tone: Tone; children: ReactNode; status?: never; className?: string };

/**
 * A small label. With `status` its colour comes from the app-wide status map
 * (STATUS_TONE), so one status always has one colour.
 */
export function Badge(props: BadgeProps) {
  const tone: Tone = props.status !== undefined ? statusTone(props.status) : props.tone;
  const label = props.children ?? (props.status !== undefined ? humanize(props.status) : null);
  return (
    <span
      data-tone={tone}
      className={cx(
        "inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset",
        TONE_CLASSES[tone],
        props.className,
      )}
    >
      {props.status !== undefined && <span aria-hidden="true" className={cx("size-1.5 rounded-full", TONE_DOT[tone])} />}
      {label}
    </span>
  );
}
