import { useEffect, useId, useRef, type ReactNode, type RefObject } from "react";
import { createPortal } from "react-dom";
import { cx } from "../lib/cx";

export interface ModalProps {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  children?: ReactNode;
  footer?: ReactNode;
  size?: "sm" | "md" | "lg" | "xl";
  /** "drawer" slides in from the right, full height */
  variant?: "center" | "drawer";
  /** element to focus when opening (defaults to the first focusable one) */
  initialFocus?: RefObject<HTMLElement | null>;
  /** false keeps the dialog open on Escape and backdrop clicks (e.g. while saving) */
  dismissible?: boolean;
  role?: "dialog" | "alertdialog";
}

const FOCUSABLE =
  'a[href], area[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), iframe, [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';

const SIZES = { sm: "max-w-sm", md: "max-w-lg", lg: "max-w-2xl", xl: "max-w-4xl" } as const;

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute("inert"));
}

let openCount = 0;

/**
 * Accessible modal dialog: labelled by its title, traps Tab focus, closes on
 * Escape, returns focus to the opener, and locks background scrolling.
 */
export function Modal({
  open,
  onClose,
  title,
  description,
  children,
  footer,
  size = "md",
  variant = "center",
  initialFocus,
  dismissible = true,
  role = "dialog",
}: ModalProps) {
  const titleId = useId();
  const descId = useId();
  const panel = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  const dismissibleRef = useRef(dismissible);
  useEffect(() => {
    onCloseRef.current = onClose;
    dismissibleRef.current = dismissible;
  });

  useEffect(() => {
    if (!open) return;
    const opener = document.activeElement as HTMLElement | null;
    openCount += 1;
    document.body.classList.add("overflow-hidden");
    const el = panel.current;
    const inBody = el?.querySelector<HTMLElement>("[data-modal-body]");
    const inFooter = el?.querySelector<HTMLElement>("[data-modal-footer]");
    const target =
      initialFocus?.current ??
      (inBody ? focusables(inBody)[0] : undefined) ??
      (inFooter ? focusables(inFooter)[0] : undefined) ??
      (el ? focusables(el)[0] : undefined) ??
      el;
    target?.focus();

    const onKey = (e: KeyboardEvent) => {
      if (!panel.current) return;
      // only the top-most dialog reacts
      const dialogs = document.querySelectorAll("[data-modal-panel]");
      if (dialogs[dialogs.length - 1] !== panel.current) return;
      if (e.key === "Escape") {
        if (dismissibleRef.current) {
          e.stopPropagation();
          onCloseRef.current();
        }
        return;
      }
      if (e.key !== "Tab") return;
      const items = focusables(panel.current);
      if (items.length === 0) {
        e.preventDefault();
        panel.current.focus();
        return;
      }
      const first = items[0]!;
      const last = items[items.length - 1]!;
      const active = document.activeElement;
      if (e.shiftKey && (active === first || !panel.current.contains(active))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !panel.current.contains(active))) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      openCount -= 1;
      if (openCount === 0) document.body.classList.remove("overflow-hidden");
      if (opener && document.contains(opener)) opener.focus();
    };
  }, [open]);

  if (!open) return null;
  const drawer = variant === "drawer";
  return createPortal(
    <div className="fixed inset-0 z-50">
      <div
        className="absolute inset-0 animate-fade-in bg-navy-950/40 backdrop-blur-[2px]"
        aria-hidden="true"
        onMouseDown={() => dismissible && onClose()}
      />
      <div
        className={cx(
          "pointer-events-none absolute inset-0 flex",
          drawer ? "justify-end" : "items-end justify-center p-0 sm:items-center sm:p-4",
        )}
      >
        <div
          ref={panel}
          data-modal-panel=""
          role={role}
          aria-modal="true"
          aria-labelledby={titleId}
          aria-describedby={description ? descId : undefined}
          tabIndex={-1}
          className={cx(
            "pointer-events-auto flex max-h-full w-full flex-col overflow-hidden bg-white shadow-overlay focus:outline-none",
            drawer
              ? "h-full max-w-3xl animate-slide-in sm:border-l sm:border-slate-200"
              : cx("max-h-[92vh] animate-pop-in rounded-t-2xl sm:rounded-2xl", SIZES[size]),
          )}
        >
          <div className="flex items-start gap-4 border-b border-slate-100 px-5 py-4 sm:px-6">
            <div className="min-w-0 flex-1">
              <h2 id={titleId} className="text-base font-semibold text-navy-950">
                {title}
              </h2>
              {description && (
                <div id={descId} className="mt-1 text-sm text-slate-600">
                  {description}
                </div>
              )}
            </div>
            {dismissible && (
              <button
                type="button"
                onClick={onClose}
                aria-label="Close"
                className="-mr-2 rounded-md p-1.5 text-slate-500 hover:bg-slate-100 hover:text-slate-700"
              >
                <svg viewBox="0 0 20 20" className="size-5" aria-hidden="true">
                  <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
                </svg>
              </button>
            )}
          </div>
          {children !== undefined && <div data-modal-body="" className="min-h-0 flex-1 overflow-y-auto px-5 py-5 sm:px-6">{children}</div>}
          {footer && (
            <div data-modal-footer="" className="flex flex-col-reverse gap-2 border-t border-slate-100 bg-slate-50/60 px-5 py-3 sm:flex-row sm:justify-end sm:px-6">
              {footer}
            </div>
          )}
        </div>
      </div>
    </div>,
    document.body,
  );
}
