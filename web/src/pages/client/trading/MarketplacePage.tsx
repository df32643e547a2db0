import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AreaSeries, ColorType, createChart, type UTCTimestamp } from "lightweight-charts";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../../../api/client";
import { Alert, Button, Input, Modal, PageHeader, Skeleton, Sparkline, useToast } from "../../../components";
import { useAuth } from "../../../lib/auth";
import { errorMessage } from "../../../lib/errors";
import { cx } from "../../../lib/cx";
import { formatDecimal, formatMoney, formatTimeOfDay } from "../../../lib/format";
import { useChannel } from "../../../lib/useChannel";
import { availableOf, useBalances } from "../funding/BalancesCard";
import { OrderConfirmationModal, estimate, type OrderDraft } from "./OrderEntryPanel";
import type { Certificate, CertificateDetail } from "./types";
import { selfTradeNote, toCents } from "./types";
import { useOwnOpenOrders, useTakerFee, useTradingAccess } from "./useMarket";

const fmt = (v: string | null | undefined) => (v ? formatDecimal(v, { scale: 2 }) : "—");
const money = (v: string | null | undefined) => (v ? formatMoney(v) : "—");

function Change({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="text-slate-500">—</span>;
  const n = Number(value);
  return <span className={n >= 0 ? "text-emerald-700" : "text-red-700"}>{`${n > 0 ? "+" : ""}${value}%`}</span>;
}

function HistoryChart({ points }: { points: { time: string; close: string }[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const c = createChart(box.current, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "#ffffff" }, textColor: "#475569", fontSize: 11 },
      grid: { vertLines: { visible: false }, horzLines: { color: "#f1f5f9" } },
      rightPriceScale: { borderVisible: false },
      timeScale: { borderVisible: false },
    });
    const s = c.addSeries(AreaSeries, { lineColor: "#1e3a8a", topColor: "rgba(30,58,138,0.25)", bottomColor: "rgba(30,58,138,0.02)", lineWidth: 2 });
    s.setData(points.map((p) => ({ time: Math.floor(Date.parse(p.time) / 1000) as UTCTimestamp, value: Number(p.close) })));
    c.timeScale().fitContent();
    return () => c.remove();
  }, [points]);
  return <div ref={box} className="h-48 w-full" />;
}

/** What "Buy now" and "Make offer" send: an IOC limit buy at the best ask, or a resting
 * (GTC) limit buy at the client's price. */
export function marketplaceDraft(kind: "buy" | "offer", quantity: string, bestAsk: string | null, offer: string): OrderDraft {
  return {
    side: "BUY",
    kind: "LIMIT",
    quantity: Number(quantity) || 0,
    price: kind === "buy" ? bestAsk : offer.trim(),
    tif: kind === "buy" ? "IOC" : "GTC",
    postOnly: false,
  };
}

export interface BuyNowQuote {
  /** The best ask with another organisation's quantity in it (null: none listed). */
  price: string | null;
  /** Other organisations' quantity at that price. */
  available: number;
  /** The caller's own sell quantity at or below that price, which "Buy now" may reach. */
  own: number;
}

/** Where "Buy now" buys: an order never trades with its own organisation's resting
 * orders (self-trade prevention cancels those it reaches), so the price is the best ask
 * that holds someone else's quantity, and the caller is told about its own orders before. */
export function buyNowQuote(
  ladder: readonly { price: string; quantity: number }[],
  orders: readonly { order_type: "BUY" | "SELL"; price: string | null; remaining_quantity: number }[],
): BuyNowQuote {
  const ownAt = new Map<number, number>();
  for (const o of orders) {
    const p = o.order_type !== "SELL" || o.price === null ? null : toCents(o.price);
    if (p !== null) ownAt.set(p, (ownAt.get(p) ?? 0) + o.remaining_quantity);
  }
  let own = 0;
  for (const level of ladder) {
    const mine = Math.min(ownAt.get(toCents(level.price) ?? -1) ?? 0, level.quantity);
    own += mine;
    if (level.quantity > mine) return { price: level.price, available: level.quantity - mine, own };
  }
  return { price: null, available: 0, own };
}

