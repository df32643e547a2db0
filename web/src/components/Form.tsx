import { useMemo, type FormEvent, type FormHTMLAttributes, type ReactNode } from "react";
import { errorMessage, fieldErrors } from "../lib/errors";
import { cx } from "../lib/cx";
import { Alert } from "./Alert";

export interface FormProps extends Omit<FormHTMLAttributes<HTMLFormElement>, "onSubmit"> {
  onSubmit: () => void | Promise<void>;
  children: ReactNode;
}

/** A form that never reloads the page and leaves validation messages to us. */
export function Form({ onSubmit, children, className, ...rest }: FormProps) {
  return (
    <form
      noValidate
      className={cx("flex flex-col gap-4", className)}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void onSubmit();
      }}
      {...rest}
    >
      {children}
    </form>
  );
}

/** Field errors (keyed by field name) of a problem+json validation error. */
export function useFieldErrors(error: unknown): Record<string, string> {
  return useMemo(() => fieldErrors(error), [error]);
}

export interface FormAlertProps {
  error: unknown;
  /** messages for specific problem codes */
  messages?: Record<string, string>;
  title?: string;
  className?: string;
}

/** The form-level error banner; says nothing when there is no error. */
export function FormAlert({ error, messages, title, className }: FormAlertProps) {
  if (!error) return null;
  return (
    <Alert tone="error" title={title} className={className}>
      {errorMessage(error, messages)}
    </Alert>
  );
}
