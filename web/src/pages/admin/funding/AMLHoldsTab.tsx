import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { Hold, HoldQuery } from "../../../api/fundingTypes";
import {
  AbsoluteTime,
  Alert,
  Badge,
  Button,
  ConfirmDialog,
  DetailList,
  EmptyState,
  FormAlert,
  Input,
  Modal,
  Money,
  ReasonModal,
  Select,
  Table,
  Textarea,
  Timeline,
  useToast,
  type Column,
} from "../../../components";
import { useUser } from "../../../lib/auth";
import { errorMessage } from "../../../lib/errors";
import { humanize } from "../../../lib/format";
import { ADMIN_FUNDING_KEY, localInputToIso, useBackofficeRefresh } from "./shared";
import { useAction } from "../../../lib/useAction";

const KEY = [...ADMIN_FUNDING_KEY, "holds"] as const;

const FLAG_TEXT: Record<string, string> = {
  amount_mismatch: "Amount differs",
  currency_mismatch: "Currency differs",
  payer_name_mismatch: "Third-party payer",
  payer_iban_unknown: "Unknown paying account",
  high_risk_jurisdiction: "High-risk jurisdiction",
  structuring: "Possible structuring",
};

/** "2d 4h", "3h 12m", "45m 10s", "expired". */
export function countdown(expiresAt: string, now: number): string {
  const ms = new Date(expiresAt).getTime() - now;
  if (Number.isNaN(ms)) return "";
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function Countdown({ hold }: { hold: Hold }) {
  const now = useNow();
  if (hold.status !== "ACTIVE") return <AbsoluteTime value={hold.expires_at} className="text-xs text-slate-500" />;
  const left = countdown(hold.expires_at, now);
  return (
    <span className="flex flex-col">
      <span className={hold.expiring_soon ? "tabular font-medium text-amber-800" : "tabular text-navy-900"}>
        {left === "expired" ? (hold.flagged ? "Expired, needs review" : "Clearing…") : left}
      </span>
      <AbsoluteTime value={hold.expires_at} className="text-xs text-slate-500" />
    </span>
  );
}

function ExtendModal({ hold, onClose }: { hold: Hold | null; onClose: () => void }) {
  const qc = useQueryClient();
  const [until, setUntil] = useState("");
  const [reason, setReason] = useState("");
  const { busy, error, setError, run } = useAction();
  useEffect(() => {
    if (!hold) return;
    setUntil(new Date(new Date(hold.expires_at).getTime() + 7 * 86400_000).toISOString().slice(0, 16));
    setReason("");
    setError(null);
  }, [hold]);
  return (
    <Modal
      open={!!hold}
      onClose={onClose}
      title="Extend hold"
      description={hold ? <>Currently until <AbsoluteTime value={hold.expires_at} /></> : null}
      size="sm"
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button
            disabled={!reason.trim() || !until}
            loading={busy}
            onClick={async () => {
              if (!hold) return;
              await run(async () => {
                await unwrap(
                  api.POST("/api/v1/admin/aml/holds/{hold_id}/extend", {
                    params: { path: { hold_id: hold.id } },
                    body: { until: localInputToIso(until), reason: reason.trim() },
                  }),
                );
                void qc.invalidateQueries({ queryKey: KEY });
                onClose();
              });
            }}
          >
            Extend
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4">
        <Input label="Hold until (UTC)" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} required />
        <Textarea label="Reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} required />
        <FormAlert error={error} />
      </div>
    </Modal>
  );
}

