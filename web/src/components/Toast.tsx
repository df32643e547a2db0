import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { cx } from "../lib/cx";

export type ToastTone = "success" | "error" | "info";

export interface ToastOptions {
  title: string;
  description?: string;
  tone?: ToastTone;
  /** ms; 0 keeps it until dismissed */
  duration?: number;
}

interface ToastItem extends Required<Omit<ToastOptions, "description">> {
  id: number;
  description?: string;
}

interface ToastContextValue {
  toast: (opts: ToastOptions) => number;
  dismiss: (id: number) => void;
}

const ToastContext = createContext<ToastContextValue | null>(null);

const TONES: Record<ToastTone, { bar: string; icon: ReactNode }> = {
  success: {
    bar: "bg-emerald-500",
    icon: <path d="M5 10.5l3.2 3L15 7" stroke="currentColor" strokeWidth="2" fill="none" strokeLinecap="round" strokeLinejoin="round" />,
  },
  error: {
    bar: "bg-red-500",
    icon: <path d="M10 6v5M10 14h.01" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  },
  info: {
    bar: "bg-navy-500",
    icon: <path d="M10 9v5M10 6h.01" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  },
};

const ICON_COLOR: Record<ToastTone, string> = {
  success: "text-emerald-600 bg-emerald-50",
  error: "text-red-600 bg-red-50",
  info: "text-navy-600 bg-navy-50",
};

function ToastCard({ item, onDismiss }: { item: ToastItem; onDismiss: () => void }) {
  const dismissRef = useRef(onDismiss);
  useEffect(() => {
    dismissRef.current = onDismiss;
  });
  useEffect(() => {
    if (!item.duration) return;
    const t = setTimeout(() => dismissRef.current(), item.duration);
    return () => clearTimeout(t);
  }, [item.duration]);
  return (
    <div
      role={item.tone === "error" ? "alert" : "status"}
      className="pointer-events-auto relative flex w-full animate-pop-in items-start gap-3 overflow-hidden rounded-xl border border-slate-200 bg-white py-3 pr-3 pl-4 shadow-overlay"
    >
      <span className={cx("absolute inset-y-0 left-0 w-1", TONES[item.tone].bar)} aria-hidden="true" />
      <span className={cx("mt-0.5 grid size-6 shrink-0 place-items-center rounded-full", ICON_COLOR[item.tone])}>
        <svg viewBox="0 0 20 20" className="size-4" aria-hidden="true">
          {TONES[item.tone].icon}
        </svg>
      </span>
      <div className="min-w-0 flex-1 text-sm">
        <p className="font-semibold text-navy-950">{item.title}</p>
        {item.description && <p className="mt-0.5 text-slate-600">{item.description}</p>}
      </div>
      <button
        type="button"
        onClick={onDismiss}
        aria-label="Dismiss notification"
        className="rounded-md p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600"
      >
        <svg viewBox="0 0 20 20" className="size-4" aria-hidden="true">
          <path d="M6 6l8 8M14 6l-8 8" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
        </svg>
      </button>
    </div>
  );
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setItems((xs) => xs.filter((x) => x.id !== id)), []);
  const toast = useCallback((opts: ToastOptions) => {
    const id = nextId.current++;
    const tone = opts.tone ?? "success";
    const item: ToastItem = {
      id,
      title: opts.title,
      description: opts.description,
      tone,
      duration: opts.duration ?? (tone === "error" ? 8000 : 5000),
    };
    setItems((xs) => [...xs.slice(-3), item]);
    return id;
  }, []);
  const value = useMemo(() => ({ toast, dismiss }), [toast, dismiss]);

  return (
    <ToastContext.Provider value={value}>
      {children}
      <div
        role="region"
        aria-live="polite"
        aria-label="Notifications"
        className="pointer-events-none fixed inset-x-0 bottom-0 z-[60] flex flex-col items-center gap-2 p-4 sm:inset-x-auto sm:right-0 sm:w-96 sm:items-end"
      >
        {items.map((item) => (
          <ToastCard key={item.id} item={item} onDismiss={() => dismiss(item.id)} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastContextValue {
  const ctx = useContext(ToastContext);
  if (!ctx) throw new Error("useToast must be used inside <ToastProvider>");
  return ctx;
}
