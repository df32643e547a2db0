import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../../api/client";
import {
  AbsoluteTime,
  Alert,
  Badge,
  Button,
  DetailList,
  EmptyState,
  Modal,
  Money,
  Quantity,
  ReasonModal,
  RelativeTime,
  Select,
  Table,
  useToast,
  type Column,
} from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { humanize } from "../../../lib/format";
import { MARKET_KEY, OVERVIEW_KEY, ordersKey, type StaffOrder, MIN_REASON } from "./shared";

export function SideBadge({ side }: { side: "BUY" | "SELL" }) {
  return <Badge tone={side === "BUY" ? "emerald" : "red"}>{side === "BUY" ? "Buy" : "Sell"}</Badge>;
}

function OrderDetails({ order: o, base }: { order: StaffOrder; base: string }) {
  return (
    <DetailList
      items={[
        { label: "Client", value: o.entity_name ?? "—" },
        { label: "Entity id", value: <span className="font-mono text-xs">{o.entity_id}</span> },
        { label: "Order id", value: <span className="font-mono text-xs">{o.id}</span> },
        { label: "Client order id", value: o.client_order_id ?? "—" },
        { label: "Type", value: `${humanize(o.order_kind.toLowerCase())} · ${o.time_in_force}${o.post_only ? " · post-only" : ""}` },
        { label: "Price", value: o.price ? <Money value={o.price} /> : "Market" },
        { label: "Quantity", value: <Quantity value={o.quantity} unit={base} /> },
        { label: "Filled", value: <>{o.filled_quantity} {o.average_fill_price ? <>at avg. {o.average_fill_price}</> : null}</> },
        { label: "Open", value: <Quantity value={o.remaining_quantity} unit={base} /> },
        { label: "Reserved", value: `${o.reserved_remaining} ${o.reserved_asset}` },
        { label: "Fees so far", value: <Money value={o.fees} /> },
        { label: "Placed", value: <AbsoluteTime value={o.created_at} /> },
        { label: "Last change", value: <AbsoluteTime value={o.updated_at} /> },
        { label: "Placed by (user id)", value: o.user_id ? <span className="font-mono text-xs">{o.user_id}</span> : "API / system" },
      ]}
    />
  );
}

function describe(o: StaffOrder): string {
  const who = o.entity_name ?? "client";
  return `${o.order_type === "BUY" ? "buy" : "sell"} ${o.remaining_quantity} at ${o.price ?? "market"} by ${who}`;
}

