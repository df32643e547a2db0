import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Badge, Button, ReasonModal, RelativeTime, Skeleton, useToast } from "../../../components";
import { cx } from "../../../lib/cx";
import { formatDecimal } from "../../../lib/format";
import { useChannel } from "../../../lib/useChannel";
import { OrderBookLadder } from "../../client/trading/OrderBookLadder";
import { useLiveBook, useTicker } from "../../client/trading/useMarket";
import { InstrumentRules } from "./InstrumentRules";
import { OpenOrdersTable } from "./OpenOrdersTable";
import { OVERVIEW_KEY, ordersKey, patchInstrument, tradesKey, useThrottledInvalidate, type AdminInstrument, type OverviewItem, MIN_REASON } from "./shared";
import { TradesTable } from "./TradesTable";

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-[11px] font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-0.5 text-sm font-semibold text-navy-950 tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

export function StatusBadge({ status }: { status: AdminInstrument["status"] }) {
  return status === "HALTED" ? <Badge tone="red">Halted</Badge> : <Badge tone="emerald">Open</Badge>;
}

function StatusCard({ item, canManage, onToggle }: { item: OverviewItem; canManage: boolean; onToggle: () => void }) {
  const i = item.instrument;
  const ticker = useTicker(i.symbol).data;
  const base = i.base_asset;
  const price = (v: string | null | undefined) => (v ? `${formatDecimal(v, { scale: 2 })} EUR` : "—");
  const halted = i.status === "HALTED";
  return (
    <section
      aria-label={`${i.symbol} status`}
      className={cx("rounded-xl border bg-white shadow-card", halted ? "border-red-200" : "border-slate-200")}
    >
      <div className="flex flex-col gap-3 px-5 py-4 sm:flex-row sm:items-start sm:justify-between sm:px-6">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h2 className="text-base font-semibold text-navy-950">{i.name}</h2>
            <span className="font-mono text-xs text-slate-500">{i.symbol}</span>
            <span data-testid="instrument-status">
              <StatusBadge status={i.status} />
            </span>
          </div>
          {halted ? (
            <p className="mt-1 text-sm text-red-800">
              New orders are refused{i.status_reason ? <>: “{i.status_reason}”</> : "."} <span className="text-red-700/80">Halted <RelativeTime value={i.updated_at} />.</span>
            </p>
          ) : (
            <p className="mt-1 text-sm text-slate-600">
              Trading normally{i.status_reason ? <> · last note: “{i.status_reason}”</> : ""}.
            </p>
          )}
        </div>
        {canManage && (
          <Button variant={halted ? "primary" : "danger"} className="shrink-0" onClick={onToggle}>
            {halted ? "Resume trading" : "Halt trading"}
          </Button>
        )}
      </div>
      <dl className="grid grid-cols-2 gap-x-6 gap-y-3 border-t border-slate-100 px-5 py-4 sm:grid-cols-4 sm:px-6 lg:grid-cols-7">
        <Stat label="Last" value={price(ticker?.last ?? i.last_price)} testId="staff-last-price" />
        <Stat label="Bid" value={price(ticker?.bid)} />
        <Stat label="Ask" value={price(ticker?.ask)} />
        <Stat label="24h volume" value={ticker ? `${formatDecimal(String(ticker.volume_24h))} ${base}` : "—"} />
        <Stat label="Open buy" value={`${formatDecimal(String(item.open_buy_quantity))} ${base}`} />
        <Stat label="Open sell" value={`${formatDecimal(String(item.open_sell_quantity))} ${base}`} />
        <Stat label="Reference" value={price(i.reference_price)} />
      </dl>
    </section>
  );
}

function BookLoading() {
  return (
    <section aria-label="Order book" aria-busy="true" className="rounded-xl border border-slate-200 bg-white p-4">
      <h2 className="mb-3 text-sm font-semibold text-navy-950">Order book</h2>
      <div className="flex flex-col gap-2" role="status" aria-label="Loading the order book">
        {Array.from({ length: 10 }, (_, n) => (
          <Skeleton key={n} className="h-4 w-full" />
        ))}
      </div>
    </section>
  );
}

/** One instrument, live: status and halt/resume, the book, open orders, trades and rules. */
export function InstrumentPanel({
  item,
  canManage,
  canConfirm,
  entities,
}: {
  item: OverviewItem;
  canManage: boolean;
  canConfirm: boolean;
  entities: { value: string; label: string }[];
}) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const i = item.instrument;
  const symbol = i.symbol;
  const { book } = useLiveBook(symbol, 12);
  const [toggling, setToggling] = useState(false);
  const invalidate = useThrottledInvalidate();
  // Staff see every client's orders: refresh them whenever the book or the tape moves.
  useChannel(`book.${symbol}`, () => invalidate(ordersKey(symbol), OVERVIEW_KEY));
  useChannel(`trades.${symbol}`, () => invalidate(tradesKey(symbol), OVERVIEW_KEY));

  const halted = i.status === "HALTED";
  return (
    <div className="flex flex-col gap-6">
      <StatusCard item={item} canManage={canManage} onToggle={() => setToggling(true)} />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,280px)_minmax(0,1fr)]">
        <div>{book ? <OrderBookLadder book={book} rows={12} /> : <BookLoading />}</div>
        <OpenOrdersTable symbol={symbol} base={i.base_asset} canManage={canManage} entities={entities} />
      </div>
      <TradesTable symbol={symbol} base={i.base_asset} canConfirm={canConfirm} entities={entities} />
      <InstrumentRules key={`${symbol}:${i.updated_at}`} instrument={i} canManage={canManage} />
      <ReasonModal
        minLength={MIN_REASON}
        maxLength={500}
        open={toggling}
        title={halted ? `Resume trading on ${symbol}?` : `Halt trading on ${symbol}?`}
        description={
          halted
            ? "Clients can place orders again as soon as you confirm."
            : "New orders are refused (market_halted) until trading resumes. Resting orders stay on the book; nothing is cancelled."
        }
        confirmLabel={halted ? "Resume trading" : "Halt trading"}
        tone={halted ? "primary" : "danger"}
        reasonHint="Recorded in the audit log and shown to clients."
        onClose={() => setToggling(false)}
        onConfirm={async (reason) => {
          const updated = await patchInstrument(symbol, { status: halted ? "OPEN" : "HALTED", reason });
          qc.setQueryData(OVERVIEW_KEY, (old: { instruments: OverviewItem[] } | undefined) =>
            old ? { ...old, instruments: old.instruments.map((it) => (it.instrument.symbol === symbol ? { ...it, instrument: updated } : it)) } : old,
          );
          void qc.invalidateQueries({ queryKey: OVERVIEW_KEY });
          toast({ tone: halted ? "success" : "info", title: halted ? `${symbol} trading resumed` : `${symbol} halted` });
        }}
      />
    </div>
  );
}
