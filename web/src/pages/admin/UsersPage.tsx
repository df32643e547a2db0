import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../api/client";
import { USER_STATUSES, type StaffRole, type User, type UserListQuery, type UserStatus } from "../../api/types";
import {
  Badge,
  Button,
  ConfirmDialog,
  EmptyState,
  FormAlert,
  Input,
  PageHeader,
  ReasonModal,
  RelativeTime,
  Select,
  Table,
  useToast,
  type Column,
} from "../../components";
import { AbsoluteTime } from "../../components/Time";
import { useUser } from "../../lib/auth";
import { canManageUsers } from "../../lib/permissions";
import { humanize } from "../../lib/format";
import { useChannel } from "../../lib/useChannel";
import { useDebounced } from "../../lib/useDebounced";
import { RoleChangeModal } from "../shared/RoleChangeModal";
import { InviteUserModal } from "./InviteUserModal";
import { roleLabel, STAFF_ROLE_OPTIONS } from "./userRoles";

const PAGE_SIZE = 50;

export function UsersPage() {
  const me = useUser();
  const qc = useQueryClient();
  const { toast } = useToast();
  const [search, setSearch] = useState("");
  const [role, setRole] = useState<StaffRole | "">("");
  const [status, setStatus] = useState<UserStatus | "">("");
  const canManage = canManageUsers(me);
  const debouncedSearch = useDebounced(search.trim(), 300);
  const [inviteOpen, setInviteOpen] = useState(false);
  const [roleTarget, setRoleTarget] = useState<User | null>(null);
  const [statusTarget, setStatusTarget] = useState<{ user: User; to: "active" | "disabled" } | null>(null);
  const [totpTarget, setTotpTarget] = useState<User | null>(null);

  const filters: UserListQuery = useMemo(
    () => ({
      limit: PAGE_SIZE,
      ...(role ? { role } : {}),
      ...(status ? { status } : {}),
      ...(debouncedSearch ? { search: debouncedSearch } : {}),
    }),
    [role, status, debouncedSearch],
  );

  const users = useInfiniteQuery({
    queryKey: ["admin", "users", filters],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/users", { params: { query: { ...filters, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });

  useChannel("backoffice", (e) => {
    if (e.event.startsWith("user")) void qc.invalidateQueries({ queryKey: ["admin", "users"] });
  });

  const rows = users.data?.pages.flatMap((p) => p.items);

  function refreshList() {
    void qc.invalidateQueries({ queryKey: ["admin", "users"] });
  }

  async function changeStatus() {
    if (!statusTarget) return;
    const { user, to } = statusTarget;
    const updated = await unwrap(
      api.PATCH("/api/v1/admin/users/{user_id}", { params: { path: { user_id: user.id } }, body: { status: to } }),
    );
    setStatusTarget(null);
    refreshList();
    toast({ title: updated.status === "disabled" ? `${user.email} disabled` : `${user.email} enabled` });
  }

  const columns: Column<User>[] = [
    {
      id: "name",
      header: "User",
      sortValue: (u) => u.name,
      cell: (u) => (
        <div className="min-w-0">
          <p className="font-medium text-navy-950">
            {u.name}
            {u.id === me.id && <span className="ml-2 text-xs font-normal text-slate-500">(you)</span>}
          </p>
          <p className="truncate text-xs text-slate-500">{u.email}</p>
          {/* Small screens: role and status under the name instead of in columns of their own. */}
          <div className="mt-1.5 flex flex-wrap gap-1.5 sm:hidden">
            <Badge tone={u.role ? "navy" : "slate"}>{roleLabel(u)}</Badge>
            <Badge status={u.status} />
          </div>
        </div>
      ),
    },
    {
      id: "role",
      header: "Role",
      hideOnMobile: true,
      sortValue: (u) => roleLabel(u),
      cell: (u) => <Badge tone={u.role ? "navy" : "slate"}>{roleLabel(u)}</Badge>,
    },
    { id: "status", header: "Status", hideOnMobile: true, sortValue: (u) => u.status, cell: (u) => <Badge status={u.status} /> },
    {
      id: "2fa",
      header: "2FA",
      hideOnMobile: true,
      cell: (u) =>
        u.totp_enabled ? (
          <span className="text-emerald-700">On</span>
        ) : (
          // staff must use it; for clients it is their choice
          <span className={u.role ? "text-amber-700" : "text-slate-500"}>Off</span>
        ),
    },
    {
      id: "last_login",
      header: "Last sign-in",
      hideOnMobile: true,
      sortValue: (u) => u.last_login_at ?? "",
      cell: (u) => (u.last_login_at ? <RelativeTime value={u.last_login_at} /> : <span className="text-slate-500">Never</span>),
    },
    {
      id: "created",
      header: "Created",
      className: "hidden 2xl:table-cell",
      sortValue: (u) => u.created_at,
      cell: (u) => <AbsoluteTime value={u.created_at} dateOnly className="whitespace-nowrap" />,
    },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (u) =>
        u.id === me.id || !canManage ? null : (
          <div className="flex justify-end gap-1">
            {u.role && (
              <Button size="sm" variant="ghost" onClick={() => setRoleTarget(u)} aria-label={`Change role of ${u.email}`}>
                Change role
              </Button>
            )}
            {u.totp_enabled && (
              <Button size="sm" variant="ghost" onClick={() => setTotpTarget(u)} aria-label={`Reset two-factor of ${u.email}`}>
                Reset 2FA
              </Button>
            )}
            {u.status === "disabled" ? (
              <Button size="sm" variant="ghost" onClick={() => setStatusTarget({ user: u, to: "active" })} aria-label={`Enable ${u.email}`}>
                Enable
              </Button>
            ) : u.status === "active" ? (
              <Button
                size="sm"
                variant="ghost"
                className="text-red-700 hover:bg-red-50"
                onClick={() => setStatusTarget({ user: u, to: "disabled" })}
                aria-label={`Disable ${u.email}`}
              >
                Disable
              </Button>
            ) : null}
          </div>
        ),
    },
  ];

  const filtered = !!(role || status || debouncedSearch);

  return (
    <>
      <PageHeader
        title="Users"
        description="Staff and client users of the platform."
        actions={canManage ? <Button onClick={() => setInviteOpen(true)}>Invite user</Button> : undefined}
      />
      <div className="mb-4 grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_minmax(0,1fr)]" role="search" aria-label="Filter users">
        <Input label="Search" hideLabel placeholder="Search name or email" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <Select label="Role" hideLabel value={role} onChange={(e) => setRole(e.target.value as StaffRole | "")} placeholder="Any role" options={STAFF_ROLE_OPTIONS} />
        <Select
          label="Status"
          hideLabel
          value={status}
          onChange={(e) => setStatus(e.target.value as UserStatus | "")}
          placeholder="Any status"
          options={USER_STATUSES.map((s) => ({ value: s, label: humanize(s) }))}
        />
      </div>
      {users.isError ? (
        <FormAlert error={users.error} title="Couldn't load users" />
      ) : (
        <Table
          label="Users"
          columns={columns}
          rows={rows}
          rowKey={(u) => u.id}
          loading={users.isPending}
          empty={
            <EmptyState
              title={filtered ? "No users match these filters" : "No users yet"}
              description={filtered ? "Try a different search or clear the filters." : canManage ? "Invite the first user to get started." : undefined}
              action={
                filtered ? (
                  <Button
                    variant="secondary"
                    size="sm"
                    onClick={() => {
                      setSearch("");
                      setRole("");
                      setStatus("");
                    }}
                  >
                    Clear filters
                  </Button>
                ) : undefined
              }
            />
          }
          pagination={{
            hasMore: !!users.hasNextPage,
            onLoadMore: () => void users.fetchNextPage(),
            loadingMore: users.isFetchingNextPage,
          }}
        />
      )}

      <InviteUserModal
        open={inviteOpen}
        onClose={() => setInviteOpen(false)}
        onInvited={(inv) => {
          setInviteOpen(false);
          refreshList();
          toast({ title: "Invitation sent", description: `${inv.email} will get an email with a link to set up their account.` });
        }}
      />
      <RoleChangeModal<StaffRole>
        person={roleTarget ? { ...roleTarget, role: roleTarget.role } : null}
        options={STAFF_ROLE_OPTIONS}
        onClose={() => setRoleTarget(null)}
        onSave={async (newRole) => {
          if (!roleTarget) return;
          const u = await unwrap(
            api.PATCH("/api/v1/admin/users/{user_id}", { params: { path: { user_id: roleTarget.id } }, body: { role: newRole } }),
          );
          setRoleTarget(null);
          refreshList();
          toast({ title: "Role changed", description: `${u.email} is now ${roleLabel(u)}.` });
        }}
      />
      <ReasonModal
        open={!!totpTarget}
        title="Reset two-factor authentication"
        description={
          totpTarget ? (
            <>
              For <strong>{totpTarget.name}</strong> ({totpTarget.email}), who lost their authenticator. Check who is asking first: they will
              be signed out everywhere, emailed, and able to sign in with their password alone until they set it up again.
            </>
          ) : null
        }
        confirmLabel="Reset two-factor"
        reasonHint="How you checked who is asking. Recorded in the audit log and sent to the user."
        minLength={3}
        maxLength={500}
        onClose={() => setTotpTarget(null)}
        onConfirm={async (reason) => {
          if (!totpTarget) return;
          const updated = await unwrap(
            api.POST("/api/v1/admin/users/{user_id}/reset-totp", { params: { path: { user_id: totpTarget.id } }, body: { reason } }),
          );
          refreshList();
          toast({ title: "Two-factor reset", description: `${updated.email} was signed out and can set it up again.` });
        }}
      />
      <ConfirmDialog
        open={!!statusTarget}
        title={statusTarget?.to === "disabled" ? "Disable user" : "Enable user"}
        tone={statusTarget?.to === "disabled" ? "danger" : "primary"}
        confirmLabel={statusTarget?.to === "disabled" ? "Disable user" : "Enable user"}
        confirmText={statusTarget?.to === "disabled" ? statusTarget.user.email : undefined}
        onCancel={() => setStatusTarget(null)}
        onConfirm={changeStatus}
      >
        {statusTarget?.to === "disabled" ? (
          <p>
            <strong>{statusTarget.user.name}</strong> won't be able to sign in until the account is enabled again.
          </p>
        ) : statusTarget ? (
          <p>
            <strong>{statusTarget.user.name}</strong> will be able to sign in again.
          </p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
