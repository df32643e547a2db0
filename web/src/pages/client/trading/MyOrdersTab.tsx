import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { AbsoluteTime, Badge, Button, Modal, Table, useToast, type Column } from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { formatDecimal, humanize } from "../../../lib/format";
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
            <dd>{o.price ?? "Market"}</dd>
            <dt className="text-slate-500">Filled</dt>
            <dd>
              {o.filled_quantity} / {o.quantity}
            </dd>
            <dt className="text-slate-500">Average price</dt>
            <dd>{o.average_fill_price ?? "—"}</dd>
            <dt className="text-slate-500">Fees</dt>
            <dd>{o.fees} EUR</dd>
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
              { id: "price", header: "Price", align: "right", cell: (f) => formatDecimal(f.price, { scale: 2 }) },
              { id: "qty", header: "Quantity", align: "right", cell: (f) => f.quantity },
              { id: "fee", header: "Fee", align: "right", cell: (f) => f.fee },
              { id: "liq", header: "Liquidity", cell: (f) => humanize(f.liquidity) },
            ]}
          />
        </div>
      )}
    </Modal>
  );
}

export function MyOrdersTab({ open }: { open: boolean }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [detail, setDetail] = useState<string | null>(null);
  const key = ["orders", open ? "open" : "history"];
  useChannel("orders", () => void qc.invalidateQueries({ queryKey: ["orders"] }));
  const q = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(api.GET("/api/v1/orders/my-orders", { params: { query: open ? { status: "ACTIVE", limit: 100 } : { limit: 100 } } })),
  });
  const cancel = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/orders/{order_id}/cancel", { params: { path: { order_id: id } } })),
    onSuccess: (o) => {
      toast({ tone: "success", title: "Order cancelled", description: `${o.remaining_quantity || o.quantity - o.filled_quantity} ${o.certificate_type} released` });
      void qc.invalidateQueries({ queryKey: ["orders"] });
    },
    onError: (e) => toast({ tone: "error", title: "Could not cancel", description: errorMessage(e) }),
  });
  const columns: Column<Order>[] = [
    { id: "time", header: "Placed", cell: (o) => <AbsoluteTime value={o.created_at} /> },
    { id: "instrument", header: "Instrument", cell: (o) => o.instrument },
    {
      id: "side",
      header: "Side",
      cell: (o) => <span className={o.order_type === "BUY" ? "font-medium text-emerald-700" : "font-medium text-red-700"}>{o.order_type}</span>,
    },
    { id: "price", header: "Price", align: "right", cell: (o) => (o.price ? formatDecimal(o.price, { scale: 2 }) : "Market") },
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
      <Table
        label={open ? "Open orders" : "Order history"}
        rows={q.data?.items}
        loading={q.isLoading}
        rowKey={(o) => o.id}
        columns={columns}
        onRowClick={(o) => setDetail(o.id)}
        rowLabel={() => "open the order detail"}
        empty={open ? "No open orders" : "No orders yet"}
      />
      <OrderDetailModal id={detail} onClose={() => setDetail(null)} />
    </>
  );
}