export function AMLHoldsTab() {
  const me = useUser();
  const qc = useQueryClient();
  const { toast } = useToast();
  useBackofficeRefresh(["deposit.", "aml_hold."], KEY);
  const [status, setStatus] = useState<"ACTIVE" | "CLEARED" | "REJECTED" | "">("ACTIVE");
  const [flagged, setFlagged] = useState<"" | "true" | "false">("");
  const [soon, setSoon] = useState(false);
  const [releasing, setReleasing] = useState<Hold | null>(null);
  const [extending, setExtending] = useState<Hold | null>(null);
  const [rejecting, setRejecting] = useState<Hold | null>(null);
  const [shown, setShown] = useState<Hold | null>(null);

  const query: HoldQuery = useMemo(
    () => ({ ...(status ? { status } : {}), ...(flagged ? { flagged: flagged === "true" } : {}), ...(soon ? { expiring_soon: true } : {}) }),
    [status, flagged, soon],
  );
  const list = useInfiniteQuery({
    queryKey: [...KEY, query],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/aml/holds", { params: { query: { ...query, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  const columns: Column<Hold>[] = [
    {
      id: "deposit",
      header: "Deposit",
      cell: (h) => (
        <span className="flex flex-col">
          <span className="font-mono text-sm">{h.deposit_reference_code}</span>
          <span className="text-xs text-slate-600">{h.entity_name ?? h.entity_id}</span>
        </span>
      ),
    },
    { id: "amount", header: "Amount", align: "right", cell: (h) => <Money value={h.amount} currency={h.currency} className="font-medium" /> },
    {
      id: "flags",
      header: "Flags",
      cell: (h) =>
        h.flags.length ? (
          <span className="flex flex-wrap gap-1">
            {h.flags.map((f) => (
              <Badge key={f.code} tone="red">
                {FLAG_TEXT[f.code] ?? humanize(f.code)}
              </Badge>
            ))}
          </span>
        ) : (
          <span className="text-xs text-slate-500">None</span>
        ),
    },
    { id: "expires", header: "Time left", cell: (h) => <Countdown hold={h} /> },
    {
      id: "status",
      header: "Status",
      cell: (h) => (
        <span className="flex flex-col items-start gap-0.5">
          {h.status === "ACTIVE" ? <Badge status="on_hold">Active</Badge> : <Badge status={h.status.toLowerCase()} />}
          {h.releases_required > 1 && h.status === "ACTIVE" && (
            <span className="text-xs text-slate-600">
              {h.releases_given}/{h.releases_required} releases
            </span>
          )}
        </span>
      ),
    },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (h) => (
        <div className="flex justify-end gap-1">
          <Button aria-label={`Details of ${h.deposit_reference_code}`} size="sm" variant="ghost" onClick={() => setShown(h)}>
            Details
          </Button>
          {h.status === "ACTIVE" && (
            <>
              <Button aria-label={`Release ${h.deposit_reference_code}`} size="sm" onClick={() => setReleasing(h)} disabled={h.first_release_by === me.id} title={h.first_release_by === me.id ? "You gave the first release; a colleague must give the second" : undefined}>
                Release
              </Button>
              <Button aria-label={`Extend ${h.deposit_reference_code}`} size="sm" variant="secondary" onClick={() => setExtending(h)}>
                Extend
              </Button>
              <Button aria-label={`Reject ${h.deposit_reference_code}`} size="sm" variant="ghost" onClick={() => setRejecting(h)}>
                Reject
              </Button>
            </>
          )}
        </div>
      ),
    },
  ];

  return (
    <div className="flex flex-col gap-4">
      <div className="grid gap-3 sm:grid-cols-3 sm:items-end">
        <Select
          label="Status"
          value={status}
          onChange={(e) => setStatus(e.target.value as typeof status)}
          placeholder="All"
          options={[
            { value: "ACTIVE", label: "Active" },
            { value: "CLEARED", label: "Cleared" },
            { value: "REJECTED", label: "Rejected" },
          ]}
        />
        <Select
          label="Flags"
          value={flagged}
          onChange={(e) => setFlagged(e.target.value as typeof flagged)}
          placeholder="Flagged or not"
          options={[
            { value: "true", label: "Flagged only" },
            { value: "false", label: "Not flagged" },
          ]}
        />
        <label className="flex h-10 items-center gap-2 text-sm text-slate-800">
          <input type="checkbox" checked={soon} onChange={(e) => setSoon(e.target.checked)} className="size-4 rounded border-slate-300 text-navy-900" />
          Expiring soon
        </label>
      </div>
      {list.isError && <Alert tone="error">{errorMessage(list.error)}</Alert>}
      <Table
        label="AML holds"
        columns={columns}
        rows={rows}
        rowKey={(h) => h.id}
        loading={list.isPending}
        empty={<EmptyState title="No holds" description="Confirmed deposits wait here until their hold clears." />}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <ConfirmDialog
        open={!!releasing}
        title="Release the hold?"
        confirmLabel={releasing && releasing.releases_required > 1 && releasing.releases_given === 0 ? "Give first release" : "Release funds"}
        onCancel={() => setReleasing(null)}
        onConfirm={async () => {
          if (!releasing) return;
          const after = await unwrap(api.POST("/api/v1/admin/aml/holds/{hold_id}/release", { params: { path: { hold_id: releasing.id } } }));
          setReleasing(null);
          toast(
            after.status === "CLEARED"
              ? { title: "Hold released", description: `${after.deposit_reference_code}: the funds are available to the client.` }
              : { title: "First release recorded", description: "A second colleague must release it too.", tone: "info" },
          );
          void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
        }}
      >
        {releasing && (
          <>
            <Money value={releasing.amount} currency={releasing.currency} className="font-semibold" /> becomes available to{" "}
            {releasing.entity_name ?? "the client"}.
            {releasing.flagged && releasing.releases_required > 1 && " This flagged hold needs two different people to release it."}
          </>
        )}
      </ConfirmDialog>
      <ExtendModal hold={extending} onClose={() => setExtending(null)} />
      <ReasonModal
        open={!!rejecting}
        title="Reject and return funds"
        confirmLabel="Reject and return"
        description={rejecting ? <>The funds of {rejecting.deposit_reference_code} go back to the sender.</> : null}
        onClose={() => setRejecting(null)}
        onConfirm={async (reason) => {
          if (!rejecting) return;
          await unwrap(api.POST("/api/v1/admin/aml/holds/{hold_id}/reject", { params: { path: { hold_id: rejecting.id } }, body: { reason } }));
          toast({ title: "Hold rejected", description: "A return of the funds was recorded." });
          void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
        }}
      />
      <Modal open={!!shown} onClose={() => setShown(null)} size="lg" title={shown ? `Hold on ${shown.deposit_reference_code}` : ""}>
        {shown && (
          <div className="flex flex-col gap-6">
            <DetailList
              items={[
                { label: "Client", value: shown.entity_name ?? shown.entity_id },
                { label: "Amount received", value: <Money value={shown.amount} currency={shown.currency} /> },
                { label: "Announced", value: shown.announced_amount ? <Money value={shown.announced_amount} currency={shown.currency} /> : "Unannounced" },
                { label: "Payer", value: [shown.payer_name, shown.payer_iban].filter(Boolean).join(" · ") || "—" },
                { label: "Hold reasons", value: shown.reasons.map((r) => humanize(r)).join(", ") },
                { label: "Expires", value: <AbsoluteTime value={shown.expires_at} /> },
              ]}
            />
            {shown.flags.length > 0 && (
              <Alert tone="warning" title="AML flags">
                <ul className="list-disc pl-5">
                  {shown.flags.map((f) => (
                    <li key={f.code}>{f.detail}</li>
                  ))}
                </ul>
              </Alert>
            )}
            {shown.extensions.length > 0 && (
              <Timeline
                label="Extensions"
                items={shown.extensions.map((x, i) => ({ id: `${i}`, time: x.at, title: <>Extended to <AbsoluteTime value={x.until} /></>, description: x.reason, tone: "amber" as const }))}
              />
            )}
          </div>
        )}
      </Modal>
    </div>
  );
}
