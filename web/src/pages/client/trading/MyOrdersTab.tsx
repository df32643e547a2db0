import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { AbsoluteTime, Badge, Button, ConfirmDialog, Modal, Money, Select, Table, useToast, type Column } from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { humanize } from "../../../lib/format";
import { useChannel } from "../../../lib/useChannel";
import type { Order, OrderDetail } from "./types";

export function OrderStatusBadge({ status }: { status: string }) {
  return <Badge status={status}>{humanize(status)}</Badge>;
}

function OrderDetailModal({ id, onClose }: { id: string | null; onClose: () => void }) {
  const q = useQuery({
    queryKey: ["orders", "detail", id],
    enabled: !!id,
    queryFn: () => unwrap(api.GET("/api/v1/orders/{order_id}", { params: { path: { order_id: id! } } })),
  });
  const o: OrderDetail | undefined = q.data;
  return (
    <Modal open={!!id} onClose={onClose} title="Order detail" size="lg">
      {o && (
        <div className="flex flex-col gap-4 text-sm">
          <dl className="grid grid-cols-2 gap-x-4 gap-y-1 sm:grid-cols-4">
            <dt className="text-slate-500">Instrument</dt>
            <dd>{o.instrument}</dd>
            <dt className="text-slate-500">Status</dt>
            <dd>
              <OrderStatusBadge status={o.status} />
            </dd>
            <dt className="text-slate-500">Side / type</dt>
            <dd>
              {o.order_type} · {o.order_kind} · {o.time_in_force}
            </dd>
            <dt className="text-slate-500">Limit</dt>
            <dd>{o.price ? <Money value={o.price} /> : "Market"}</dd>
            <dt className="text-slate-500">Filled</dt>
            <dd>
              {o.filled_quantity} / {o.quantity}
            </dd>
            <dt className="text-slate-500">Average price</dt>
            <dd>{o.average_fill_price ? <Money value={o.average_fill_price} /> : "—"}</dd>
            <dt className="text-slate-500">Fees</dt>
            <dd>
              <Money value={o.fees} />
            </dd>
            <dt className="text-slate-500">Reason</dt>
            <dd>{o.reason ? humanize(o.reason) : "—"}</dd>
          </dl>
          <h3 className="font-semibold text-navy-950">Fills</h3>
          <Table
            label="Fills"
            rows={o.fills}
            rowKey={(f) => f.id}
            empty="No fills"
            columns={[
              { id: "time", header: "Time", cell: (f) => <AbsoluteTime value={f.created_at} /> },
              { id: "price", header: "Price", align: "right", cell: (f) => <Money value={f.price} /> },
              { id: "qty", header: "Quantity", align: "right", cell: (f) => f.quantity },
              { id: "fee", header: "Fee", align: "right", cell: (f) => <Money value={f.fee} /> },
              { id: "liq", header: "Liquidity", cell: (f) => humanize(f.liquidity) },
            ]}
          />
        </div>
      )}
    </Modal>
  );
}

const PAGE = 25;

const CERTIFICATES = [
  { value: "", label: "All" },
  { value: "EUA", label: "EUA" },
  { value: "CEA", label: "CEA" },
] as const;

/** The certificate-type filter the activity tabs share. */
export function CertificateFilter({ value, onChange }: { value: "" | "EUA" | "CEA"; onChange: (v: "" | "EUA" | "CEA") => void }) {
  return <Select label="Certificate" containerClassName="w-36" value={value} onChange={(e) => onChange(e.target.value as "" | "EUA" | "CEA")} options={CERTIFICATES} />;
}

const SIDES = [
  { value: "", label: "Both" },
  { value: "BUY", label: "Buy" },
  { value: "SELL", label: "Sell" },
] as const;

