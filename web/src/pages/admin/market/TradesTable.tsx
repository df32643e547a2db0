import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../../api/client";
import {
  AbsoluteTime,
  Alert,
  Badge,
  Button,
  ConfirmDialog,
  DetailList,
  EmptyState,
  Input,
  Modal,
  Money,
  Quantity,
  Select,
  Table,
  useToast,
  type Column,
} from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { formatAbsolute } from "../../../lib/format";
import { dayStart, OVERVIEW_KEY, tradesKey, type StaffTrade } from "./shared";

function Party({ name, id, fee, liquidity }: { name: string | null | undefined; id: string; fee: string; liquidity: "maker" | "taker" }) {
  return (
    <span className="flex min-w-0 flex-col">
      <span className="font-medium text-navy-950">{name ?? <span className="font-mono text-xs">{id}</span>}</span>
      <span className="text-xs whitespace-nowrap text-slate-500">
        {liquidity} · fee <Money value={fee} />
      </span>
    </span>
  );
}

/** Every trade of the instrument with buyer and seller, filters and cursor pagination. */
export function TradesTable({
  symbol,
  base,
  canConfirm,
  entities,
}: {
  symbol: string;
  base: string;
  canConfirm: boolean;
  entities: { value: string; label: string }[];
}) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [status, setStatus] = useState<"" | "PENDING" | "CONFIRMED">("");
  const [entity, setEntity] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [confirming, setConfirming] = useState<StaffTrade | null>(null);
  const [shown, setShown] = useState<StaffTrade | null>(null);
  const rangeError = from && to && to < from ? "Must be on or after the start date." : null;

  const query = useMemo(
    () => ({
      instrument: symbol,
      ...(status ? { status } : {}),
      ...(entity ? { entity_id: entity } : {}),
      ...(from && !rangeError ? { date_from: dayStart(from) } : {}),
      ...(to && !rangeError ? { date_to: dayStart(to, 1) } : {}),
    }),
    [symbol, status, entity, from, to, rangeError],
  );
  const list = useInfiniteQuery({
    queryKey: [...tradesKey(symbol), query],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/trades", { params: { query: { ...query, limit: 15, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);
  const filtered = !!(status || entity || from || to);

  const columns: Column<StaffTrade>[] = [
    {
      id: "time",
      header: "Time (UTC)",
      cell: (t) => {
        const [day, time] = formatAbsolute(t.created_at).replace(" UTC", "").split(", ");
        return (
          <span className="flex flex-col whitespace-nowrap">
            <time dateTime={t.created_at} className="flex flex-col tabular-nums">
              <span className="text-navy-950">{time}</span>
              <span className="text-xs text-slate-500">{day}</span>
            </time>
            <span className="text-xs text-slate-600 sm:hidden">
              <Quantity value={t.quantity} unit={base} /> @ <Money value={t.price} />
            </span>
          </span>
        );
      },
    },
    { id: "price", header: "Price", align: "right", hideOnMobile: true, cell: (t) => <Money value={t.price} className="font-medium" /> },
    { id: "quantity", header: "Quantity", align: "right", hideOnMobile: true, cell: (t) => <Quantity value={t.quantity} unit={base} /> },
    { id: "amount", header: "Amount", align: "right", hideOnMobile: true, cell: (t) => <Money value={t.amount} /> },
    {
      id: "buyer",
      header: "Buyer",
      hideOnMobile: true,
      cell: (t) => <Party name={t.buyer_entity_name} id={t.buyer_entity_id} fee={t.buyer_fee} liquidity={t.maker_side === "BUY" ? "maker" : "taker"} />,
    },
    {
      id: "seller",
      header: "Seller",
      hideOnMobile: true,
      cell: (t) => <Party name={t.seller_entity_name} id={t.seller_entity_id} fee={t.seller_fee} liquidity={t.maker_side === "SELL" ? "maker" : "taker"} />,
    },
    {
      id: "parties",
      header: "Buyer / seller",
      className: "sm:hidden",
      cell: (t) => (
        <span className="flex flex-col gap-0.5 text-xs">
          <span>
            <span className="text-slate-500">Buyer </span>
            <span className="font-medium text-navy-950">{t.buyer_entity_name ?? t.buyer_entity_id}</span>
          </span>
          <span>
            <span className="text-slate-500">Seller </span>
            <span className="font-medium text-navy-950">{t.seller_entity_name ?? t.seller_entity_id}</span>
          </span>
          {t.status === "PENDING" && <Badge status="pending" />}
        </span>
      ),
    },
    {
      id: "status",
      header: "Status",
      hideOnMobile: true,
      cell: (t) => (
        <span className="flex flex-col items-start gap-1">
          <Badge status={t.status.toLowerCase()} />
          {t.settlement_batch_id && <span className="text-xs text-slate-500">Settled</span>}
        </span>
      ),
    },
  ];
  if (canConfirm) {
    columns.push({
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (t) =>
        t.status === "PENDING" ? (
          <Button size="sm" variant="secondary" aria-label={`Confirm block trade of ${t.quantity} at ${t.price}`} onClick={(e) => {
              e.stopPropagation();
              setConfirming(t);
            }}
          >
            Confirm
          </Button>
        ) : null,
    });
  }

  return (
    <section aria-labelledby={`trades-${symbol}`} className="flex min-w-0 flex-col gap-3">
      <h2 id={`trades-${symbol}`} className="text-base font-semibold text-navy-950">
        Trades
      </h2>
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4 lg:items-start">
        <Select
          label="Status"
          value={status}
          onChange={(e) => setStatus(e.target.value as "" | "PENDING" | "CONFIRMED")}
          placeholder="All statuses"
          options={[
            { value: "PENDING", label: "Pending confirmation" },
            { value: "CONFIRMED", label: "Confirmed" },
          ]}
        />
        <Select label="Buyer or seller" value={entity} onChange={(e) => setEntity(e.target.value)} placeholder="All clients" options={entities} />
        <Input label="From" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        <Input label="Through" type="date" value={to} onChange={(e) => setTo(e.target.value)} error={rangeError} />
      </div>
      {list.isError && (
        <Alert
          tone="error"
          title="Could not load the trades"
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
        label={`Trades on ${symbol}`}
        columns={columns}
        rows={list.isError ? [] : rows}
        rowKey={(t) => t.id}
        onRowClick={setShown}
        rowLabel={() => "trade details"}
        loading={list.isPending}
        empty={
          <EmptyState
            title={filtered ? "No trades match" : "No trades yet"}
            description={filtered ? "Widen the dates or clear a filter." : "Trades appear here as they happen, with both sides."}
          />
        }
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <Modal
        open={!!shown}
        onClose={() => setShown(null)}
        size="lg"
        title="Trade"
        description={shown ? <Badge status={shown.status.toLowerCase()} /> : null}
      >
        {shown && (
          <DetailList
            items={[
              { label: "Time", value: <AbsoluteTime value={shown.created_at} /> },
              { label: "Sequence", value: `#${shown.sequence}` },
              { label: "Price", value: <Money value={shown.price} /> },
              { label: "Quantity", value: <Quantity value={shown.quantity} unit={base} /> },
              { label: "Amount", value: <Money value={shown.amount} /> },
              { label: "Maker", value: shown.maker_side === "BUY" ? "Buyer (resting bid)" : "Seller (resting offer)" },
              { label: "Buyer", value: shown.buyer_entity_name ?? shown.buyer_entity_id },
              { label: "Seller", value: shown.seller_entity_name ?? shown.seller_entity_id },
              { label: "Buyer fee", value: <Money value={shown.buyer_fee} /> },
              { label: "Seller fee", value: <Money value={shown.seller_fee} /> },
              { label: "Buy order", value: <span className="font-mono text-xs">{shown.buy_order_id}</span> },
              { label: "Sell order", value: <span className="font-mono text-xs">{shown.sell_order_id}</span> },
              { label: "Confirmed", value: shown.confirmed_at ? <AbsoluteTime value={shown.confirmed_at} /> : "—" },
              { label: "Settlement batch", value: shown.settlement_batch_id ? <span className="font-mono text-xs">{shown.settlement_batch_id}</span> : "Not settled yet" },
              { label: "Trade id", value: <span className="font-mono text-xs">{shown.id}</span> },
            ]}
          />
        )}
      </Modal>
      <ConfirmDialog
        open={!!confirming}
        title="Confirm block trade?"
        confirmLabel="Confirm trade"
        onCancel={() => setConfirming(null)}
        onConfirm={async () => {
          if (!confirming) return;
          await unwrap(api.POST("/api/v1/trades/{trade_id}/confirm", { params: { path: { trade_id: confirming.id } } }));
          setConfirming(null);
          toast({ tone: "success", title: "Trade confirmed" });
          void qc.invalidateQueries({ queryKey: tradesKey(symbol) });
          void qc.invalidateQueries({ queryKey: OVERVIEW_KEY });
        }}
      >
        {confirming && (
          <>
            {confirming.buyer_entity_name ?? "The buyer"} buys <Quantity value={confirming.quantity} unit={base} /> from {confirming.seller_entity_name ?? "the seller"} at{" "}
            <Money value={confirming.price} /> (<Money value={confirming.amount} />
            ).
          </>
        )}
      </ConfirmDialog>
    </section>
  );
}
