import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { Withdrawal } from "../../../api/fundingTypes";
import {
  AbsoluteTime,
  Alert,
  Badge,
  Button,
  ConfirmDialog,
  DetailList,
  EmptyState,
  Modal,
  Money,
  RelativeTime,
  Table,
  Timeline,
  useToast,
  type Column,
} from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { humanize } from "../../../lib/format";
import { statusTone } from "../../../lib/status";
import { BALANCES_KEY } from "./BalancesCard";
import { useFundingEvents } from "./MyDepositsTab";

export const WITHDRAWALS_KEY = ["funding", "withdrawals"] as const;

const STEPS = ["PENDING", "APPROVED", "PROCESSING", "COMPLETED"] as const;
const STEP_TEXT: Record<string, string> = {
  PENDING: "Requested",
  APPROVED: "Approved",
  PROCESSING: "Being sent",
  COMPLETED: "Sent",
  REJECTED: "Rejected",
  CANCELLED: "Cancelled",
};

function WithdrawalTimeline({ w }: { w: Withdrawal }) {
  const done = new Map(w.history.map((h) => [h.status, h]));
  const ended = w.status === "REJECTED" || w.status === "CANCELLED";
  const items = ended
    ? w.history.map((h, i) => ({ id: `${i}`, time: h.at, title: STEP_TEXT[h.status] ?? humanize(h.status), tone: statusTone(h.status), description: h.note ?? undefined }))
    : STEPS.filter((s) => done.has(s)).map((s) => ({ id: s, time: done.get(s)!.at, title: STEP_TEXT[s]!, tone: statusTone(s) }));
  const next = ended ? null : STEPS.find((s) => !done.has(s));
  return (
    <div className="flex flex-col gap-3">
      <Timeline label="Withdrawal progress" items={items} />
      {next && <p className="pl-8 text-sm text-slate-500">Next: {STEP_TEXT[next]}</p>}
    </div>
  );
}

export function MyWithdrawalsTab() {
  const qc = useQueryClient();
  const { toast } = useToast();
  useFundingEvents("withdrawal.", WITHDRAWALS_KEY);
  const [shown, setShown] = useState<Withdrawal | null>(null);
  const [cancelling, setCancelling] = useState<Withdrawal | null>(null);

  const list = useInfiniteQuery({
    queryKey: [...WITHDRAWALS_KEY, "mine"],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/funding/withdrawals/my-withdrawals", {
          params: { query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);
  const current = shown ? (rows?.find((r) => r.id === shown.id) ?? shown) : null;

  const columns: Column<Withdrawal>[] = [
    { id: "amount", header: "Amount", cell: (w) => <Money value={w.amount} currency={w.currency} className="font-medium" /> },
    {
      id: "to",
      header: "To",
      cell: (w) => (
        <span className="flex flex-col">
          <span>{w.account_name}</span>
          <span className="font-mono text-xs text-slate-500">{w.iban}</span>
        </span>
      ),
    },
    { id: "status", header: "Status", cell: (w) => <Badge status={w.status.toLowerCase()} /> },
    { id: "requested", header: "Requested", hideOnMobile: true, cell: (w) => <RelativeTime value={w.created_at} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (w) => (
        <div className="flex justify-end gap-2">
          <Button aria-label={`Details of the withdrawal of ${w.amount} ${w.currency}`} size="sm" variant="secondary" onClick={() => setShown(w)}>
            Details
          </Button>
          {w.status === "PENDING" && (
            <Button aria-label={`Cancel the withdrawal of ${w.amount} ${w.currency}`} size="sm" variant="ghost" onClick={() => setCancelling(w)}>
              Cancel
            </Button>
          )}
        </div>
      ),
    },
  ];

  return (
    <>
      {list.isError && <Alert tone="error">{errorMessage(list.error)}</Alert>}
      <Table
        label="Your withdrawals"
        columns={columns}
        rows={rows}
        rowKey={(w) => w.id}
        loading={list.isPending}
        empty={<EmptyState title="No withdrawals yet" description="Withdrawals go to your verified bank accounts." />}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <Modal open={!!current} onClose={() => setShown(null)} title="Withdrawal" description={current ? <Badge status={current.status.toLowerCase()} /> : null}>
        {current && (
          <div className="flex flex-col gap-6">
            <DetailList
              items={[
                { label: "Amount", value: <Money value={current.amount} currency={current.currency} /> },
                { label: "To", value: `${current.account_name} · ${current.iban}` },
                ...(current.wire_reference ? [{ label: "Bank reference", value: <span className="font-mono">{current.wire_reference}</span> }] : []),
                ...(current.executed_at ? [{ label: "Sent", value: <AbsoluteTime value={current.executed_at} /> }] : []),
                ...(current.reason ? [{ label: "Reason", value: current.reason }] : []),
              ]}
            />
            {current.rejection_reason && <Alert tone="warning" title="Rejected">{current.rejection_reason}</Alert>}
            <WithdrawalTimeline w={current} />
          </div>
        )}
      </Modal>
      <ConfirmDialog
        open={!!cancelling}
        title="Cancel this withdrawal?"
        confirmLabel="Cancel withdrawal"
        cancelLabel="Keep it"
        tone="danger"
        onCancel={() => setCancelling(null)}
        onConfirm={async () => {
          if (!cancelling) return;
          await unwrap(
            api.POST("/api/v1/funding/withdrawals/{withdrawal_id}/cancel", {
              params: { path: { withdrawal_id: cancelling.id } },
            }),
          );
          setCancelling(null);
          toast({ title: "Withdrawal cancelled", description: "The funds are available again." });
          void qc.invalidateQueries({ queryKey: WITHDRAWALS_KEY });
          void qc.invalidateQueries({ queryKey: BALANCES_KEY });
        }}
      >
        The reserved amount becomes available again.
      </ConfirmDialog>
    </>
  );
}
