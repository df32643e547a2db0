import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../api/client";
import type { AuditEntry, AuditQuery } from "../../api/types";
import {
  AbsoluteTime,
  Alert,
  Button,
  DetailList,
  EmptyState,
  FormAlert,
  Input,
  Modal,
  PageHeader,
  Skeleton,
  Table,
  Timeline,
  useToast,
  type Column,
} from "../../components";
import { errorMessage } from "../../lib/errors";
import { useDebounced } from "../../lib/useDebounced";
import { downloadFile } from "../../lib/download";
import { diffKeys, JsonDiff } from "./JsonDiff";

const PAGE_SIZE = 50;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Actor = { state: "none" } | { state: "id"; id: string } | { state: "resolving" } | { state: "unknown"; reason: string };

/** The actor filter takes a user id, or an email that is looked up among users. */
function useActor(input: string): Actor {
  const q = input.trim();
  const isEmail = q.includes("@");
  const lookup = useQuery({
    queryKey: ["admin", "users", "by-email", q.toLowerCase()],
    queryFn: () => unwrap(api.GET("/api/v1/admin/users", { params: { query: { search: q, limit: 20 } } })),
    enabled: isEmail && !UUID_RE.test(q),
    retry: false,
  });
  if (!q) return { state: "none" };
  if (UUID_RE.test(q)) return { state: "id", id: q };
  if (!isEmail) return { state: "unknown", reason: "Enter a full email address or a user id." };
  if (lookup.isPending) return { state: "resolving" };
  if (lookup.isError) return { state: "unknown", reason: "Couldn't look up that email; enter the user id instead." };
  const match = lookup.data.items.find((u) => u.email.toLowerCase() === q.toLowerCase());
  return match ? { state: "id", id: match.id } : { state: "unknown", reason: "No user has that email address." };
}

/** date_to is exclusive: "through 2025-03-02" is "before 2025-03-03T00:00:00Z". */
export function dayAfter(d: string): string {
  const [y, m, day] = d.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, day! + 1)).toISOString().replace(".000Z", "Z");
}

function toQuery(f: { actorId?: string; action: string; resourceType: string; from: string; to: string }): AuditQuery {
  return {
    ...(f.actorId ? { actor_id: f.actorId } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.resourceType ? { resource_type: f.resourceType } : {}),
    ...(f.from ? { date_from: `${f.from}T00:00:00Z` } : {}),
    ...(f.to ? { date_to: dayAfter(f.to) } : {}),
  };
}

function queryString(q: AuditQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  return p.toString();
}

function ResourceLink({ entry, onOpen }: { entry: AuditEntry; onOpen: (e: AuditEntry) => void }) {
  if (!entry.resource_id) return <span className="text-slate-700">{entry.resource_type}</span>;
  return (
    <button
      type="button"
      className="max-w-full truncate text-left text-navy-800 hover:underline"
      title={`History of ${entry.resource_type} ${entry.resource_id}`}
      onClick={(ev) => {
        ev.stopPropagation();
        onOpen(entry);
      }}
    >
      <span className="font-medium">{entry.resource_type}</span>{" "}
      {/* UUIDv7s share their leading (time) digits: the tail tells rows apart. */}
      <span className="font-mono text-xs text-slate-500">…{entry.resource_id.slice(-8)}</span>
      <span className="sr-only">, history</span>
    </button>
  );
}

