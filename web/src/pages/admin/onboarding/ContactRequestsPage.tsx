import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { CONTACT_STATUSES, type ContactRequest, type ContactRequestQuery, type ContactStatus } from "../../../api/onboarding";
import {
  Button,
  DetailList,
  EmptyState,
  FormAlert,
  Input,
  Modal,
  PageHeader,
  RelativeTime,
  Select,
  Table,
  Textarea,
  useToast,
  type Column,
} from "../../../components";
import { AbsoluteTime } from "../../../components/Time";
import { useUser } from "../../../lib/auth";
import { useChannel } from "../../../lib/useChannel";
import { useDebounced } from "../../../lib/useDebounced";
import { countryName, INTEREST_LABEL } from "../../onboarding/labels";
import { StatusBadge, statusLabel } from "../../onboarding/shared";
import { canManageContacts } from "./can";

const PAGE_SIZE = 50;
const NEXT: Record<ContactStatus, ContactStatus[]> = {
  NEW: ["CONTACTED", "CLOSED"],
  CONTACTED: ["CONVERTED", "CLOSED"],
  CONVERTED: [],
  CLOSED: [],
};
const MOVE_LABEL: Partial<Record<ContactStatus, string>> = {
  CONTACTED: "Mark as contacted",
  CONVERTED: "Mark as converted",
  CLOSED: "Close request",
};

