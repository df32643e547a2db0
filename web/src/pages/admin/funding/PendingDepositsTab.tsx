import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { DEPOSIT_STATUSES, type AdminDeposit, type DepositStatus } from "../../../api/fundingTypes";
import {
  Alert,
  Badge,
  Button,
  DetailList,
  EmptyState,
  Form,
  FormAlert,
  Modal,
  Money,
  ReasonModal,
  RelativeTime,
  Select,
  Table,
  useFieldErrors,
  useToast,
  type Column,
} from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { humanize } from "../../../lib/format";
import { amountError, canonicalAmount } from "../../client/funding/amount";
import { ReceiptFields, emptyReceipt, receiptBody, type ReceiptValues } from "./ReceiptFields";
import { RecordWireModal } from "./RecordWireModal";
import { ADMIN_FUNDING_KEY, useBackofficeRefresh } from "./shared";
import { useAction } from "../../../lib/useAction";

const KEY = [...ADMIN_FUNDING_KEY, "deposits"] as const;

function ConfirmReceiptModal({ deposit, onClose }: { deposit: AdminDeposit | null; onClose: () => void }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [receipt, setReceipt] = useState<ReceiptValues>(emptyReceipt());
  const [local, setLocal] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const fe = useFieldErrors(error);

  useEffect(() => {
    if (!deposit) return;
    setReceipt(emptyReceipt(deposit.amount ?? ""));
    setLocal(null);
    setError(null);
  }, [deposit]);

  async function submit() {
    if (!deposit) return;
    const problem = amountError(receipt.amount);
    setLocal(problem);
    if (problem) return;
    await run(async () => {
      const done = await unwrap(
        api.POST("/api/v1/admin/deposits/{deposit_id}/confirm", {
          params: { path: { deposit_id: deposit.id } },
          body: receiptBody(receipt, deposit.currency),
        }),
      );
      toast({
        title: "Receipt confirmed",
        description: done.hold?.flagged ? `${done.reference_code} is on hold with AML flags.` : `${done.reference_code} is on hold.`,
      });
      void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
      onClose();
    });
  }

  const mismatch = deposit?.amount && !amountError(receipt.amount) && canonicalAmount(receipt.amount) !== deposit.amount;
  return (
    <Modal
      open={!!deposit}
      onClose={onClose}
      title="Confirm receipt"
      description={deposit ? <>Deposit <span className="font-mono">{deposit.reference_code}</span> from {deposit.entity_name ?? "a client"}</> : null}
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form="confirm-receipt-form" loading={busy}>
            Confirm receipt
          </Button>
        </>
      }
    >
      <Form id="confirm-receipt-form" aria-label="Confirm receipt" onSubmit={submit}>
        <FormAlert error={Object.keys(fe).length ? null : error} />
        {deposit?.amount && (
          <p className="text-sm text-slate-600">
            Announced: <Money value={deposit.amount} currency={deposit.currency} className="font-medium text-navy-950" />
          </p>
        )}
        <ReceiptFields
          values={receipt}
          onChange={(r) => {
            setReceipt(r);
            if (r.amount !== receipt.amount) setLocal(null); // said again on submit
          }}
          currency={deposit?.currency ?? "EUR"}
          errors={fe}
          amountError={local}
          amountHint={mismatch ? "Differs from the announcement: the hold will be flagged." : undefined}
        />
      </Form>
    </Modal>
  );
}