function EntryDrawer({
  entry,
  onClose,
  onOpenResource,
}: {
  entry: AuditEntry | null;
  onClose: () => void;
  onOpenResource: (e: AuditEntry) => void;
}) {
  return (
    <Modal
      open={!!entry}
      onClose={onClose}
      variant="drawer"
      title={entry ? <span className="font-mono">{entry.action}</span> : ""}
      description={entry ? <AbsoluteTime value={entry.created_at} /> : null}
    >
      {entry && (
        <div className="flex flex-col gap-6">
          <DetailList
            items={[
              { label: "Sequence", value: <span className="tabular">#{entry.seq}</span> },
              { label: "Actor", value: entry.actor_email ?? (entry.actor_id ? <span className="font-mono text-xs">{entry.actor_id}</span> : "System") },
              {
                label: "Resource",
                value: (
                  <span>
                    {entry.resource_type}
                    {entry.resource_id && <span className="block font-mono text-xs break-all text-slate-500">{entry.resource_id}</span>}
                  </span>
                ),
              },
              { label: "IP address", value: entry.ip ?? "—" },
              { label: "User agent", value: <span className="text-xs break-words">{entry.user_agent ?? "—"}</span> },
              { label: "Hash", value: <span className="font-mono text-xs break-all">{entry.hash}</span> },
            ]}
          />
          {entry.resource_id && (
            <div>
              <Button variant="secondary" size="sm" onClick={() => onOpenResource(entry)}>
                View history of this {entry.resource_type}
              </Button>
            </div>
          )}
          <JsonDiff before={entry.before} after={entry.after} />
        </div>
      )}
    </Modal>
  );
}

function ResourceTimeline({
  target,
  onClose,
  onSelect,
}: {
  target: { type: string; id: string } | null;
  onClose: () => void;
  onSelect: (e: AuditEntry) => void;
}) {
  const history = useQuery({
    queryKey: ["admin", "audit", "resource", target?.type, target?.id],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/admin/audit-logs/{resource_type}/{resource_id}", {
          params: { path: { resource_type: target!.type, resource_id: target!.id } },
        }),
      ),
    enabled: !!target,
  });
  return (
    <Modal
      open={!!target}
      onClose={onClose}
      size="lg"
      title={target ? `History of ${target.type}` : ""}
      description={target ? <span className="font-mono text-xs break-all">{target.id}</span> : null}
    >
      {history.isPending ? (
        <div className="flex flex-col gap-4" aria-busy="true">
          <Skeleton className="h-10" />
          <Skeleton className="h-10" />
          <Skeleton className="h-10" />
        </div>
      ) : history.isError ? (
        <Alert tone="error">{errorMessage(history.error)}</Alert>
      ) : history.data.items.length === 0 ? (
        <p className="text-sm text-slate-500">No recorded changes.</p>
      ) : (
        <Timeline
          label="Resource history"
          items={history.data.items.map((e) => {
            const keys = diffKeys(e.before, e.after);
            return {
              id: e.id,
              time: e.created_at,
              title: <span className="font-mono">{e.action}</span>,
              tone: e.before === null ? "emerald" : e.after === null ? "red" : "navy",
              description: (
                <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                  <span>by {e.actor_email ?? "system"}</span>
                  {keys.length > 0 && <span className="text-xs text-slate-500">changed {keys.join(", ")}</span>}
                  <button type="button" className="text-xs font-medium text-navy-800 hover:underline" onClick={() => onSelect(e)}>
                    Details<span className="sr-only"> of {e.action} #{e.seq}</span>
                  </button>
                </div>
              ),
            };
          })}
        />
      )}
    </Modal>
  );
}

