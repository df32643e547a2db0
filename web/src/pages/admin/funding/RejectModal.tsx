import { useEffect, useState, type ReactNode } from "react";
import { Button, FormAlert, Modal, Textarea } from "../../../components";

/** A reason, then a destructive action. */
export function RejectModal({
  title,
  description,
  open,
  onClose,
  onReject,
  confirmLabel = "Reject",
}: {
  title: string;
  confirmLabel?: string;
  description: ReactNode;
  open: boolean;
  onClose: () => void;
  onReject: (reason: string) => Promise<unknown>;
}) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (open) {
      setReason("");
      setError(null);
    }
  }, [open]);
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={title}
      description={description}
      size="sm"
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button
            variant="danger"
            disabled={!reason.trim()}
            loading={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onReject(reason.trim());
                onClose();
              } catch (e) {
                setError(e);
              } finally {
                setBusy(false);
              }
            }}
          >
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-3">
        <Textarea label="Reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} required />
        <FormAlert error={error} />
      </div>
    </Modal>
  );
}

