import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { Member } from "../../api/types";
import { Alert, Badge, Button, Card, RelativeTime, Table, useToast, type Column } from "../../components";
import { useUser } from "../../lib/auth";
import { errorMessage } from "../../lib/errors";
import { humanize } from "../../lib/format";
import { InviteMemberModal } from "./InviteMemberModal";

const membersKey = (entityId: string) => ["entity-members", entityId] as const;

/** The people of the caller's organisation; owners invite colleagues from here. */
export function TeamCard({ entityId }: { entityId: string }) {
  const user = useUser();
  const qc = useQueryClient();
  const { toast } = useToast();
  const [inviting, setInviting] = useState(false);
  const canInvite = user.entity_role === "owner";
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