/** Buy now / make offer for a signed-in client, each behind the order confirmation. */
function BuyBox({ c }: { c: CertificateDetail }) {
  const [quantity, setQuantity] = useState("");
  const [offer, setOffer] = useState("");
  const [confirming, setConfirming] = useState<"buy" | "offer" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const qc = useQueryClient();
  const { toast } = useToast();
  const access = useTradingAccess();
  const balances = useBalances();
  const fee = useTakerFee(c.instrument);
  // The organisation's own resting sells (its colleagues' and API keys' too).
  const own = useOwnOpenOrders(c.certificate_type);
  const quote = buyNowQuote(c.sellers_ladder, own.data?.items ?? []);
  const draft = marketplaceDraft(confirming ?? "buy", quantity, quote.price, offer);
  const place = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/orders/place", {
          body: {
            instrument: c.instrument,
            order_type: draft.side,
            order_kind: draft.kind,
            quantity: draft.quantity,
            price: draft.price,
            time_in_force: draft.tif,
            post_only: false,
          },
        }),
      ),
    onSuccess: (o) => {
      setConfirming(null);
      setQuantity("");
      setOffer("");
      void qc.invalidateQueries({ queryKey: ["marketplace"] });
      void qc.invalidateQueries({ queryKey: ["orders"] });
      void qc.invalidateQueries({ queryKey: ["funding", "balances"] });
      if (o.status === "OPEN") toast({ tone: "success", title: "Offer placed", description: `Buying ${o.quantity} ${o.certificate_type} at ${formatMoney(o.price ?? "0")}: resting on the order book` });
      else if (o.status === "EXPIRED" && !o.filled_quantity) toast({ tone: "info", title: "Nothing bought", description: "The sellers at this price were gone. Nothing was charged." });
      else
        toast({
          tone: "success",
          title: `Bought ${o.filled_quantity} ${o.certificate_type}`,
          description: `Average ${formatMoney(o.average_fill_price ?? "0")}${o.filled_quantity < o.quantity ? `; the other ${o.quantity - o.filled_quantity} were not available at this price and were cancelled` : ""}`,
        });
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const qtyOk = /^\d+$/.test(quantity) && Number(quantity) > 0;
  const qtyError = quantity && !qtyOk ? "Whole units only" : undefined;
  const offerError = offer && toCents(offer) === null ? "A price in EUR with up to 2 decimals" : undefined;
  const atBest = quote.available;
  const ownNote = quote.own
    ? selfTradeNote(quote.own, c.certificate_type, "BUY", money(quote.price ?? c.best_ask))
    : null;
  const eur = availableOf(balances.data);
  const halted = c.status === "HALTED";
  // "Buy now" is IOC at the best ask: it buys at most what is offered at that price.
  const short = confirming === "buy" && draft.quantity > atBest;
  const open = (kind: "buy" | "offer") => {
    setError(null);
    setConfirming(kind);
  };
  return (
    <>
      <p className="text-xs text-slate-500">
        Available to spend: <span className="font-medium text-navy-950" data-testid="available-eur">{formatMoney(eur)}</span>
      </p>
      {!access.canTrade && !access.loading && <Alert tone="info">Trading opens once your organisation and its KYC are approved.</Alert>}
      {halted && <Alert tone="warning">Trading in {c.certificate_type} is halted.</Alert>}
      <Input label={`Quantity (${c.certificate_type})`} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} error={qtyError} placeholder="0" />
      {qtyOk && quote.price && Number(quantity) > atBest && (
        <p className="text-xs text-slate-500">{formatDecimal(String(atBest))} available at {money(quote.price)}; "Buy now" cancels what it cannot buy at that price.</p>
      )}
      {ownNote && <p className="text-xs text-amber-800">{ownNote}</p>}
      <Button disabled={!qtyOk || !quote.price || own.isLoading || !access.canTrade || halted} onClick={() => open("buy")}>
        {quote.price ? `Buy now at ${money(quote.price)}` : "Buy now"}
      </Button>
      <Input label="Your offer (EUR per unit)" inputMode="decimal" value={offer} onChange={(e) => setOffer(e.target.value)} error={offerError} placeholder={c.best_bid ?? "0.00"} />
      <Button variant="secondary" disabled={!qtyOk || !offer || !!offerError || !access.canTrade || halted} onClick={() => open("offer")}>
        Make offer
      </Button>
      <OrderConfirmationModal
        open={!!confirming}
        draft={draft}
        symbol={c.instrument}
        est={estimate(short ? { ...draft, quantity: atBest } : draft, null, fee.bps)}
        note={
          confirming === "offer" ? (
            "Your offer rests on the order book until a seller accepts it or you cancel it. The EUR for it and the fee are reserved meanwhile."
          ) : short || ownNote ? (
            <>
              {short &&
                `${formatDecimal(String(atBest))} ${c.certificate_type} are for sale at ${money(draft.price)}: the estimate is for those, and the other ${formatDecimal(String(draft.quantity - atBest))} are cancelled. `}
              {ownNote}
            </>
          ) : undefined
        }
        busy={place.isPending}
        error={error}
        onClose={() => setConfirming(null)}
        onConfirm={() => place.mutate()}
      />
    </>
  );
}

