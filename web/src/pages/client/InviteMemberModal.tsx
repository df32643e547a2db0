import { useEffect, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { EntityRole, Member } from "../../api/types";
import { Select } from "../../components";
import { isApiError } from "../../lib/errors";
import { ENTITY_ROLE_OPTIONS } from "../admin/userRoles";
import { InviteModal } from "../shared/InviteModal";

export interface InviteMemberModalProps {
  entityId: string;
  open: boolean;
  onClose: () => void;
  onInvited: (member: Member) => void;
}

/** An owner invites a colleague to their organisation (the server emails a link). */
export function InviteMemberModal({ entityId, open, onClose, onInvited }: InviteMemberModalProps) {
  const [role, setRole] = useState<EntityRole>("trader");
  useEffect(() => {
    if (open) setRole("trader");
  }, [open]);

  return (
    <InviteModal
      open={open}
      title="Invite a colleague"
      description="They'll receive an email with a link to set their password. The link is valid for 72 hours."
      onClose={onClose}
      explain={(e) =>
        isApiError(e, "email_taken") ? { email: "This address already has a Niha account. Use another address, or contact your Niha account manager." } : null
      }
      onSubmit={async ({ email, name }) => {
        const member = await unwrap(
          api.POST("/api/v1/onboarding/entity/{entity_id}/members", {
            params: { path: { entity_id: entityId } },
            body: { email, name, entity_role: role },
          }),
        );
        onInvited(member);
      }}
    >
      {(errors) => (
        <Select
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value as EntityRole)}
          options={ENTITY_ROLE_OPTIONS}
          error={errors.entity_role}
          hint="Owners manage the organisation and its users, traders trade, viewers only read."
        />
      )}
    </InviteModal>
  );
}
