import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { WITHDRAWAL_STATUSES, type AdminWithdrawal, type AdminWithdrawalQuery, type WithdrawalStatus } from "../../../api/fundingTypes";
import {
  Alert,
  Badge,
  Button,
  ConfirmDialog,
  DetailList,
  EmptyState,
  Form,
  FormAlert,
  Input,
  Modal,
  Money,
  ReasonModal,
  RelativeTime,
  Select,
  Table,
  Timeline,
  useFieldErrors,
  useToast,
  type Column,
} from "../../../components";
import { useUser } from "../../../lib/auth";
import { errorMessage } from "../../../lib/errors";
import { humanize } from "../../../lib/format";
import { statusTone } from "../../../lib/status";
import { useDebounced } from "../../../lib/useDebounced";
import { amountError, canonicalAmount } from "../../client/funding/amount";
import { ADMIN_FUNDING_KEY, localInputToIso, nowInput, useBackofficeRefresh } from "./shared";
import { useAction } from "../../../lib/useAction";

const KEY = [...ADMIN_FUNDING_KEY, "withdrawals"] as const;

function dayAfter(d: string): string {
  const [y, m, day] = d.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, day! + 1)).toISOString().replace(".000Z", "Z");
}

function CompleteModal({ withdrawal, onClose }: { withdrawal: AdminWithdrawal | null; onClose: () => void }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [reference, setReference] = useState("");
  const [executedAt, setExecutedAt] = useState("");
  const { busy, error, setError, run } = useAction();
  const fe = useFieldErrors(error);
  useEffect(() => {
    if (!withdrawal) return;
    setReference("");
    setExecutedAt(nowInput());
    setError(null);
  }, [withdrawal]);

  async function submit() {
    if (!withdrawal || !reference.trim()) return;
    await run(async () => {
      await unwrap(
        api.POST("/api/v1/admin/withdrawals/{withdrawal_id}/complete", {
          params: { path: { withdrawal_id: withdrawal.id } },
          body: { wire_reference: reference.trim(), executed_at: localInputToIso(executedAt) },
        }),
      );
      toast({ title: "Withdrawal completed", description: `${withdrawal.amount} ${withdrawal.currency} sent.` });
      void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
      onClose();
    });
  }

  return (
    <Modal
      open={!!withdrawal}
      onClose={onClose}
      title="Complete withdrawal"
      description={
        withdrawal ? (
          <>
            <Money value={withdrawal.amount} currency={withdrawal.currency} className="font-semibold" /> to {withdrawal.account_name},{" "}
            <span className="font-mono">{withdrawal.iban_formatted}</span>
          </>
        ) : null
      }
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form="complete-withdrawal-form" loading={busy} disabled={!reference.trim()}>
            Mark as sent
          </Button>
        </>
      }
    >
      <Form id="complete-withdrawal-form" aria-label="Complete withdrawal" onSubmit={submit}>
        <FormAlert error={Object.keys(fe).length ? null : error} messages={{ same_approver: "You approved this withdrawal: a different colleague must complete it." }} />
        <Input label="Bank wire reference" value={reference} onChange={(e) => setReference(e.target.value)} error={fe.wire_reference} maxLength={140} required autoComplete="off" />
        <Input label="Executed at (UTC)" type="datetime-local" value={executedAt} onChange={(e) => setExecutedAt(e.target.value)} error={fe.executed_at} required />
      </Form>
    </Modal>
  );
}

