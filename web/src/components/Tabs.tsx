import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { cx } from "../lib/cx";

export interface TabItem {
  id: string;
  label: ReactNode;
  content: ReactNode;
}

export interface TabsProps {
  items: readonly TabItem[];
  /** controlled selected tab */
  value?: string;
  defaultValue?: string;
  onChange?: (id: string) => void;
  label: string;
}

/** WAI-ARIA tabs: arrow keys, Home and End move between tabs. */
export function Tabs({ items, value, defaultValue, onChange, label }: TabsProps) {
  const base = useId();
  const [inner, setInner] = useState(defaultValue ?? items[0]?.id ?? "");
  const selected = value ?? inner;
  const refs = useRef<Map<string, HTMLButtonElement>>(new Map());

  function select(id: string, focus = false) {
    if (value === undefined) setInner(id);
    onChange?.(id);
    if (focus) refs.current.get(id)?.focus();
  }

  function onKeyDown(e: KeyboardEvent) {
    const idx = items.findIndex((t) => t.id === selected);
    let next = -1;
    if (e.key === "ArrowRight") next = (idx + 1) % items.length;
    else if (e.key === "ArrowLeft") next = (idx - 1 + items.length) % items.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = items.length - 1;
    if (next >= 0) {
      e.preventDefault();
      select(items[next]!.id, true);
    }
  }

  return (
    <div>
      <div role="tablist" aria-label={label} className="flex gap-1 overflow-x-auto border-b border-slate-200" onKeyDown={onKeyDown}>
        {items.map((t) => {
          const active = t.id === selected;
          return (
            <button
              key={t.id}
              ref={(el) => {
                if (el) refs.current.set(t.id, el);
                else refs.current.delete(t.id);
              }}
              type="button"
              role="tab"
              id={`${base}-tab-${t.id}`}
              aria-selected={active}
              aria-controls={`${base}-panel-${t.id}`}
              tabIndex={active ? 0 : -1}
              onClick={() => select(t.id)}
              className={cx(
                "-mb-px border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors",
                active ? "border-emerald-500 text-navy-950" : "border-transparent text-slate-500 hover:text-navy-800",
              )}
            >
              {t.label}
            </button>
          );
        })}
      </div>
      {items.map((t) => (
        <div
          key={t.id}
          role="tabpanel"
          id={`${base}-panel-${t.id}`}
          aria-labelledby={`${base}-tab-${t.id}`}
          hidden={t.id !== selected}
          tabIndex={0}
          className="pt-4 focus:outline-none"
        >
          {t.id === selected && t.content}
        </div>
      ))}
    </div>
  );
}