/** The instrument's resting orders with the entities behind them; cancel one on a client's behalf. */
export function OpenOrdersTable({
  symbol,
  base,
  canManage,
  entities,
}: {
  symbol: string;
  base: string;
  canManage: boolean;
  entities: { value: string; label: string }[];
}) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [side, setSide] = useState<"" | "BUY" | "SELL">("");
  const [entity, setEntity] = useState("");
  const [cancelling, setCancelling] = useState<StaffOrder | null>(null);
  const [shown, setShown] = useState<StaffOrder | null>(null);

  const query = useMemo(
    () => ({ instrument: symbol, status: "ACTIVE" as const, ...(side ? { order_type: side } : {}), ...(entity ? { entity_id: entity } : {}) }),
    [symbol, side, entity],
  );
  const list = useInfiniteQuery({
    queryKey: [...ordersKey(symbol), query],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/orders", { params: { query: { ...query, limit: 12, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);
  const filtered = !!(side || entity);

  const columns: Column<StaffOrder>[] = [
    {
      id: "client",
      header: "Client",
      cell: (o) => (
        <span className="flex min-w-0 flex-col gap-0.5">
          <span className="font-medium text-navy-950 sm:whitespace-nowrap">{o.entity_name ?? <span className="font-mono text-xs">{o.entity_id}</span>}</span>
          {o.client_order_id && <span className="truncate font-mono text-xs text-slate-500">{o.client_order_id}</span>}
          {/* On a phone the order's terms go under the name (the columns are hidden). */}
          <span className="flex flex-wrap items-center gap-x-2 text-xs text-slate-600 sm:hidden">
            <SideBadge side={o.order_type} />
            <span>
              <Quantity value={o.remaining_quantity} unit={base} /> @ {o.price ? <Money value={o.price} /> : "market"}
            </span>
          </span>
        </span>
      ),
    },
    { id: "side", header: "Side", hideOnMobile: true, cell: (o) => <SideBadge side={o.order_type} /> },
    { id: "price", header: "Price", align: "right", hideOnMobile: true, cell: (o) => (o.price ? <Money value={o.price} /> : "Market") },
    {
      id: "open",
      header: "Open",
      align: "right",
      hideOnMobile: true,
      cell: (o) => (
        <span className="flex flex-col items-end">
          <Quantity value={o.remaining_quantity} unit={base} />
          {o.filled_quantity > 0 && <span className="text-xs whitespace-nowrap text-slate-500">of {o.quantity} · partly filled</span>}
        </span>
      ),
    },
    { id: "placed", header: "Placed", hideOnMobile: true, cell: (o) => <RelativeTime value={o.created_at} className="whitespace-nowrap" /> },
  ];
  if (canManage) {
    columns.push({
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (o) => (
        <Button size="sm" variant="ghost" className="text-red-700 hover:bg-red-50" aria-label={`Cancel order: ${describe(o)}`} onClick={(e) => {
            e.stopPropagation();
            setCancelling(o);
          }}
        >
          Cancel
        </Button>
      ),
    });
  }

  return (
    <section aria-labelledby={`open-orders-${symbol}`} className="flex min-w-0 flex-col gap-3">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <h2 id={`open-orders-${symbol}`} className="text-base font-semibold text-navy-950">
          Open orders
        </h2>
        <div className="grid grid-cols-2 gap-3 sm:w-[26rem]">
          <Select
            label="Side"
            value={side}
            onChange={(e) => setSide(e.target.value as "" | "BUY" | "SELL")}
            placeholder="Both sides"
            options={[
              { value: "BUY", label: "Buy" },
              { value: "SELL", label: "Sell" },
            ]}
          />
          <Select label="Client" value={entity} onChange={(e) => setEntity(e.target.value)} placeholder="All clients" options={entities} />
        </div>
      </div>
      {list.isError && (
        <Alert
          tone="error"
          title="Could not load the open orders"
          action={
            <Button size="sm" variant="secondary" onClick={() => void list.refetch()}>
              Retry
            </Button>
          }
        >
          {errorMessage(list.error)}
        </Alert>
      )}
      <Table
        label={`Open orders on ${symbol}`}
        columns={columns}
        rows={list.isError ? [] : rows}
        rowKey={(o) => o.id}
        onRowClick={setShown}
        rowLabel={() => "order details"}
        loading={list.isPending}
        empty={
          <EmptyState
            title={filtered ? "No open orders match" : "No open orders"}
            description={filtered ? "Change the side or client filter." : "Resting orders of every client appear here, live."}
          />
        }
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <Modal
        open={!!shown}
        onClose={() => setShown(null)}
        size="lg"
        title={shown ? `${shown.order_type === "BUY" ? "Buy" : "Sell"} order of ${shown.entity_name ?? "a client"}` : "Order"}
        description={shown ? <Badge status={shown.status.toLowerCase()} /> : null}
        footer={
          shown && canManage ? (
            <Button
              variant="danger"
              onClick={() => {
                setCancelling(shown);
                setShown(null);
              }}
            >
              Cancel on behalf
            </Button>
          ) : undefined
        }
      >
        {shown && <OrderDetails order={shown} base={base} />}
      </Modal>
      <ReasonModal
        minLength={MIN_REASON}
        maxLength={500}
        open={!!cancelling}
        title="Cancel order on behalf of the client"
        description="The rest of the order leaves the book and its reservation is released. The client sees it cancelled by staff."
        confirmLabel="Cancel order"
        reasonHint="Recorded in the audit log and shown on the client's order."
        onClose={() => setCancelling(null)}
        onConfirm={async (reason) => {
          if (!cancelling) return;
          await unwrap(
            api.POST("/api/v1/admin/orders/{order_id}/cancel", { params: { path: { order_id: cancelling.id } }, body: { reason } }),
          );
          toast({ tone: "success", title: "Order cancelled", description: `${cancelling.entity_name ?? "The client"}'s order is off the book.` });
          void qc.invalidateQueries({ queryKey: ordersKey(symbol) });
          void qc.invalidateQueries({ queryKey: OVERVIEW_KEY });
          void qc.invalidateQueries({ queryKey: [...MARKET_KEY, "trades"] });
        }}
      >
        {cancelling && (
          <div className="rounded-lg bg-slate-50 p-3">
            <DetailList
              items={[
                { label: "Client", value: cancelling.entity_name ?? cancelling.entity_id },
                { label: "Order", value: <>{cancelling.order_type === "BUY" ? "Buy" : "Sell"} {symbol}</> },
                { label: "Price", value: cancelling.price ? <Money value={cancelling.price} /> : "Market" },
                { label: "Open quantity", value: <Quantity value={cancelling.remaining_quantity} unit={base} /> },
              ]}
            />
          </div>
        )}
      </ReasonModal>
    </section>
  );
}
