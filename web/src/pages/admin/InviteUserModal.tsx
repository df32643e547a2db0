import { useEffect, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { EntityRole, Invitation, StaffRole } from "../../api/types";
import { Select } from "../../components";
import { cx } from "../../lib/cx";
import { InviteModal } from "../shared/InviteModal";
import { ENTITY_ROLE_OPTIONS, STAFF_ROLE_OPTIONS } from "./userRoles";

export interface InviteUserModalProps {
  open: boolean;
  onClose: () => void;
  onInvited: (invitation: Invitation) => void;
}

type Kind = "staff" | "client";

export function InviteUserModal({ open, onClose, onInvited }: InviteUserModalProps) {
  const [kind, setKind] = useState<Kind>("staff");
  const [role, setRole] = useState<StaffRole>("operations");
  const [entityRole, setEntityRole] = useState<EntityRole>("trader");

  useEffect(() => {
    if (open) {
      setKind("staff");
      setRole("operations");
      setEntityRole("trader");
    }
  }, [open]);

  return (
    <InviteModal
      open={open}
      title="Invite a user"
      description="They'll receive an email with a link to set their password."
      onClose={onClose}
      onSubmit={async ({ email, name }) => {
        const body = kind === "staff" ? { email, name, role } : { email, name, entity_role: entityRole };
        onInvited(await unwrap(api.POST("/api/v1/admin/users/invite", { body })));
      }}
    >
      {(fe) => (
        <>
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
        </>
      )}
    </InviteModal>
  );
}