function ContactDrawer({
  request,
  canManage,
  onClose,
  onChanged,
}: {
  request: ContactRequest | null;
  canManage: boolean;
  onClose: () => void;
  onChanged: (r: ContactRequest, message: string) => void;
}) {
  const [notes, setNotes] = useState("");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [shownFor, setShownFor] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirmInvite, setConfirmInvite] = useState(false);
  if (request && shownFor !== request.id) {
    setShownFor(request.id);
    setNotes(request.notes ?? "");
    setName(request.name);
    setEmail(request.email);
    setError(null);
    setConfirmInvite(false);
  }
  if (!request) return <Modal open={false} onClose={onClose} title="Contact request" />;

  async function patch(body: { status?: ContactStatus; notes?: string | null }, message: string) {
    if (!request) return;
    setBusy(body.status ?? "notes");
    setError(null);
    try {
      const updated = await unwrap(
        api.PATCH("/api/v1/admin/contact-requests/{request_id}", { params: { path: { request_id: request.id } }, body }),
      );
      onChanged(updated, message);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  async function invite() {
    if (!request) return;
    setBusy("invite");
    setError(null);
    try {
      const updated = await unwrap(
        api.POST("/api/v1/admin/contact-requests/{request_id}/invite", {
          params: { path: { request_id: request.id } },
          body: {
            ...(name.trim() !== request.name ? { name: name.trim() } : {}),
            ...(email.trim().toLowerCase() !== request.email ? { email: email.trim() } : {}),
          },
        }),
      );
      onChanged(updated, `Invitation sent to ${email.trim()}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  const invitable = request.status !== "CLOSED";
  return (
    <Modal
      open
      onClose={onClose}
      variant="drawer"
      size="lg"
      title={request.company || request.name}
      description={
        <>
          Received <AbsoluteTime value={request.created_at} /> · <StatusBadge status={request.status} />
        </>
      }
      dismissible={!busy}
    >
      <div className="flex flex-col gap-6">
        <FormAlert error={error} messages={{ email_taken: "This email address already belongs to a user." }} />
        <DetailList
          items={[
            { label: "Name", value: request.name },
            { label: "Email", value: <a className="text-navy-800 underline" href={`mailto:${request.email}`}>{request.email}</a> },
            { label: "Company", value: request.company ?? "— (individual)" },
            { label: "Country", value: `${countryName(request.country)} (${request.country})` },
            { label: "Interest", value: INTEREST_LABEL[request.interest] },
            { label: "From IP", value: request.ip ?? "—" },
          ]}
        />
        <section aria-label="Message">
          <h3 className="text-xs font-medium tracking-wide text-slate-500 uppercase">Message</h3>
          <p className="mt-1 rounded-lg bg-slate-50 p-3 text-sm whitespace-pre-line text-navy-950">{request.message}</p>
        </section>
        {canManage ? (
          <>
            <section aria-label="Notes" className="flex flex-col gap-2">
              <Textarea label="Internal notes" rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={5000} />
              <div className="flex justify-end">
                <Button
                  size="sm"
                  variant="secondary"
                  disabled={(request.notes ?? "") === notes.trim()}
                  loading={busy === "notes"}
                  onClick={() => patch({ notes: notes.trim() || null }, "Notes saved")}
                >
                  Save notes
                </Button>
              </div>
            </section>
            {NEXT[request.status].length > 0 && (
              <section aria-label="Status" className="flex flex-wrap gap-2">
                {NEXT[request.status].map((s) => (
                  <Button key={s} size="sm" variant={s === "CLOSED" ? "ghost" : "secondary"} loading={busy === s} disabled={!!busy} onClick={() => patch({ status: s }, `${statusLabel(s)}`)}>
                    {MOVE_LABEL[s]}
                  </Button>
                ))}
              </section>
            )}
            {invitable && (
              <section aria-label="Invitation" className="rounded-xl border border-slate-200 p-4">
                <h3 className="font-semibold text-navy-950">{request.invited_user_id ? "Invitation sent" : "Invite as client owner"}</h3>
                <p className="mt-1 text-sm text-slate-600">
                  {request.invited_user_id ? (
                    <>
                      Invited <RelativeTime value={request.invited_at ?? request.updated_at} />. Send a fresh link if it expired.
                    </>
                  ) : (
                    "They receive an email to set a password, then set up their organisation and upload KYC documents."
                  )}
                </p>
                {confirmInvite ? (
                  <div className="mt-4 flex flex-col gap-3">
                    <Input label="Invite name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
                    <Input label="Invite email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} maxLength={320} />
                    <div className="flex justify-end gap-2">
                      <Button variant="secondary" size="sm" onClick={() => setConfirmInvite(false)} disabled={busy === "invite"}>
                        Cancel
                      </Button>
                      <Button size="sm" onClick={invite} loading={busy === "invite"} disabled={!name.trim() || !email.trim()}>
                        Send invitation
                      </Button>
                    </div>
                  </div>
                ) : (
                  <Button className="mt-4" size="sm" onClick={() => setConfirmInvite(true)} disabled={!!busy}>
                    {request.invited_user_id ? "Re-send invitation" : "Invite"}
                  </Button>
                )}
              </section>
            )}
          </>
        ) : (
          request.notes && (
            <section aria-label="Notes">
              <h3 className="text-xs font-medium tracking-wide text-slate-500 uppercase">Internal notes</h3>
              <p className="mt-1 text-sm whitespace-pre-line">{request.notes}</p>
            </section>
          )
        )}
      </div>
    </Modal>
  );
}

/** /admin/contact-requests: the queue of prospects from the public form. */
export function ContactRequestsPage() {
  const me = useUser();
  const qc = useQueryClient();
  const { toast } = useToast();
  const [status, setStatus] = useState<ContactStatus | "">("NEW");
  const [search, setSearch] = useState("");
  const debounced = useDebounced(search.trim(), 300);
  const [open, setOpen] = useState<ContactRequest | null>(null);
  const canManage = canManageContacts(me);

  const filters: ContactRequestQuery = useMemo(
    () => ({ limit: PAGE_SIZE, ...(status ? { status } : {}), ...(debounced ? { search: debounced } : {}) }),
    [status, debounced],
  );
  const list = useInfiniteQuery({
    queryKey: ["admin", "contact-requests", filters],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/contact-requests", { params: { query: { ...filters, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  useChannel("backoffice", (e) => {
    if (e.event.startsWith("contact_request.")) void qc.invalidateQueries({ queryKey: ["admin", "contact-requests"] });
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  const columns: Column<ContactRequest>[] = [
    {
      id: "who",
      header: "Prospect",
      cell: (r) => (
        <span className="block min-w-0">
          <span className="block font-medium text-navy-950">{r.company || r.name}</span>
          <span className="block truncate text-xs font-normal text-slate-500">
            {r.company ? `${r.name} · ` : ""}
            {r.email}
          </span>
        </span>
      ),
    },
    { id: "country", header: "Country", hideOnMobile: true, cell: (r) => countryName(r.country) },
    { id: "interest", header: "Interest", hideOnMobile: true, cell: (r) => INTEREST_LABEL[r.interest] },
    { id: "status", header: "Status", cell: (r) => <StatusBadge status={r.status} /> },
    { id: "received", header: "Received", hideOnMobile: true, sortValue: (r) => r.created_at, cell: (r) => <RelativeTime value={r.created_at} /> },
  ];

  return (
    <>
      <PageHeader title="Contact requests" description="Prospects who asked for access through the public form." />
      <div className="mb-4 grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]" role="search" aria-label="Filter contact requests">
        <Input label="Search" hideLabel type="search" placeholder="Search name, email or company" value={search} onChange={(e) => setSearch(e.target.value)} />
        <Select
          label="Status"
          hideLabel
          value={status}
          onChange={(e) => setStatus(e.target.value as ContactStatus | "")}
          placeholder="Any status"
          options={CONTACT_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
        />
      </div>
      {list.isError ? (
        <FormAlert error={list.error} title="Couldn't load contact requests" />
      ) : (
        <Table
          label="Contact requests"
          columns={columns}
          rows={rows}
          rowKey={(r) => r.id}
          loading={list.isPending}
          onRowClick={(r) => setOpen(r)}
          rowLabel={() => "open the request"}
          empty={<EmptyState title={status === "NEW" && !debounced ? "No new requests" : "No requests match"} description="New requests appear here as they arrive." />}
          pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
        />
      )}
      <ContactDrawer
        request={open}
        canManage={canManage}
        onClose={() => setOpen(null)}
        onChanged={(r, message) => {
          qc.setQueriesData<{ pages: { items: ContactRequest[] }[] }>({ queryKey: ["admin", "contact-requests"] }, (data) =>
            data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((i) => (i.id === r.id ? r : i)) })) } : data,
          );
          setOpen(r);
          toast({ title: message });
        }}
      />
    </>
  );
}