export function MyOrdersTab({ open }: { open: boolean }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [detail, setDetail] = useState<string | null>(null);
  const [type, setType] = useState<"" | "EUA" | "CEA">("");
  const [side, setSide] = useState<"" | "BUY" | "SELL">("");
  const [confirmAll, setConfirmAll] = useState(false);
  const query = {
    ...(open ? { status: "ACTIVE" as const } : {}),
    ...(type ? { certificate_type: type } : {}),
    ...(side ? { order_type: side } : {}),
  };
  useChannel("orders", () => void qc.invalidateQueries({ queryKey: ["orders"] }));
  const list = useInfiniteQuery({
    queryKey: ["orders", open ? "open" : "history", query],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/orders/my-orders", { params: { query: { ...query, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);
  const cancel = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/orders/{order_id}/cancel", { params: { path: { order_id: id } } })),
    onSuccess: (o) => {
      toast({ tone: "success", title: "Order cancelled", description: cancelledNote(o) });
      void qc.invalidateQueries({ queryKey: ["orders"] });
    },
    onError: (e) => toast({ tone: "error", title: "Could not cancel", description: errorMessage(e) }),
  });
  const cancelAll = async () => {
    const out = await unwrap(api.POST("/api/v1/orders/cancel-all", { params: { query: type ? { certificate_type: type } : {} } }));
    setConfirmAll(false);
    toast({ tone: "success", title: out.cancelled === 1 ? "1 order cancelled" : `${out.cancelled} orders cancelled`, description: "What they reserved is available again." });
    void qc.invalidateQueries({ queryKey: ["orders"] });
  };
  const columns: Column<Order>[] = [
    { id: "time", header: "Placed", cell: (o) => <AbsoluteTime value={o.created_at} /> },
    { id: "instrument", header: "Instrument", cell: (o) => o.instrument },
    {
      id: "side",
      header: "Side",
      cell: (o) => <span className={o.order_type === "BUY" ? "font-medium text-emerald-700" : "font-medium text-red-700"}>{o.order_type}</span>,
    },
    { id: "price", header: "Price", align: "right", cell: (o) => (o.price ? <Money value={o.price} /> : "Market") },
    { id: "qty", header: "Filled / qty", align: "right", cell: (o) => `${o.filled_quantity} / ${o.quantity}` },
    { id: "status", header: "Status", cell: (o) => <OrderStatusBadge status={o.status} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (o) =>
        o.status === "OPEN" || o.status === "PARTIALLY_FILLED" ? (
          <Button
            size="sm"
            variant="secondary"
            onClick={(e) => {
              e.stopPropagation();
              cancel.mutate(o.id);
            }}
            loading={cancel.isPending && cancel.variables === o.id}
          >
            Cancel
          </Button>
        ) : null,
    },
  ];
  return (
    <>
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <div className="flex flex-wrap items-end gap-3">
          <CertificateFilter value={type} onChange={setType} />
          <Select label="Side" containerClassName="w-36" value={side} onChange={(e) => setSide(e.target.value as typeof side)} options={SIDES} />
        </div>
        {open && !!rows?.length && (
          <Button size="sm" variant="danger" onClick={() => setConfirmAll(true)}>
            Cancel all{type ? ` ${type}` : ""}
          </Button>
        )}
      </div>
      <Table
        label={open ? "Open orders" : "Order history"}
        rows={rows}
        loading={list.isLoading}
        rowKey={(o) => o.id}
        columns={columns}
        onRowClick={(o) => setDetail(o.id)}
        rowLabel={() => "open the order detail"}
        empty={list.isError ? errorMessage(list.error) : open ? "No open orders" : "No orders yet"}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <OrderDetailModal id={detail} onClose={() => setDetail(null)} />
      <ConfirmDialog
        open={confirmAll}
        title={type ? `Cancel all open ${type} orders?` : "Cancel all open orders?"}
        confirmLabel="Cancel all"
        cancelLabel="Keep them"
        tone="danger"
        onConfirm={cancelAll}
        onCancel={() => setConfirmAll(false)}
      >
        Every open {type ? `${type} ` : ""}order of your organisation is cancelled, buys and sells alike{side ? " (whatever the side filter shows)" : ""}, including those placed by
        your colleagues and by API keys, and what they reserved is released. Trades already made stay.
      </ConfirmDialog>
    </>
  );
}

/** What a cancellation did, for its toast: a buy gives back euros, a sell certificates. */
export function cancelledNote(o: Order): string {
  const open = o.quantity - o.filled_quantity;
  const what = o.order_type === "BUY" ? "the euros it reserved are" : "its certificates are";
  return `${open} ${o.certificate_type} off the book; ${what} available again.`;
}