/** For a visitor: how to get to the point of buying (staff, signed in, do not trade). */
function VisitorBox() {
  const { user } = useAuth();
  if (user)
    return <p className="rounded-lg bg-slate-50 p-3 text-sm text-slate-600">Staff accounts watch the market; only clients trade.</p>;
  return (
    <div className="flex flex-col gap-2 rounded-lg bg-slate-50 p-3 text-sm">
      <p className="text-slate-600">Clients of Niha buy and sell here, from the best offer or at their own price.</p>
      <Link to="/login" className="rounded-lg bg-navy-950 px-3 py-2 text-center font-medium text-white hover:bg-navy-900">
        Sign in to buy
      </Link>
      <a href="/#contact" className="text-center text-navy-700 underline-offset-2 hover:underline">
        New to Niha? Request access
      </a>
    </div>
  );
}

export function CertificateDetailModal({ id, onClose, visitor = false }: { id: string | null; onClose: () => void; visitor?: boolean }) {
  const [range, setRange] = useState<7 | 30 | 3650>(30);
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ["marketplace", "certificate", id, range],
    enabled: !!id,
    queryFn: () =>
      unwrap(api.GET("/api/v1/marketplace/certificates/{certificate_id}", { params: { path: { certificate_id: id! }, query: { history_days: range } } })),
  });
  const c = q.data;
  // The book moved: this certificate's ladder and prices, and which resting orders are
  // the organisation's (the list and the stats follow the ticker).
  useChannel(c ? `book.${c.instrument}` : null, () => {
    void qc.invalidateQueries({ queryKey: ["marketplace", "certificate", id] });
    if (!visitor) void qc.invalidateQueries({ queryKey: ["orders", "open", "own"] });
  });
  return (
    <Modal open={!!id} onClose={onClose} size="xl" title={c?.name ?? "Certificate"} description={c ? `${c.scheme} · ${c.registry} · ${c.phase}` : undefined}>
      {q.isLoading && (
        <div className="grid gap-6 md:grid-cols-[minmax(0,1fr)_260px]" aria-busy="true">
          <Skeleton className="h-64 w-full" />
          <Skeleton className="h-64 w-full" />
        </div>
      )}
      {q.isError && <Alert tone="error">{errorMessage(q.error)}</Alert>}
      {c && (
        <div className="grid gap-6 md:grid-cols-[minmax(0,1fr)_260px]">
          <div className="flex flex-col gap-3">
            <div className="flex items-end justify-between">
              <div>
                <p className="text-xs text-slate-500 uppercase">Current price</p>
                <p className="text-2xl font-bold text-navy-950">{money(c.current_price)}</p>
              </div>
              <div role="group" aria-label="Chart range" className="flex gap-1">
                {([7, 30, 3650] as const).map((r) => (
                  <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)}
                    className={cx("rounded-md px-2 py-1 text-xs font-medium", range === r ? "bg-navy-900 text-white" : "text-slate-600 hover:bg-slate-100")}>
                    {r === 3650 ? "All" : `${r}d`}
                  </button>
                ))}
              </div>
            </div>
            {c.price_history.length ? (
              <HistoryChart points={c.price_history} />
            ) : (
              <div className="grid h-48 place-items-center rounded-lg bg-slate-50 text-sm text-slate-500">No trades in this period</div>
            )}
            <p className="text-sm text-slate-600">{c.description}</p>
          </div>
          <div className="flex flex-col gap-3">
            <h3 className="text-sm font-semibold text-navy-950">Available sellers</h3>
            {c.sellers_ladder.length ? (
              <table className="w-full text-xs tabular-nums" aria-label="Available sellers">
                <thead>
                  <tr className="text-slate-500">
                    <th className="text-left font-medium">Price (EUR)</th>
                    <th className="text-right font-medium">Quantity</th>
                    <th className="text-right font-medium">Offers</th>
                  </tr>
                </thead>
                <tbody>
                  {c.sellers_ladder.slice(0, 8).map((l) => (
                    <tr key={l.price}>
                      <td className="text-red-700">{fmt(l.price)}</td>
                      <td className="text-right">{formatDecimal(String(l.quantity))}</td>
                      <td className="text-right text-slate-500">{l.orders}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="text-xs text-slate-500">No one is selling right now.{visitor ? "" : " Make an offer and it rests on the order book."}</p>
            )}
            {visitor ? <VisitorBox /> : <BuyBox c={c} />}
          </div>
        </div>
      )}
    </Modal>
  );
}

