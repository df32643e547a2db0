import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { EntityRole, Member, MemberPatch } from "../../api/types";
import { Alert, Badge, Button, Card, ConfirmDialog, RelativeTime, Table, useToast, type Column } from "../../components";
import { useUser } from "../../lib/auth";
import { errorMessage } from "../../lib/errors";
import { humanize } from "../../lib/format";
import { ENTITY_ROLE_OPTIONS } from "../admin/userRoles";
import { RoleChangeModal } from "../shared/RoleChangeModal";
import { InviteMemberModal } from "./InviteMemberModal";

const membersKey = (entityId: string) => ["entity-members", entityId] as const;

/** The people of the caller's organisation; owners invite colleagues from here. */
export function TeamCard({ entityId }: { entityId: string }) {
  const user = useUser();
  const qc = useQueryClient();
  const { toast } = useToast();
  const [inviting, setInviting] = useState(false);
  const [roleTarget, setRoleTarget] = useState<Member | null>(null);
  const [accessTarget, setAccessTarget] = useState<{ member: Member; to: "active" | "disabled" } | null>(null);
  const canInvite = user.entity_role === "owner";

  async function patch(member: Member, body: MemberPatch): Promise<Member> {
    const updated = await unwrap(
      api.PATCH("/api/v1/onboarding/entity/{entity_id}/members/{user_id}", { params: { path: { entity_id: entityId, user_id: member.id } }, body }),
    );
    void qc.invalidateQueries({ queryKey: membersKey(entityId) });
    return updated;
  }
  const members = useQuery({
    queryKey: membersKey(entityId),
    queryFn: () => unwrap(api.GET("/api/v1/onboarding/entity/{entity_id}/members", { params: { path: { entity_id: entityId } } })),
  });

  const columns: Column<Member>[] = [
    {
      id: "name",
      header: "Name",
      sortValue: (m) => m.name.toLowerCase(),
      cell: (m) => (
        <span className="flex flex-col">
          <span className="flex items-center gap-2 font-medium text-navy-950">
            {m.name}
            {m.id === user.id && <Badge tone="navy">You</Badge>}
          </span>
          <span className="text-xs text-slate-600">{m.email}</span>
        </span>
      ),
    },
    {
      id: "role",
      header: "Role",
      sortValue: (m) => m.entity_role ?? "",
      cell: (m) => (m.entity_role ? humanize(m.entity_role) : "—"),
    },
    { id: "status", header: "Status", cell: (m) => <Badge status={m.status} /> },
    {
      id: "last",
      header: "Last sign-in",
      hideOnMobile: true,
      cell: (m) =>
        m.last_login_at ? (
          <RelativeTime value={m.last_login_at} />
        ) : (
          <span className="text-slate-500">{m.status === "invited" ? "Not joined yet" : "Never"}</span>
        ),
    },
    ...(canInvite
      ? [
          {
            id: "actions",
            header: <span className="sr-only">Actions</span>,
            align: "right" as const,
            cell: (m: Member) =>
              m.id === user.id ? null : (
                <div className="flex justify-end gap-1">
                  {m.status !== "disabled" && (
                    <Button size="sm" variant="ghost" onClick={() => setRoleTarget(m)} aria-label={`Change role of ${m.email}`}>
                      Change role
                    </Button>
                  )}
                  {m.status === "disabled" ? (
                    <Button size="sm" variant="ghost" onClick={() => setAccessTarget({ member: m, to: "active" })} aria-label={`Restore access of ${m.email}`}>
                      Restore access
                    </Button>
                  ) : (
                    <Button
                      size="sm"
                      variant="ghost"
                      className="text-red-700 hover:bg-red-50"
                      onClick={() => setAccessTarget({ member: m, to: "disabled" })}
                      aria-label={`Remove access of ${m.email}`}
                    >
                      Remove access
                    </Button>
                  )}
                </div>
              ),
          },
        ]
      : []),
  ];

  return (
    <Card
      title="Your team"
      description={canInvite ? "Everyone with access to your organisation's account." : "Everyone with access to your organisation's account. Owners invite new colleagues."}
      actions={canInvite ? <Button onClick={() => setInviting(true)}>Invite a colleague</Button> : undefined}
    >
      {members.isError ? (
        <Alert
          tone="error"
          title="Couldn't load your team"
          action={
            <Button size="sm" variant="secondary" onClick={() => void members.refetch()}>
              Try again
            </Button>
          }
        >
          {errorMessage(members.error)}
        </Alert>
      ) : (
        <Table
          label="Team members"
          columns={columns}
          rows={members.data}
          rowKey={(m) => m.id}
          loading={members.isPending}
          skeletonRows={3}
          initialSort={{ column: "name", direction: "ascending" }}
          empty="No one else has access yet."
        />
      )}
      <RoleChangeModal<EntityRole>
        person={roleTarget ? { ...roleTarget, role: roleTarget.entity_role } : null}
        options={ENTITY_ROLE_OPTIONS}
        hint="Owners manage the organisation and its users, traders trade, viewers only read."
        onClose={() => setRoleTarget(null)}
        onSave={async (entityRole) => {
          if (!roleTarget) return;
          const updated = await patch(roleTarget, { entity_role: entityRole });
          setRoleTarget(null);
          toast({ title: "Role changed", description: `${updated.name} is now ${humanize(updated.entity_role ?? "member")}.` });
        }}
      />
      <ConfirmDialog
        open={!!accessTarget}
        title={accessTarget?.to === "disabled" ? "Remove access" : "Restore access"}
        tone={accessTarget?.to === "disabled" ? "danger" : "primary"}
        confirmLabel={accessTarget?.to === "disabled" ? "Remove access" : "Restore access"}
        onCancel={() => setAccessTarget(null)}
        onConfirm={async () => {
          if (!accessTarget) return;
          const updated = await patch(accessTarget.member, { status: accessTarget.to });
          setAccessTarget(null);
          toast({ title: accessTarget.to === "disabled" ? "Access removed" : "Access restored", description: updated.email });
        }}
      >
        {accessTarget?.to === "disabled" ? (
          <p>
            <strong>{accessTarget.member.name}</strong> is signed out at once and can no longer sign in to your organisation's account
            {accessTarget.member.status === "invited" ? "; their invitation stops working" : ""}.
          </p>
        ) : accessTarget ? (
          <p>
            <strong>{accessTarget.member.name}</strong> can sign in again. Someone who never joined needs a new invitation.
          </p>
        ) : null}
      </ConfirmDialog>
      {canInvite && (
        <InviteMemberModal
          entityId={entityId}
          open={inviting}
          onClose={() => setInviting(false)}
          onInvited={(m) => {
            setInviting(false);
            void qc.invalidateQueries({ queryKey: membersKey(entityId) });
            toast({ title: "Invitation sent", description: `${m.name} (${m.email}) can join as ${humanize(m.entity_role ?? "member")}.` });
          }}
        />
      )}
    </Card>
  );
}
