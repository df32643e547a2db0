import { useEffect, useState, type ReactNode } from "react";
import { errorMessage } from "../lib/errors";
import { Alert } from "./Alert";
import { Button } from "./Button";
import { Input } from "./Field";
import { Modal } from "./Modal";
import { useAction } from "../lib/useAction";

export interface ConfirmDialogProps {
  open: boolean;
  title: ReactNode;
  children?: ReactNode;
  confirmLabel?: string;
  cancelLabel?: string;
  tone?: "primary" | "danger";
  /**
   * When set, the confirm button stays disabled until exactly this text is
   * typed (for irreversible staff actions).
   */
  confirmText?: string;
  /** may return a promise; the dialog shows progress and any error */
  onConfirm: () => unknown;
  onCancel: () => void;
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel = "Confirm",
  cancelLabel = "Cancel",
  tone = "primary",
  confirmText,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const [typed, setTyped] = useState("");
  const { busy, error, reset, run } = useAction();

  useEffect(() => {
    if (open) {
      setTyped("");
      reset();
    }
  }, [open]);

  const matches = confirmText === undefined || typed.trim() === confirmText;

  async function confirm() {
    if (!matches || busy) return;
    await run(async () => {
      await onConfirm();
    });
  }

  return (
    <Modal
      open={open}
      onClose={onCancel}
      title={title}
      size="sm"
      role="alertdialog"
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onCancel} disabled={busy}>
            {cancelLabel}
          </Button>
          <Button variant={tone === "danger" ? "danger" : "primary"} onClick={confirm} disabled={!matches} loading={busy}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <form
        className="flex flex-col gap-4 text-sm text-slate-700"
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
        }}
      >
        {children && <div>{children}</div>}
        {confirmText !== undefined && (
          <Input
            label={
              <>
                Type <span className="font-mono font-semibold text-navy-950">{confirmText}</span> to confirm
              </>
            }
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        )}
        {error !== null && <Alert tone="error">{errorMessage(error)}</Alert>}
      </form>
    </Modal>
  );
}
