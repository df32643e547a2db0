import { useState } from "react";
import { NavLink, Navigate, useParams } from "react-router";
import { Tabs, useToast } from "../../../components";
import { cx } from "../../../lib/cx";
import { formatDecimal } from "../../../lib/format";
import { useChannel } from "../../../lib/useChannel";
import { availableOf, useBalances } from "../funding/BalancesCard";
import { DepthChart } from "./DepthChart";
import { MyOrdersTab } from "./MyOrdersTab";
import { OrderBookLadder } from "./OrderBookLadder";
import { OrderEntryPanel } from "./OrderEntryPanel";
import { PriceChart } from "./PriceChart";
import { RecentTrades } from "./RecentTrades";
import { TradeHistoryTab } from "./TradeHistoryTab";
import { fillToast } from "./fillToast";
import { SYMBOLS, type FillEvent } from "./types";
import { useInstruments, useLiveBook, useTape, useTicker, useTradingAccess } from "./useMarket";

function Stat({ label, value, tone }: { label: string; value: string; tone?: "up" | "down" }) {
  return (
    <div>
      <p className="text-[11px] tracking-wide text-slate-500 uppercase">{label}</p>
      <p className={cx("text-sm font-semibold tabular-nums", tone === "up" ? "text-emerald-700" : tone === "down" ? "text-red-700" : "text-navy-950")}>{value}</p>
    </div>
  );
}

function TickerBar({ symbol }: { symbol: string }) {
  const t = useTicker(symbol).data;
  const change = t?.change_24h_percent ? Number(t.change_24h_percent) : null;
  const fmt = (v: string | null | undefined) => (v ? formatDecimal(v, { scale: 2 }) : "—");
  return (
    <div className="flex flex-wrap items-center gap-x-8 gap-y-2 rounded-xl border border-slate-200 bg-white px-4 py-3" aria-label="Market summary">
      <div>
        <p className="text-[11px] tracking-wide text-slate-500 uppercase">Last price</p>
        <p className="text-xl font-bold text-navy-950 tabular-nums" data-testid="last-price">
          {fmt(t?.last)} <span className="text-sm font-medium text-slate-500">EUR</span>
        </p>
      </div>
      <Stat label="24h change" value={change === null ? "—" : `${change > 0 ? "+" : ""}${t?.change_24h_percent}%`} tone={change === null ? undefined : change >= 0 ? "up" : "down"} />
      <Stat label="24h high" value={fmt(t?.high_24h)} />
      <Stat label="24h low" value={fmt(t?.low_24h)} />
      <Stat label="24h volume" value={t ? `${formatDecimal(String(t.volume_24h))} t` : "—"} />
      <Stat label="Bid / ask" value={`${fmt(t?.bid)} / ${fmt(t?.ask)}`} />
      {t?.status === "HALTED" && <span className="rounded-md bg-amber-100 px-2 py-1 text-xs font-semibold text-amber-800">Halted</span>}
    </div>
  );
}

/** One instrument's live market: chart, book, depth, tape, order entry, my orders and trades. */
export function TradingPage() {
  const { symbol = "EUA-EUR" } = useParams();
  const { toast } = useToast();
  const instruments = useInstruments();
  const { book } = useLiveBook(symbol);
  const tape = useTape(symbol);
  const balances = useBalances();
  const [picked, setPicked] = useState<string | null>(null);
  const [tab, setTab] = useState("open");
  const { canTrade } = useTradingAccess();
  useChannel("fills", (e) => {
    const shown = fillToast(e.data as FillEvent);
    if (shown) toast(shown);
  });
  if (!(SYMBOLS as readonly string[]).includes(symbol)) return <Navigate to="/app/trade/EUA-EUR" replace />;
  const base = symbol.split("-")[0] ?? "EUA";
  const instrument = instruments.data?.find((i) => i.symbol === symbol);

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-bold text-navy-950">Trade</h1>
          <p className="text-sm text-slate-500">{instrument?.name ?? symbol} · spot, settles T+1</p>
        </div>
        <nav aria-label="Instruments" className="flex gap-1 rounded-lg bg-slate-100 p-1">
          {SYMBOLS.map((s) => (
            <NavLink
              key={s}
              to={`/app/trade/${s}`}
              className={({ isActive }) => cx("rounded-md px-3 py-1.5 text-sm font-semibold", isActive ? "bg-white text-navy-950 shadow-sm" : "text-slate-600")}
            >
              {s}
            </NavLink>
          ))}
        </nav>
      </div>
      <TickerBar symbol={symbol} />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_280px_300px]">
        <div className="flex min-w-0 flex-col gap-4">
          <PriceChart symbol={symbol} tape={tape} />
          <DepthChart book={book} />
        </div>
        <OrderBookLadder book={book} onPick={setPicked} />
        <div className="flex flex-col gap-4">
          <OrderEntryPanel
            symbol={symbol}
            instrument={instrument}
            book={book}
            available={{ quote: availableOf(balances.data), base: availableOf(balances.data, base) }}
            canTrade={canTrade}
            pickedPrice={picked}
          />
          <RecentTrades trades={tape} />
        </div>
      </div>
      <Tabs
        label="My activity"
        value={tab}
        onChange={(id) => setTab(id)}
        items={[
          { id: "open", label: "Open orders", content: <MyOrdersTab open /> },
          { id: "history", label: "Order history", content: <MyOrdersTab open={false} /> },
          { id: "trades", label: "Trade history", content: <TradeHistoryTab /> },
        ]}
      />
    </div>
  );
}
