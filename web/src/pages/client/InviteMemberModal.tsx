import { useEffect, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { EntityRole, Member } from "../../api/types";
import { Button, FormAlert, Input, Modal, Select, useFieldErrors } from "../../components";
import { isApiError } from "../../lib/errors";
import { ENTITY_ROLE_OPTIONS } from "../admin/userRoles";

export interface InviteMemberModalProps {
  entityId: string;
  open: boolean;
  onClose: () => void;
  onInvited: (member: Member) => void;
}

/** An owner invites a colleague to their organisation (the server emails a link). */
export function InviteMemberModal({ entityId, open, onClose, onInvited }: InviteMemberModalProps) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<EntityRole>("trader");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const apiErrors = useFieldErrors(error);

  useEffect(() => {
    if (open) {
      setEmail("");
      setName("");
      setRole("trader");
      setError(null);
      setLocal({});
    }
  }, [open]);

  async function submit() {
    const errs: Record<string, string> = {};
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) errs.email = "Enter a valid email address.";
    if (!name.trim()) errs.name = "Enter your colleague's name.";
    setLocal(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setError(null);
    try {
      const member = await unwrap(
        api.POST("/api/v1/onboarding/entity/{entity_id}/members", {
          params: { path: { entity_id: entityId } },
          body: { email: email.trim(), name: name.trim(), entity_role: role },
        }),
      );
      onInvited(member);
    } catch (e) {
      if (isApiError(e, "email_taken")) {
        setLocal({ email: "This address already has a Niha account. Use another address, or contact your Niha account manager." });
      } else {
        setError(e);
      }
    } finally {
      setBusy(false);
    }
  }

  const fe = { ...apiErrors, ...local };
  return (
    <Modal
      open={open}
      onClose={onClose}
      title="Invite a colleague"
      description="They'll receive an email with a link to set their password. The link is valid for 72 hours."
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form="invite-member-form" loading={busy}>
            Send invitation
          </Button>
        </>
      }
    >
      <form
        id="invite-member-form"
        noValidate
        className="flex flex-col gap-4"
        aria-label="Invite a colleague"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <FormAlert error={Object.keys(apiErrors).length ? null : error} />
        <Input label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fe.email} required autoComplete="off" />
        <Input label="Full name" value={name} onChange={(e) => setName(e.target.value)} error={fe.name} required autoComplete="off" />
        <Select
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value as EntityRole)}
          options={ENTITY_ROLE_OPTIONS}
          error={fe.entity_role}
          hint="Owners manage the organisation and its users, traders trade, viewers only read."
        />
      </form>
    </Modal>
  );
}
