import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AreaSeries, ColorType, createChart, type UTCTimestamp } from "lightweight-charts";
import { useEffect, useRef, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { Alert, Button, Input, Modal, PageHeader, useToast } from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { cx } from "../../../lib/cx";
import { formatDecimal } from "../../../lib/format";
import { useChannel } from "../../../lib/useChannel";
import type { Certificate } from "./types";
import { toCents } from "./types";

const fmt = (v: string | null | undefined) => (v ? formatDecimal(v, { scale: 2 }) : "—");

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

export function CertificateDetailModal({ id, onClose }: { id: string | null; onClose: () => void }) {
  const [range, setRange] = useState<7 | 30 | 3650>(30);
  const [quantity, setQuantity] = useState("");
  const [offer, setOffer] = useState("");
  const [error, setError] = useState<string | null>(null);
  const qc = useQueryClient();
  const { toast } = useToast();
  const q = useQuery({
    queryKey: ["marketplace", "certificate", id, range],
    enabled: !!id,
    queryFn: () =>
      unwrap(api.GET("/api/v1/marketplace/certificates/{certificate_id}", { params: { path: { certificate_id: id! }, query: { history_days: range } } })),
  });
  const c = q.data;
  useChannel(c ? `book.${c.instrument}` : null, () => void qc.invalidateQueries({ queryKey: ["marketplace"] }));
  const place = useMutation({
    mutationFn: (kind: "buy" | "offer") =>
      unwrap(
        api.POST("/api/v1/orders/place", {
          body:
            kind === "buy"
              ? { instrument: c!.instrument, order_type: "BUY", order_kind: "LIMIT", quantity: Number(quantity), price: c!.best_ask, time_in_force: "IOC", post_only: false }
              : { instrument: c!.instrument, order_type: "BUY", order_kind: "LIMIT", quantity: Number(quantity), price: offer, time_in_force: "GTC", post_only: false },
        }),
      ),
    onSuccess: (o) => {
      setError(null);
      void qc.invalidateQueries({ queryKey: ["marketplace"] });
      toast({
        tone: o.filled_quantity ? "success" : "info",
        title: o.status === "OPEN" ? "Offer placed" : `Bought ${o.filled_quantity} ${o.certificate_type}`,
        description: o.average_fill_price ? `Average ${o.average_fill_price} EUR` : "Resting on the order book",
      });
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const qtyOk = /^\d+$/.test(quantity) && Number(quantity) > 0;
  return (
    <Modal open={!!id} onClose={onClose} size="xl" title={c?.name ?? "Certificate"} description={c ? `${c.scheme} · ${c.registry} · ${c.phase}` : undefined}>
      {c && (
        <div className="grid gap-6 md:grid-cols-[minmax(0,1fr)_260px]">
          <div className="flex flex-col gap-3">
            <div className="flex items-end justify-between">
              <div>
                <p className="text-xs text-slate-500 uppercase">Current price</p>
                <p className="text-2xl font-bold text-navy-950">{fmt(c.current_price)} EUR</p>
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
            <HistoryChart points={c.price_history} />
            <p className="text-sm text-slate-600">{c.description}</p>
          </div>
          <div className="flex flex-col gap-3">
            <h3 className="text-sm font-semibold text-navy-950">Available sellers</h3>
            <table className="w-full text-xs tabular-nums" aria-label="Available sellers">
              <thead>
                <tr className="text-slate-500">
                  <th className="text-left font-medium">Price</th>
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
            <Input label={`Quantity (${c.certificate_type})`} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />
            <Button disabled={!qtyOk || !c.best_ask} loading={place.isPending && place.variables === "buy"} onClick={() => place.mutate("buy")}>
              Buy now at {fmt(c.best_ask)}
            </Button>
            <Input label="Your offer (EUR per unit)" inputMode="decimal" value={offer} onChange={(e) => setOffer(e.target.value)} />
            <Button variant="secondary" disabled={!qtyOk || toCents(offer) === null} loading={place.isPending && place.variables === "offer"} onClick={() => place.mutate("offer")}>
              Make offer
            </Button>
            {error && <Alert tone="error">{error}</Alert>}
          </div>
        </div>
      )}
    </Modal>
  );
}

export function MarketStatsDashboard() {
  const qc = useQueryClient();
  useChannel("ticker", () => void qc.invalidateQueries({ queryKey: ["marketplace", "stats"] }));
  const stats = useQuery({ queryKey: ["marketplace", "stats"], queryFn: () => unwrap(api.GET("/api/v1/marketplace/statistics")) });
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
  return (
    <section aria-label="Market statistics" className="grid gap-4 lg:grid-cols-3">
      {(stats.data?.certificates ?? []).map((c) => {
        const w = (id: string) => c.windows.find((x) => x.window === id);
        return (
          <div key={c.certificate_type} className="rounded-xl border border-slate-200 bg-white p-4">
            <div className="flex items-center justify-between">
              <h2 className="font-semibold text-navy-950">{c.certificate_type}</h2>
              <span className={cx("rounded-md px-2 py-0.5 text-xs font-semibold", c.trend === "up" ? "bg-emerald-50 text-emerald-700" : c.trend === "down" ? "bg-red-50 text-red-700" : "bg-slate-100 text-slate-600")}>
                {c.trend === "up" ? "▲ Up" : c.trend === "down" ? "▼ Down" : "Flat"} (7d)
              </span>
            </div>
            <p className="mt-1 text-2xl font-bold text-navy-950">{fmt(c.last_price)} EUR</p>
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
        <h2 className="font-semibold text-navy-950">Latest trades</h2>
        <ul className="mt-2 flex flex-col gap-1 text-xs tabular-nums">
          {(tape.data ?? []).map((t) => (
            <li key={t.id} className="flex justify-between">
              <span className="font-medium">{t.s}</span>
              <span className={t.taker_side === "BUY" ? "text-emerald-700" : "text-red-700"}>{fmt(t.price)}</span>
              <span>{t.quantity} t</span>
              <span className="text-slate-500">{new Date(t.created_at).toLocaleTimeString()}</span>
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
        <div><dt className="text-xs text-slate-500">Available</dt><dd className="font-semibold">{formatDecimal(String(c.available_quantity))}</dd></div>
        <div><dt className="text-xs text-slate-500">Best bid</dt><dd>{fmt(c.best_bid)}</dd></div>
        <div><dt className="text-xs text-slate-500">Best ask</dt><dd>{fmt(c.best_ask)}</dd></div>
        <div><dt className="text-xs text-slate-500">Sellers</dt><dd>{c.sellers}</dd></div>
      </dl>
    </button>
  );
}

/** Certificates for sale: filters, sort, grid or list; a card opens the detail. */
export function MarketplacePage() {
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
            <div className={cx("grid gap-4", !list && "sm:grid-cols-2")}>
              {(q.data?.items ?? []).map((c) => (
                <CertificateCard key={c.id} c={c} list={list} onOpen={() => setOpen(c.id)} />
              ))}
              {q.data && !q.data.items.length && <p className="text-sm text-slate-500">No certificates match these filters.</p>}
            </div>
          </div>
        </div>
      </div>
      <CertificateDetailModal id={open} onClose={() => setOpen(null)} />
    </>
  );
}
