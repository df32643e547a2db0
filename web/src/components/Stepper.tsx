import { cx } from "../lib/cx";

export interface StepperProps {
  steps: readonly string[];
  /** index of the current step */
  current: number;
  label: string;
}

/** Progress through a multi-step flow. */
export function Stepper({ steps, current, label }: StepperProps) {
  return (
    <nav aria-label={label}>
      <ol className="flex items-center gap-2">
        {steps.map((step, i) => {
          const state = i < current ? "done" : i === current ? "current" : "upcoming";
          return (
            <li key={step} className="flex min-w-0 flex-1 items-center gap-2" aria-current={state === "current" ? "step" : undefined}>
              <span
                className={cx(
                  "grid size-7 shrink-0 place-items-center rounded-full text-xs font-semibold",
                  state === "done" && "bg-emerald-600 text-white",
                  state === "current" && "bg-navy-900 text-white ring-4 ring-navy-100",
                  state === "upcoming" && "bg-white text-slate-500 ring-1 ring-slate-300",
                )}
              >
                {state === "done" ? (
                  <svg viewBox="0 0 20 20" className="size-4" aria-hidden="true">
                    <path d="M5 10.5l3.2 3L15 7" stroke="currentColor" strokeWidth="2.2" fill="none" strokeLinecap="round" strokeLinejoin="round" />
                  </svg>
                ) : (
                  i + 1
                )}
              </span>
              <span className={cx("truncate text-sm", state === "upcoming" ? "text-slate-500" : "font-medium text-navy-950")}>
                {step}
                <span className="sr-only">{state === "done" ? " (completed)" : state === "current" ? " (current step)" : ""}</span>
              </span>
              {i < steps.length - 1 && (
                <span aria-hidden="true" className={cx("hidden h-px flex-1 sm:block", i < current ? "bg-emerald-500" : "bg-slate-200")} />
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