/** `canManage`: confirm, reject and record wires (others see the queue and the details). */
export function PendingDepositsTab({ canManage }: { canManage: boolean }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  useBackofficeRefresh(["deposit."], KEY);
  const [status, setStatus] = useState<DepositStatus | "">("PENDING");
  const [confirming, setConfirming] = useState<AdminDeposit | null>(null);
  const [rejecting, setRejecting] = useState<AdminDeposit | null>(null);
  const [shown, setShown] = useState<AdminDeposit | null>(null);
  const [recording, setRecording] = useState(false);

  const list = useInfiniteQuery({
    queryKey: [...KEY, status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/admin/deposits", {
          params: { query: { limit: 50, ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  const columns: Column<AdminDeposit>[] = [
    { id: "reference", header: "Reference", cell: (d) => <span className="font-mono text-sm">{d.reference_code}</span> },
    { id: "client", header: "Client", cell: (d) => d.entity_name ?? <span className="font-mono text-xs">{d.entity_id}</span> },
    {
      id: "amount",
      header: "Amount",
      align: "right",
      cell: (d) => (
        <span className="flex flex-col items-end">
          {d.received_amount ? <Money value={d.received_amount} currency={d.received_currency ?? d.currency} /> : d.amount ? <Money value={d.amount} currency={d.currency} /> : "—"}
          {d.received_amount && d.amount && d.received_amount !== d.amount && (
            <span className="text-xs text-amber-800">
              announced <Money value={d.amount} currency={d.currency} />
            </span>
          )}
        </span>
      ),
    },
    {
      id: "status",
      header: "Status",
      cell: (d) => (
        <span className="flex items-center gap-1.5">
          <Badge status={d.status.toLowerCase()} />
          {d.hold?.flagged && <Badge tone="red">Flagged</Badge>}
        </span>
      ),
    },
    { id: "created", header: "Announced", hideOnMobile: true, cell: (d) => <RelativeTime value={d.created_at} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (d) => (
        <div className="flex justify-end gap-1">
          {d.status === "PENDING" && canManage ? (
            <>
              <Button aria-label={`Confirm receipt of ${d.reference_code}`} size="sm" onClick={() => setConfirming(d)}>
                Confirm receipt
              </Button>
              <Button aria-label={`Reject ${d.reference_code}`} size="sm" variant="ghost" onClick={() => setRejecting(d)}>
                Reject
              </Button>
            </>
          ) : (
            <Button aria-label={`Details of ${d.reference_code}`} size="sm" variant="ghost" onClick={() => setShown(d)}>
              Details
            </Button>
          )}
        </div>
      ),
    },
  ];

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="w-full max-w-xs">
          <Select
            label="Status"
            value={status}
            onChange={(e) => setStatus(e.target.value as DepositStatus | "")}
            placeholder="All statuses"
            options={DEPOSIT_STATUSES.map((s) => ({ value: s, label: humanize(s.toLowerCase()) }))}
          />
        </div>
        {canManage && (
          <Button variant="secondary" onClick={() => setRecording(true)}>
            Record unannounced wire
          </Button>
        )}
      </div>
      {list.isError && <Alert tone="error">{errorMessage(list.error)}</Alert>}
      <Table
        label="Deposits"
        columns={columns}
        rows={rows}
        rowKey={(d) => d.id}
        loading={list.isPending}
        empty={<EmptyState title={status === "PENDING" ? "No deposits waiting" : "No deposits"} description="Announced deposits appear here until their wire is confirmed." />}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <ConfirmReceiptModal deposit={confirming} onClose={() => setConfirming(null)} />
      <RecordWireModal open={recording} onClose={() => setRecording(false)} />
      <ReasonModal
        confirmLabel="Reject"
        open={!!rejecting}
        title="Reject deposit"
        description={rejecting ? <>No money moves: <span className="font-mono">{rejecting.reference_code}</span> is closed.</> : null}
        onClose={() => setRejecting(null)}
        onConfirm={async (reason) => {
          if (!rejecting) return;
          await unwrap(api.POST("/api/v1/admin/deposits/{deposit_id}/reject", { params: { path: { deposit_id: rejecting.id } }, body: { reason } }));
          toast({ title: "Deposit rejected", description: rejecting.reference_code });
          void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
        }}
      />
      <Modal open={!!shown} onClose={() => setShown(null)} title={shown ? `Deposit ${shown.reference_code}` : ""} size="lg">
        {shown && (
          <DetailList
            items={[
              { label: "Client", value: shown.entity_name ?? shown.entity_id },
              { label: "Status", value: <Badge status={shown.status.toLowerCase()} /> },
              { label: "Announced", value: shown.amount ? <Money value={shown.amount} currency={shown.currency} /> : "Unannounced" },
              { label: "Received", value: shown.received_amount ? <Money value={shown.received_amount} currency={shown.received_currency ?? shown.currency} /> : "—" },
              { label: "Payer", value: [shown.payer_name, shown.payer_iban].filter(Boolean).join(" · ") || "—" },
              { label: "Client reference", value: shown.wire_reference ?? "—" },
              { label: "Notes", value: shown.admin_notes ?? "—" },
              { label: "Reason", value: shown.rejection_reason ?? "—" },
            ]}
          />
        )}
      </Modal>
    </div>
  );
}