/** 30 days of daily closes per certificate type, for the trend lines. */
function useTrends() {
  return useQuery({
    queryKey: ["marketplace", "trend"],
    queryFn: async () => {
      const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const series = await Promise.all(
        (["EUA", "CEA"] as const).map((t) => unwrap(api.GET("/api/v1/marketplace/price-history", { params: { query: { certificate_type: t, interval: "daily", from } } }))),
      );
      return Object.fromEntries(series.map((h) => [h.certificate_type, h.points.map((p) => p.close)])) as Record<string, string[]>;
    },
    staleTime: 60_000,
  });
}

export function MarketStatsDashboard() {
  const qc = useQueryClient();
  useChannel("ticker", () => void qc.invalidateQueries({ queryKey: ["marketplace", "stats"] }));
  const stats = useQuery({ queryKey: ["marketplace", "stats"], queryFn: () => unwrap(api.GET("/api/v1/marketplace/statistics")) });
  const trends = useTrends();
  const tape = useQuery({
    queryKey: ["marketplace", "stats", "tape"],
    queryFn: async () => {
      const [a, b] = await Promise.all(
        ["EUA-EUR", "CEA-EUR"].map((s) => unwrap(api.GET("/api/v1/market/{instrument}/trades", { params: { path: { instrument: s }, query: { limit: 8 } } }))),
      );
      return [...(a?.items ?? []).map((t) => ({ ...t, s: "EUA" })), ...(b?.items ?? []).map((t) => ({ ...t, s: "CEA" }))]
        .sort((x, y) => y.created_at.localeCompare(x.created_at))
        .slice(0, 10);
    },
  });
  if (stats.isError) return <Alert tone="error" title="Market statistics are unavailable">{errorMessage(stats.error)}</Alert>;
  return (
    <section aria-label="Market statistics" className="grid gap-4 lg:grid-cols-3">
      {stats.isLoading &&
        [0, 1].map((i) => (
          <div key={i} className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4" aria-busy="true">
            <Skeleton className="h-5 w-16" />
            <Skeleton className="h-8 w-32" />
            <Skeleton className="h-12 w-full" />
            <Skeleton className="h-16 w-full" />
          </div>
        ))}
      {(stats.data?.certificates ?? []).map((c) => {
        const w = (id: string) => c.windows.find((x) => x.window === id);
        return (
          <div key={c.certificate_type} className="flex flex-col rounded-xl border border-slate-200 bg-white p-4">
            <div className="flex items-center justify-between">
              <h2 className="font-semibold text-navy-950">{c.certificate_type}</h2>
              <span className={cx("rounded-md px-2 py-0.5 text-xs font-semibold", c.trend === "up" ? "bg-emerald-50 text-emerald-700" : c.trend === "down" ? "bg-red-50 text-red-700" : "bg-slate-100 text-slate-600")}>
                {c.trend === "up" ? "▲ Up" : c.trend === "down" ? "▼ Down" : "Flat"} (7d)
              </span>
            </div>
            <p className="mt-1 text-2xl font-bold text-navy-950">{money(c.last_price)}</p>
            <div className="mt-2">
              <Sparkline closes={trends.data?.[c.certificate_type] ?? []} label={`${c.certificate_type} daily closing prices, last 30 days`} />
              <p className="text-[11px] text-slate-500">Daily close, 30 days</p>
            </div>
            <dl className="mt-3 grid grid-cols-3 gap-2 text-xs">
              {(["24h", "7d", "30d"] as const).map((id) => (
                <div key={id}>
                  <dt className="text-slate-500">Volume {id}</dt>
                  <dd className="font-semibold">{formatDecimal(String(w(id)?.volume ?? 0))} t</dd>
                  <dd className="text-slate-500">avg {fmt(w(id)?.average_price)}</dd>
                  <dd><Change value={w(id)?.change_percent} /></dd>
                </div>
              ))}
            </dl>
          </div>
        );
      })}
      <div className="rounded-xl border border-slate-200 bg-white p-4">
        <h2 className="font-semibold text-navy-950">
          Latest trades <span className="text-xs font-normal text-slate-500">(times UTC)</span>
        </h2>
        {tape.isLoading && <Skeleton className="mt-2 h-40 w-full" />}
        {tape.data && !tape.data.length && <p className="mt-2 text-sm text-slate-500">No trades yet.</p>}
        <ul className="mt-2 flex flex-col gap-1 text-xs tabular-nums">
          {(tape.data ?? []).map((t) => (
            <li key={t.id} className="flex justify-between">
              <span className="font-medium">{t.s}</span>
              <span className={t.taker_side === "BUY" ? "text-emerald-700" : "text-red-700"}>{fmt(t.price)}</span>
              <span>{formatDecimal(String(t.quantity))} t</span>
              <time dateTime={t.created_at} className="text-slate-500">
                {formatTimeOfDay(t.created_at)}
              </time>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

function CertificateCard({ c, onOpen, list }: { c: Certificate; onOpen: () => void; list: boolean }) {
  return (
    <button type="button" onClick={onOpen}
      className={cx("rounded-xl border border-slate-200 bg-white p-4 text-left transition hover:border-navy-300 hover:shadow-sm", list && "flex items-center justify-between gap-6")}>
      <div>
        <p className="text-xs font-semibold tracking-wide text-navy-700 uppercase">{c.certificate_type} · {c.scheme}</p>
        <h3 className="mt-1 font-semibold text-navy-950">{c.name}</h3>
        <p className="text-xs text-slate-500">{c.phase}</p>
      </div>
      <dl className={cx("grid grid-cols-3 gap-3 text-sm", !list && "mt-4")}>
        <div><dt className="text-xs text-slate-500">Price</dt><dd className="font-semibold">{fmt(c.current_price)}</dd></div>
        <div><dt className="text-xs text-slate-500">24h</dt><dd><Change value={c.change_24h_percent} /></dd></div>
        <div><dt className="text-xs text-slate-500">Available</dt><dd className="font-semibold">{formatDecimal(String(c.available_quantity))} t</dd></div>
        <div><dt className="text-xs text-slate-500">Best bid</dt><dd>{fmt(c.best_bid)}</dd></div>
        <div><dt className="text-xs text-slate-500">Best ask</dt><dd>{fmt(c.best_ask)}</dd></div>
        <div><dt className="text-xs text-slate-500">Sellers</dt><dd>{c.sellers}</dd></div>
      </dl>
    </button>
  );
}

/** Certificates for sale: filters, sort, grid or list; a card opens the detail. A
 * ``visitor`` (the public page, no login) sees the same live market (market data is
 * public, the socket too) and is invited to sign in instead of buying. */
export function MarketplacePage({ visitor = false }: { visitor?: boolean }) {
  const [type, setType] = useState<"" | "EUA" | "CEA">("");
  const [minPrice, setMinPrice] = useState("");
  const [maxPrice, setMaxPrice] = useState("");
  const [minQty, setMinQty] = useState("");
  const [sort, setSort] = useState<"name" | "price_asc" | "price_desc" | "available_desc" | "volume_desc">("name");
  const [list, setList] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const qc = useQueryClient();
  useChannel("ticker", () => void qc.invalidateQueries({ queryKey: ["marketplace", "certificates"] }));
  const query = {
    sort,
    ...(type ? { certificate_type: type } : {}),
    ...(toCents(minPrice) !== null ? { min_price: minPrice } : {}),
    ...(toCents(maxPrice) !== null ? { max_price: maxPrice } : {}),
    ...(/^\d+$/.test(minQty) ? { min_quantity: Number(minQty) } : {}),
  };
  const q = useQuery({
    queryKey: ["marketplace", "certificates", query],
    queryFn: () => unwrap(api.GET("/api/v1/marketplace/certificates", { params: { query } })),
  });
  return (
    <>
      <PageHeader title="Marketplace" description="Carbon allowances for sale on Niha, with live prices from the order book." />
      <div className="flex flex-col gap-6">
        <MarketStatsDashboard />
        <div className="grid gap-6 md:grid-cols-[220px_minmax(0,1fr)]">
          <aside aria-label="Filters" className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 text-sm">
            <h2 className="font-semibold text-navy-950">Filters</h2>
            <label className="flex flex-col gap-1">
              <span className="text-slate-600">Certificate type</span>
              <select className="rounded-md border border-slate-300 px-2 py-1.5" value={type} onChange={(e) => setType(e.target.value as typeof type)}>
                <option value="">All</option>
                <option value="EUA">EUA</option>
                <option value="CEA">CEA</option>
              </select>
            </label>
            <Input label="Min. price (EUR)" inputMode="decimal" value={minPrice} onChange={(e) => setMinPrice(e.target.value)} />
            <Input label="Max. price (EUR)" inputMode="decimal" value={maxPrice} onChange={(e) => setMaxPrice(e.target.value)} />
            <Input label="Min. available" inputMode="numeric" value={minQty} onChange={(e) => setMinQty(e.target.value)} />
          </aside>
          <div className="flex flex-col gap-3">
            <div className="flex items-center justify-between gap-3">
              <label className="flex items-center gap-2 text-sm">
                <span className="text-slate-600">Sort by</span>
                <select className="rounded-md border border-slate-300 px-2 py-1" value={sort} onChange={(e) => setSort(e.target.value as typeof sort)}>
                  <option value="name">Name</option>
                  <option value="price_asc">Price: low to high</option>
                  <option value="price_desc">Price: high to low</option>
                  <option value="available_desc">Most available</option>
                  <option value="volume_desc">Most traded (24h)</option>
                </select>
              </label>
              <div role="group" aria-label="Layout" className="flex gap-1">
                <Button size="sm" variant={list ? "secondary" : "primary"} aria-pressed={!list} onClick={() => setList(false)}>Grid</Button>
                <Button size="sm" variant={list ? "primary" : "secondary"} aria-pressed={list} onClick={() => setList(true)}>List</Button>
              </div>
            </div>
            {q.isError && <Alert tone="error" title="The certificates could not be loaded">{errorMessage(q.error)}</Alert>}
            <div className={cx("grid gap-4", !list && "sm:grid-cols-2")} aria-busy={q.isLoading}>
              {q.isLoading && [0, 1].map((i) => <Skeleton key={i} className="h-40 w-full rounded-xl" />)}
              {(q.data?.items ?? []).map((c) => (
                <CertificateCard key={c.id} c={c} list={list} onOpen={() => setOpen(c.id)} />
              ))}
              {q.data && !q.data.items.length && <p className="text-sm text-slate-500">No certificates match these filters.</p>}
            </div>
          </div>
        </div>
      </div>
      <CertificateDetailModal id={open} onClose={() => setOpen(null)} visitor={visitor} />
    </>
  );
}
