import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { Deposit } from "../../../api/fundingTypes";
import {
  AbsoluteTime,
  Alert,
  Badge,
  Button,
  ConfirmDialog,
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
import { useChannel } from "../../../lib/useChannel";
import { WireInstructionsPanel } from "./WireInstructionsPanel";

export const DEPOSITS_KEY = ["funding", "deposits"] as const;

const STATUS_TEXT: Record<string, string> = {
  PENDING: "Waiting for your transfer",
  ON_HOLD: "Received, in compliance review",
  CLEARED: "Credited to your balance",
  REJECTED: "Rejected",
  RETURNED: "Returned to the sender",
  CANCELLED: "Cancelled",
};

/** Live updates: the private `notifications` channel carries deposit.* events. */
export function useFundingEvents(prefix: string, queryKey: readonly unknown[]) {
  const qc = useQueryClient();
  useChannel("notifications", (e) => {
    if (e.event.startsWith(prefix)) void qc.invalidateQueries({ queryKey });
  });
}

export function MyDepositsTab({ onAnnounce }: { onAnnounce: () => void }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  useFundingEvents("deposit.", DEPOSITS_KEY);
  const [shown, setShown] = useState<Deposit | null>(null);
  const [cancelling, setCancelling] = useState<Deposit | null>(null);

  const deposits = useInfiniteQuery({
    queryKey: [...DEPOSITS_KEY, "mine"],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/funding/deposits/my-deposits", {
          params: { query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = deposits.data?.pages.flatMap((p) => p.items);

  const columns: Column<Deposit>[] = [
    {
      id: "reference",
      header: "Reference",
      cell: (d) => <span className="font-mono text-sm">{d.reference_code}</span>,
    },
    {
      id: "amount",
      header: "Amount",
      align: "right",
      cell: (d) =>
        d.received_amount ? (
          <Money value={d.received_amount} currency={d.received_currency ?? d.currency} />
        ) : d.amount ? (
          <span className="text-slate-500">
            <Money value={d.amount} currency={d.currency} />
          </span>
        ) : (
          "—"
        ),
    },
    {
      id: "status",
      header: "Status",
      cell: (d) => (
        <div className="flex flex-col items-start gap-0.5">
          <Badge status={d.status.toLowerCase()} />
          <span className="text-xs text-slate-500">
            {d.status === "ON_HOLD" && d.expected_release_at ? (
              <>
                Expected <RelativeTime value={d.expected_release_at} />
              </>
            ) : (
              STATUS_TEXT[d.status]
            )}
          </span>
        </div>
      ),
    },
    { id: "created", header: "Announced", hideOnMobile: true, cell: (d) => <RelativeTime value={d.created_at} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (d) => (
        <div className="flex justify-end gap-2">
          <Button
            size="sm"
            variant="secondary"
            onClick={() => setShown(d)}
            aria-label={`${d.status === "PENDING" ? "Instructions" : "Details"} for ${d.reference_code}`}
          >
            {d.status === "PENDING" ? "Instructions" : "Details"}
          </Button>
          {d.status === "PENDING" && (
            <Button aria-label={`Cancel ${d.reference_code}`} size="sm" variant="ghost" onClick={() => setCancelling(d)}>
              Cancel
            </Button>
          )}
        </div>
      ),
    },
  ];

  return (
    <>
      {deposits.isError && <Alert tone="error">{errorMessage(deposits.error)}</Alert>}
      <Table
        label="Your deposits"
        columns={columns}
        rows={rows}
        rowKey={(d) => d.id}
        loading={deposits.isPending}
        empty={
          <EmptyState
            title="No deposits yet"
            description="Announce a deposit to get the bank details and your payment reference."
            action={<Button onClick={onAnnounce}>Deposit funds</Button>}
          />
        }
        pagination={{
          hasMore: !!deposits.hasNextPage,
          onLoadMore: () => void deposits.fetchNextPage(),
          loadingMore: deposits.isFetchingNextPage,
        }}
      />
      <Modal
        open={!!shown}
        onClose={() => setShown(null)}
        size="lg"
        title={shown ? `Deposit ${shown.reference_code}` : ""}
        description={shown ? STATUS_TEXT[shown.status] : null}
      >
        {shown && (
          <div className="flex flex-col gap-6">
            {shown.wire_instructions && <WireInstructionsPanel instructions={shown.wire_instructions} />}
            {shown.rejection_reason && <Alert tone="warning" title="Reason">{shown.rejection_reason}</Alert>}
            {shown.received_at && (
              <p className="text-sm text-slate-600">
                Received <AbsoluteTime value={shown.received_at} />
              </p>
            )}
            <Timeline
              label="Deposit history"
              items={shown.history.map((h, i) => ({
                id: `${i}`,
                time: h.at,
                title: humanize(h.status.toLowerCase()),
                tone: statusTone(h.status),
                description: h.note ?? undefined,
              }))}
            />
          </div>
        )}
      </Modal>
      <ConfirmDialog
        open={!!cancelling}
        title="Cancel this deposit?"
        confirmLabel="Cancel deposit"
        cancelLabel="Keep it"
        tone="danger"
        onCancel={() => setCancelling(null)}
        onConfirm={async () => {
          if (!cancelling) return;
          await unwrap(
            api.POST("/api/v1/funding/deposits/{deposit_id}/cancel", {
              params: { path: { deposit_id: cancelling.id } },
            }),
          );
          setCancelling(null);
          toast({ title: "Deposit cancelled", description: cancelling.reference_code });
          void qc.invalidateQueries({ queryKey: DEPOSITS_KEY });
        }}
      >
        Only cancel if you are not sending the transfer for {cancelling?.reference_code}.
      </ConfirmDialog>
    </>
  );
}
