import {
  forwardRef,
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";
import { cx } from "../lib/cx";

interface FieldChrome {
  label: ReactNode;
  /** help text under the control */
  hint?: ReactNode;
  /** validation message; marks the control invalid */
  error?: string | null;
  /** visually hide the label (it stays the accessible name) */
  hideLabel?: boolean;
  containerClassName?: string;
}

interface FieldFrameProps extends FieldChrome {
  id: string;
  required?: boolean;
  children: ReactNode;
}

function FieldFrame({ id, label, hint, error, hideLabel, required, containerClassName, children }: FieldFrameProps) {
  return (
    <div className={cx("flex flex-col gap-1.5", containerClassName)}>
      <label htmlFor={id} className={cx("text-sm font-medium text-slate-800", hideLabel && "sr-only")}>
        {label}
        {required && (
          <span className="ml-0.5 text-red-600" aria-hidden="true">
            *
          </span>
        )}
      </label>
      {children}
      {hint && !error && (
        <p id={`${id}-hint`} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, hint: ReactNode, error?: string | null): string | undefined {
  if (error) return `${id}-error`;
  if (hint) return `${id}-hint`;
  return undefined;
}

export const controlClass = (invalid: boolean, extra?: string) =>
  cx(
    "block w-full rounded-lg border bg-white px-3 text-sm text-slate-900 shadow-sm placeholder:text-slate-400",
    "focus:outline-none focus:ring-2 focus:ring-offset-0 disabled:bg-slate-50 disabled:text-slate-500",
    invalid
      ? "border-red-400 focus:border-red-500 focus:ring-red-500/20"
      : "border-slate-300 focus:border-emerald-500 focus:ring-emerald-500/20",
    extra,
  );

export interface InputProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "size">, FieldChrome {}

export const Input = forwardRef<HTMLInputElement, InputProps>(function Input(
  { label, hint, error, hideLabel, containerClassName, id, className, required, ...rest },
  ref,
) {
  const autoId = useId();
  const cid = id ?? autoId;
  return (
    <FieldFrame {...{ id: cid, label, hint, error, hideLabel, required, containerClassName }}>
      <input
        ref={ref}
        id={cid}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(cid, hint, error)}
        className={controlClass(!!error, cx("h-10", className))}
        {...rest}
      />
    </FieldFrame>
  );
});

export interface SelectOption {
  value: string;
  label: string;
  disabled?: boolean;
}

export interface SelectProps extends SelectHTMLAttributes<HTMLSelectElement>, FieldChrome {
  options: readonly SelectOption[];
  /** a first, empty option (e.g. "Any role") */
  placeholder?: string;
}

export const Select = forwardRef<HTMLSelectElement, SelectProps>(function Select(
  { label, hint, error, hideLabel, containerClassName, id, className, required, options, placeholder, ...rest },
  ref,
) {
  const autoId = useId();
  const cid = id ?? autoId;
  return (
    <FieldFrame {...{ id: cid, label, hint, error, hideLabel, required, containerClassName }}>
      <select
        ref={ref}
        id={cid}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(cid, hint, error)}
        className={controlClass(!!error, cx("h-10 pr-8", className))}
        {...rest}
      >
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
});

export interface TextareaProps extends TextareaHTMLAttributes<HTMLTextAreaElement>, FieldChrome {}

export const Textarea = forwardRef<HTMLTextAreaElement, TextareaProps>(function Textarea(
  { label, hint, error, hideLabel, containerClassName, id, className, required, rows = 4, ...rest },
  ref,
) {
  const autoId = useId();
  const cid = id ?? autoId;
  return (
    <FieldFrame {...{ id: cid, label, hint, error, hideLabel, required, containerClassName }}>
      <textarea
        ref={ref}
        id={cid}
        rows={rows}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(cid, hint, error)}
        className={controlClass(!!error, cx("py-2", className))}
        {...rest}
      />
    </FieldFrame>
  );
});
