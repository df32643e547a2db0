import { useEffect, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { EntityRole, Invitation, StaffRole } from "../../api/types";
import { Button, FormAlert, Input, Modal, Select, useFieldErrors } from "../../components";
import { cx } from "../../lib/cx";
import { ENTITY_ROLE_OPTIONS, STAFF_ROLE_OPTIONS } from "./userRoles";

export interface InviteUserModalProps {
  open: boolean;
  onClose: () => void;
  onInvited: (invitation: Invitation) => void;
}

type Kind = "staff" | "client";

export function InviteUserModal({ open, onClose, onInvited }: InviteUserModalProps) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("staff");
  const [role, setRole] = useState<StaffRole>("operations");
  const [entityRole, setEntityRole] = useState<EntityRole>("trader");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const apiErrors = useFieldErrors(error);

  useEffect(() => {
    if (open) {
      setEmail("");
      setName("");
      setKind("staff");
      setRole("operations");
      setEntityRole("trader");
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
    setBusy(true);
    setError(null);
    try {
      const body =
        kind === "staff"
          ? { email: email.trim(), name: name.trim(), role }
          : { email: email.trim(), name: name.trim(), entity_role: entityRole };
      const invitation = await unwrap(api.POST("/api/v1/admin/users/invite", { body }));
      onInvited(invitation);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const fe = { ...apiErrors, ...local };
  return (
    <Modal
      open={open}
      onClose={onClose}
      title="Invite a user"
      description="They'll receive an email with a link to set their password."
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form="invite-user-form" loading={busy}>
            Send invitation
          </Button>
        </>
      }
    >
      <form
        id="invite-user-form"
        noValidate
        className="flex flex-col gap-4"
        aria-label="Invite a user"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <FormAlert error={Object.keys(apiErrors).length ? null : error} />
        <Input label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fe.email} required autoComplete="off" />
        <Input label="Full name" value={name} onChange={(e) => setName(e.target.value)} error={fe.name} required autoComplete="off" />
        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Account type</legend>
          <div className="mt-1.5 grid grid-cols-2 gap-2">
            {(
              [
                ["staff", "Staff", "Backoffice access"],
                ["client", "Client user", "Member of a client entity"],
              ] as const
            ).map(([value, label, hint]) => (
              <label
                key={value}
                className={cx(
                  "flex cursor-pointer flex-col rounded-lg border px-3 py-2.5 text-sm transition-colors has-focus-visible:ring-2 has-focus-visible:ring-emerald-500",
                  kind === value ? "border-navy-700 bg-navy-50/70 ring-1 ring-navy-700" : "border-slate-300 hover:border-slate-400",
                )}
              >
                <input type="radio" name="kind" value={value} checked={kind === value} onChange={() => setKind(value)} className="sr-only" />
                <span className="font-medium text-navy-950">{label}</span>
                <span className="text-xs text-slate-600">{hint}</span>
              </label>
            ))}
          </div>
        </fieldset>
        {kind === "staff" ? (
          <Select label="Staff role" value={role} onChange={(e) => setRole(e.target.value as StaffRole)} options={STAFF_ROLE_OPTIONS} error={fe.role} />
        ) : (
          <Select
            label="Entity role"
            value={entityRole}
            onChange={(e) => setEntityRole(e.target.value as EntityRole)}
            options={ENTITY_ROLE_OPTIONS}
            error={fe.entity_role}
            hint="Owners manage their organisation, traders trade, viewers only read."
          />
        )}
      </form>
    </Modal>
  );
}
