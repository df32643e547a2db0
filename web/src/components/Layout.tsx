import type { ReactNode } from "react";
import { cx } from "../lib/cx";

export interface PageHeaderProps {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
}

/** The title row of a page (the page's single h1). */
export function PageHeader({ title, description, actions }: PageHeaderProps) {
  return (
    <div className="mb-6 flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight text-navy-950">{title}</h1>
        {description && <p className="mt-1 max-w-2xl text-sm text-slate-600">{description}</p>}
      </div>
      {actions && <div className="flex shrink-0 flex-wrap gap-2">{actions}</div>}
    </div>
  );
}

export interface CardProps {
  title?: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  /** labels the section landmark */
  as?: "section" | "div";
}

export function Card({ title, description, actions, children, className, as: As = "section" }: CardProps) {
  return (
    <As className={cx("rounded-xl border border-slate-200 bg-white shadow-card", className)}>
      {(title || actions) && (
        <div className="flex flex-col gap-3 border-b border-slate-100 px-5 py-4 sm:flex-row sm:items-center sm:justify-between sm:px-6">
          <div>
            {title && <h2 className="text-base font-semibold text-navy-950">{title}</h2>}
            {description && <p className="mt-0.5 text-sm text-slate-600">{description}</p>}
          </div>
          {actions && <div className="flex gap-2">{actions}</div>}
        </div>
      )}
      <div className="px-5 py-5 sm:px-6">{children}</div>
    </As>
  );
}

export interface EmptyStateProps {
  title: ReactNode;
  description?: ReactNode;
  action?: ReactNode;
}

export function EmptyState({ title, description, action }: EmptyStateProps) {
  return (
    <div className="flex flex-col items-center gap-2 text-center">
      <div className="grid size-10 place-items-center rounded-full bg-navy-50 text-navy-400" aria-hidden="true">
        <svg viewBox="0 0 24 24" className="size-5" fill="none">
          <path d="M4 7h16M4 12h10M4 17h6" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
        </svg>
      </div>
      <p className="text-sm font-semibold text-navy-950">{title}</p>
      {description && <p className="max-w-sm text-sm text-slate-500">{description}</p>}
      {action && <div className="mt-2">{action}</div>}
    </div>
  );
}

/** Definition list of label/value pairs (profiles, details). */
export function DetailList({ items }: { items: readonly { label: string; value: ReactNode }[] }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-4 sm:grid-cols-2">
      {items.map((it) => (
        <div key={it.label} className="min-w-0">
          <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{it.label}</dt>
          <dd className="mt-1 text-sm break-words text-navy-950">{it.value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Logo({ className, inverted }: { className?: string; inverted?: boolean }) {
  return (
    <span className={cx("inline-flex items-center gap-2 font-semibold tracking-tight", className)}>
      <svg viewBox="0 0 32 32" className="size-7" aria-hidden="true">
        <rect width="32" height="32" rx="7" className={inverted ? "fill-white/10" : "fill-navy-950"} />
        <path d="M9 23V9h2.6l8 10.2V9H23v14h-2.6l-8-10.2V23z" className="fill-emerald-400" />
      </svg>
      <span className={inverted ? "text-white" : "text-navy-950"}>Niha</span>
    </span>
  );
}