export function WithdrawalsTab() {
  const me = useUser();
  const qc = useQueryClient();
  const { toast } = useToast();
  useBackofficeRefresh(["withdrawal."], KEY);
  const [status, setStatus] = useState<WithdrawalStatus | "">("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [minAmount, setMinAmount] = useState("");
  const [maxAmount, setMaxAmount] = useState("");
  const [approving, setApproving] = useState<AdminWithdrawal | null>(null);
  const [rejecting, setRejecting] = useState<AdminWithdrawal | null>(null);
  const [completing, setCompleting] = useState<AdminWithdrawal | null>(null);
  const [shown, setShown] = useState<AdminWithdrawal | null>(null);
  const min = useDebounced(minAmount.trim(), 300);
  const max = useDebounced(maxAmount.trim(), 300);
  const minError = min && amountError(min);
  const maxError = max && amountError(max);

  const query: AdminWithdrawalQuery = useMemo(
    () => ({
      ...(status ? { status } : {}),
      ...(from ? { date_from: `${from}T00:00:00Z` } : {}),
      ...(to ? { date_to: dayAfter(to) } : {}),
      ...(min && !minError ? { amount_min: canonicalAmount(min) } : {}),
      ...(max && !maxError ? { amount_max: canonicalAmount(max) } : {}),
    }),
    [status, from, to, min, max, minError, maxError],
  );
  const list = useInfiniteQuery({
    queryKey: [...KEY, query],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/withdrawals", { params: { query: { ...query, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  const columns: Column<AdminWithdrawal>[] = [
    { id: "amount", header: "Amount", cell: (w) => <Money value={w.amount} currency={w.currency} className="font-medium" /> },
    {
      id: "client",
      header: "Client",
      cell: (w) => (
        <span className="flex flex-col">
          <span>{w.entity_name ?? w.entity_id}</span>
          <span className="font-mono text-xs text-slate-500">{w.iban_formatted}</span>
        </span>
      ),
    },
    {
      id: "status",
      header: "Status",
      cell: (w) => (
        <span className="flex flex-col items-start gap-0.5">
          <Badge status={w.status.toLowerCase()} />
          {w.status === "PROCESSING" && w.approved_by === me.id && <span className="text-xs text-slate-600">Approved by you: a colleague completes it</span>}
        </span>
      ),
    },
    { id: "requested", header: "Requested", hideOnMobile: true, cell: (w) => <RelativeTime value={w.created_at} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (w) => {
        const mine = w.approved_by === me.id;
        return (
          <div className="flex justify-end gap-1">
            <Button aria-label={`Details of ${w.amount} to ${w.account_name}`} size="sm" variant="ghost" onClick={() => setShown(w)}>
              Details
            </Button>
            {w.status === "PENDING" && (
              <Button aria-label={`Approve ${w.amount} to ${w.account_name}`} size="sm" onClick={() => setApproving(w)}>
                Approve
              </Button>
            )}
            {w.status === "PROCESSING" && (
              <Button aria-label={`Complete ${w.amount} to ${w.account_name}`} size="sm" onClick={() => setCompleting(w)} disabled={mine} title={mine ? "You approved it: a colleague must complete it" : undefined}>
                Complete
              </Button>
            )}
            {(w.status === "PENDING" || w.status === "APPROVED" || w.status === "PROCESSING") && (
              <Button aria-label={`Reject ${w.amount} to ${w.account_name}`} size="sm" variant="ghost" onClick={() => setRejecting(w)}>
                Reject
              </Button>
            )}
          </div>
        );
      },
    },
  ];

  return (
    <div className="flex flex-col gap-4">
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-5 lg:items-start">
        <Select
          label="Status"
          value={status}
          onChange={(e) => setStatus(e.target.value as WithdrawalStatus | "")}
          placeholder="All statuses"
          options={WITHDRAWAL_STATUSES.map((s) => ({ value: s, label: humanize(s.toLowerCase()) }))}
        />
        <Input label="From" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        <Input label="Through" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        <Input label="Min amount" inputMode="decimal" value={minAmount} onChange={(e) => setMinAmount(e.target.value)} error={minError || null} />
        <Input label="Max amount" inputMode="decimal" value={maxAmount} onChange={(e) => setMaxAmount(e.target.value)} error={maxError || null} />
      </div>
      {list.isError && <Alert tone="error">{errorMessage(list.error)}</Alert>}
      <Table
        label="Withdrawals"
        columns={columns}
        rows={rows}
        rowKey={(w) => w.id}
        loading={list.isPending}
        empty={<EmptyState title="No withdrawals" description="Client withdrawal requests appear here." />}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <ConfirmDialog
        open={!!approving}
        title="Approve withdrawal?"
        confirmLabel="Approve"
        onCancel={() => setApproving(null)}
        onConfirm={async () => {
          if (!approving) return;
          await unwrap(api.POST("/api/v1/admin/withdrawals/{withdrawal_id}/approve", { params: { path: { withdrawal_id: approving.id } } }));
          setApproving(null);
          toast({ title: "Withdrawal approved", description: "A colleague completes it once the wire is sent." });
          void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
        }}
      >
        {approving && (
          <>
            <Money value={approving.amount} currency={approving.currency} className="font-semibold" /> to {approving.account_name} (
            <span className="font-mono">{approving.iban_formatted}</span>). It goes to processing; a different colleague must complete it.
          </>
        )}
      </ConfirmDialog>
      <CompleteModal withdrawal={completing} onClose={() => setCompleting(null)} />
      <ReasonModal
        confirmLabel="Reject"
        open={!!rejecting}
        title="Reject withdrawal"
        description="The reserved funds become available to the client again."
        onClose={() => setRejecting(null)}
        onConfirm={async (reason) => {
          if (!rejecting) return;
          await unwrap(api.POST("/api/v1/admin/withdrawals/{withdrawal_id}/reject", { params: { path: { withdrawal_id: rejecting.id } }, body: { reason } }));
          toast({ title: "Withdrawal rejected" });
          void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
        }}
      />
      <Modal open={!!shown} onClose={() => setShown(null)} size="lg" title="Withdrawal" description={shown ? <Badge status={shown.status.toLowerCase()} /> : null}>
        {shown && (
          <div className="flex flex-col gap-6">
            <DetailList
              items={[
                { label: "Client", value: shown.entity_name ?? shown.entity_id },
                { label: "Amount", value: <Money value={shown.amount} currency={shown.currency} /> },
                { label: "Account holder", value: shown.account_name },
                { label: "IBAN / BIC", value: <span className="font-mono">{shown.iban_formatted} · {shown.swift}</span> },
                { label: "Reason", value: shown.reason ?? "—" },
                { label: "Approved by", value: shown.approved_by ? (shown.approved_by === me.id ? "You" : <span className="font-mono text-xs">{shown.approved_by}</span>) : "—" },
                { label: "Wire reference", value: shown.wire_reference ?? "—" },
                { label: "Rejection reason", value: shown.rejection_reason ?? "—" },
              ]}
            />
            <Timeline
              label="Withdrawal history"
              items={shown.history.map((h, i) => ({ id: `${i}`, time: h.at, title: humanize(h.status.toLowerCase()), tone: statusTone(h.status), description: h.note ?? undefined }))}
            />
          </div>
        )}
      </Modal>
    </div>
  );
}