export function AuditLogPage() {
  const { toast } = useToast();
  const [actorInput, setActorInput] = useState("");
  const [action, setAction] = useState("");
  const [resourceType, setResourceType] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [selected, setSelected] = useState<AuditEntry | null>(null);
  const [resource, setResource] = useState<{ type: string; id: string } | null>(null);
  const [exporting, setExporting] = useState(false);

  const actor = useActor(useDebounced(actorInput, 400));
  const debAction = useDebounced(action.trim(), 300);
  const debType = useDebounced(resourceType.trim(), 300);
  const badRange = !!(from && to && from > to);

  const query = useMemo(
    () =>
      toQuery({
        actorId: actor.state === "id" ? actor.id : undefined,
        action: debAction,
        resourceType: debType,
        from,
        to,
      }),
    [actor, debAction, debType, from, to],
  );
  const blocked = actor.state === "unknown" || actor.state === "resolving" || badRange;

  const log = useInfiniteQuery({
    queryKey: ["admin", "audit", query],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/admin/audit-logs", {
          params: { query: { ...query, limit: PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
    enabled: !blocked,
  });

  const rows = blocked ? (actor.state === "resolving" ? undefined : []) : log.data?.pages.flatMap((p) => p.items);
  const knownTypes = useMemo(() => [...new Set(rows?.map((r) => r.resource_type))].sort(), [rows]);

  async function exportCsv() {
    setExporting(true);
    try {
      const qs = queryString(query);
      await downloadFile(`/api/v1/admin/audit-logs/export${qs ? `?${qs}` : ""}`, `audit-log-${new Date().toISOString().slice(0, 10)}.csv`);
    } catch (e) {
      toast({ tone: "error", title: "Export failed", description: errorMessage(e) });
    } finally {
      setExporting(false);
    }
  }

  function openResource(e: AuditEntry) {
    if (e.resource_id) {
      setSelected(null);
      setResource({ type: e.resource_type, id: e.resource_id });
    }
  }

  const columns: Column<AuditEntry>[] = [
    {
      id: "time",
      header: "Time (UTC)",
      sortValue: (e) => e.seq,
      cell: (e) => (
        <>
          <AbsoluteTime value={e.created_at} className="whitespace-nowrap tabular" />
          {/* Small screens: action and actor under the time instead of in columns of their own. */}
          <span className="mt-0.5 block font-mono text-xs font-normal text-navy-900 sm:hidden">{e.action}</span>
          <span className="block max-w-64 truncate text-xs font-normal text-slate-500 sm:hidden">{e.actor_email ?? "System"}</span>
        </>
      ),
    },
    {
      id: "actor",
      header: "Actor",
      hideOnMobile: true,
      sortValue: (e) => e.actor_email ?? "",
      cell: (e) => <span className="break-all">{e.actor_email ?? <span className="text-slate-500">System</span>}</span>,
    },
    { id: "action", header: "Action", hideOnMobile: true, sortValue: (e) => e.action, cell: (e) => <span className="font-mono text-xs text-navy-900">{e.action}</span> },
    {
      id: "resource",
      header: "Resource",
      hideOnMobile: true,
      sortValue: (e) => e.resource_type,
      cell: (e) => <ResourceLink entry={e} onOpen={openResource} />,
    },
    { id: "ip", header: "IP", hideOnMobile: true, cell: (e) => <span className="font-mono text-xs">{e.ip ?? "—"}</span> },
  ];

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change made on the platform, in order, with before and after values. Entries are hash-chained and cannot be edited."
        actions={
          <Button variant="secondary" onClick={exportCsv} loading={exporting} disabled={blocked}>
            Export CSV
          </Button>
        }
      />
      <div role="search" aria-label="Filter the audit log" className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-5">
        <Input
          label="Actor"
          containerClassName="col-span-2 lg:col-span-1"
          placeholder="Email or user id"
          value={actorInput}
          onChange={(e) => setActorInput(e.target.value)}
          error={actor.state === "unknown" && actorInput.trim() ? actor.reason : null}
        />
        <Input
          label="Action"
          containerClassName="col-span-2 lg:col-span-1"
          placeholder="e.g. user_invited"
          value={action}
          onChange={(e) => setAction(e.target.value)}
        />
        <Input
          label="Resource type"
          containerClassName="col-span-2 lg:col-span-1"
          placeholder="e.g. user"
          list="audit-resource-types"
          value={resourceType}
          onChange={(e) => setResourceType(e.target.value)}
        />
        <datalist id="audit-resource-types">
          {knownTypes.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <Input label="From" type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
        <Input
          label="To"
          type="date"
          value={to}
          min={from || undefined}
          onChange={(e) => setTo(e.target.value)}
          error={badRange ? "Must be on or after the start date." : null}
        />
      </div>
      {log.isError ? (
        <FormAlert error={log.error} title="Couldn't load the audit log" />
      ) : (
        <Table
          label="Audit log entries"
          columns={columns}
          rows={rows}
          rowKey={(e) => e.id}
          loading={(log.isPending && !blocked) || actor.state === "resolving"}
          onRowClick={setSelected}
          rowLabel={(e) => `Details of ${e.action} #${e.seq}`}
          empty={<EmptyState title="No entries" description="No audit entries match these filters." />}
          pagination={{
            hasMore: !!log.hasNextPage && !blocked,
            onLoadMore: () => void log.fetchNextPage(),
            loadingMore: log.isFetchingNextPage,
          }}
        />
      )}
      <EntryDrawer entry={selected} onClose={() => setSelected(null)} onOpenResource={openResource} />
      <ResourceTimeline
        target={resource}
        onClose={() => setResource(null)}
        onSelect={(e) => {
          setResource(null);
          setSelected(e);
        }}
      />
    </>
  );
}
