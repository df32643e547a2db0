import { useEffect, useId, useState, type ReactNode } from "react";
import { Button, FormAlert, Input, Modal, useFieldErrors } from "../../components";
import { useAction } from "../../lib/useAction";

export interface InviteModalProps {
  open: boolean;
  title: string;
  description: string;
  /** the fields after email and name (roles; their values live with the caller), given
   * the field errors of the last attempt */
  children?: (errors: Record<string, string>) => ReactNode;
  /** field errors of a failed invitation the caller explains better than the API (by field) */
  explain?: (error: unknown) => Record<string, string> | null;
  onClose: () => void;
  /** send the invitation; rejects with the API error (shown under its field, or above) */
  onSubmit: (person: { email: string; name: string }) => Promise<unknown>;
}

/** An invitation by email: who (email, full name), what (the caller's fields), send. */
export function InviteModal({ open, title, description, children, explain, onClose, onSubmit }: InviteModalProps) {
  const formId = useId();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const { busy, error, setError, run } = useAction();
  const [local, setLocal] = useState<Record<string, string>>({});
  const apiErrors = useFieldErrors(error);

  useEffect(() => {
    if (open) {
      setEmail("");
      setName("");
      setError(null);
      setLocal({});
    }
  }, [open]);

  async function submit() {
    const errs: Record<string, string> = {};
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) errs.email = "Enter a valid email address.";
    if (!name.trim()) errs.name = "Enter the person's name.";
    setLocal(errs);
    if (Object.keys(errs).length) return;
    await run(async () => {
      try {
        await onSubmit({ email: email.trim(), name: name.trim() });
      } catch (e) {
        const explained = explain?.(e);
        if (!explained) throw e;
        setLocal(explained); // shown on the fields, not as an alert
      }
    });
  }

  const fe = { ...apiErrors, ...local };
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={title}
      description={description}
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form={formId} loading={busy}>
            Send invitation
          </Button>
        </>
      }
    >
      <form
        id={formId}
        noValidate
        className="flex flex-col gap-4"
        aria-label={title}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <FormAlert error={Object.keys(apiErrors).length ? null : error} />
        <Input label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fe.email} required autoComplete="off" />
        <Input label="Full name" value={name} onChange={(e) => setName(e.target.value)} error={fe.name} required autoComplete="off" />
        {children?.(fe)}
      </form>
    </Modal>
  );
}
