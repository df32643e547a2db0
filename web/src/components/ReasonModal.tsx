import { useEffect, useId, useState, type ReactNode } from "react";
import { Button } from "./Button";
import { Textarea } from "./Field";
import { FormAlert, useFieldErrors } from "./Form";
import { Modal } from "./Modal";
import { useAction } from "../lib/useAction";

/**
 * A confirmation that needs a reason (it goes to the audit log): halt, resume, cancel an
 * order on a client's behalf, reject a deposit or a withdrawal. The reason's own API
 * error shows under the field.
 */
export function ReasonModal({
  open,
  title,
  description,
  children,
  confirmLabel,
  tone = "danger",
  reasonLabel = "Reason",
  reasonHint = "Recorded in the audit log.",
  minLength = 1,
  maxLength = 2000,
  onClose,
  onConfirm,
}: {
  open: boolean;
  title: string;
  description?: ReactNode;
  children?: ReactNode;
  confirmLabel: string;
  tone?: "primary" | "danger";
  reasonLabel?: string;
  reasonHint?: string;
  /** the shortest reason accepted (trimmed) */
  minLength?: number;
  maxLength?: number;
  onClose: () => void;
  /** resolves when done (the modal closes), rejects with the API error (shown) */
  onConfirm: (reason: string) => Promise<unknown>;
}) {
  const formId = useId();
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const { busy, error, reset, run } = useAction();
  const fe = useFieldErrors(error);
  useEffect(() => {
    if (open) {
      setReason("");
      setTouched(false);
      reset();
    }
  }, [open]);

  const trimmed = reason.trim();
  const tooShort = trimmed.length < minLength;
  const localError = touched && tooShort ? minLength > 1 ? `Give a reason of at least ${minLength} characters.` : "Give a reason." : null;

  async function submit() {
    setTouched(true);
    if (tooShort || busy) return;
    await run(async () => {
      await onConfirm(trimmed);
      onClose();
    });
  }

  return (
    <Modal
      open={open}
      onClose={onClose}
      title={title}
      description={description}
      role="alertdialog"
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Back
          </Button>
          <Button type="submit" form={formId} variant={tone === "danger" ? "danger" : "primary"} loading={busy}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        aria-label={title}
        className="flex flex-col gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {children}
        <Textarea
          label={reasonLabel}
          hint={reasonHint}
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          onBlur={() => trimmed && setTouched(true)}
          error={localError ?? fe.reason ?? null}
          maxLength={maxLength}
          required
        />
        <FormAlert error={fe.reason ? null : error} />
      </form>
    </Modal>
  );
}
