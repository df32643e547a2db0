import { CandlestickSeries, ColorType, createChart, HistogramSeries, type IChartApi, type ISeriesApi, type UTCTimestamp } from "lightweight-charts";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { cx } from "../../../lib/cx";
import { marketKey } from "./useMarket";
import type { TapeTrade } from "./types";

const INTERVALS = [
  { id: "1m", label: "1m", seconds: 60 },
  { id: "1h", label: "1H", seconds: 3600 },
  { id: "1d", label: "1D", seconds: 86400 },
] as const;
type IntervalId = (typeof INTERVALS)[number]["id"];

/** Candles (TradingView lightweight-charts) with volume; the last candle follows the live tape. */
export function PriceChart({ symbol, tape }: { symbol: string; tape: TapeTrade[] }) {
  const [interval, setInterval] = useState<IntervalId>("1d");
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const candles = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const volume = useRef<ISeriesApi<"Histogram"> | null>(null);
  const last = useRef<{ time: number; open: number; high: number; low: number; close: number; volume: number } | null>(null);
  const seconds = INTERVALS.find((i) => i.id === interval)!.seconds;

  const q = useQuery({
    queryKey: marketKey(symbol, `candles-${interval}`),
    queryFn: () =>
      unwrap(api.GET("/api/v1/market/{instrument}/candles", { params: { path: { instrument: symbol }, query: { interval } } })),
  });

  useEffect(() => {
    if (!box.current) return;
    const c = createChart(box.current, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "#ffffff" }, textColor: "#475569", fontSize: 11 },
      grid: { vertLines: { color: "#f1f5f9" }, horzLines: { color: "#f1f5f9" } },
      rightPriceScale: { borderColor: "#e2e8f0" },
      timeScale: { borderColor: "#e2e8f0", timeVisible: true },
    });
    candles.current = c.addSeries(CandlestickSeries, {
      upColor: "#059669",
      downColor: "#dc2626",
      borderVisible: false,
      wickUpColor: "#059669",
      wickDownColor: "#dc2626",
    });
    volume.current = c.addSeries(HistogramSeries, { priceScaleId: "", priceFormat: { type: "volume" }, color: "#cbd5e1" });
    volume.current.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    chart.current = c;
    return () => {
      c.remove();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    if (!q.data || !candles.current || !volume.current) return;
    const rows = q.data.candles.map((k) => ({
      time: Math.floor(Date.parse(k.time) / 1000) as UTCTimestamp,
      open: Number(k.open),
      high: Number(k.high),
      low: Number(k.low),
      close: Number(k.close),
      volume: k.volume,
    }));
    candles.current.setData(rows);
    volume.current.setData(rows.map((r) => ({ time: r.time, value: r.volume, color: r.close >= r.open ? "#a7f3d0" : "#fecaca" })));
    const tail = rows[rows.length - 1];
    last.current = tail ? { ...tail } : null;
    chart.current?.timeScale().fitContent();
  }, [q.data]);

  // Fold live trades into the last candle (or open a new one).
  const newest = tape[0];
  useEffect(() => {
    if (!newest || !candles.current || !volume.current) return;
    const t = Math.floor(Date.parse(newest.created_at) / 1000);
    const bucket = t - (t % seconds);
    const price = Number(newest.price);
    const cur = last.current;
    if (cur && bucket < cur.time) return;
    const next =
      cur && cur.time === bucket
        ? { ...cur, high: Math.max(cur.high, price), low: Math.min(cur.low, price), close: price, volume: cur.volume + newest.quantity }
        : { time: bucket, open: price, high: price, low: price, close: price, volume: newest.quantity };
    last.current = next;
    candles.current.update({ ...next, time: next.time as UTCTimestamp });
    volume.current.update({ time: next.time as UTCTimestamp, value: next.volume, color: next.close >= next.open ? "#a7f3d0" : "#fecaca" });
  }, [newest, seconds]);

  return (
    <section aria-label="Price chart" className="flex h-full flex-col rounded-xl border border-slate-200 bg-white">
      <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
        <h2 className="text-sm font-semibold text-navy-950">Price</h2>
        <div role="group" aria-label="Candle interval" className="flex gap-1">
          {INTERVALS.map((i) => (
            <button
              key={i.id}
              type="button"
              aria-pressed={interval === i.id}
              onClick={() => setInterval(i.id)}
              className={cx(
                "rounded-md px-2 py-1 text-xs font-medium",
                interval === i.id ? "bg-navy-900 text-white" : "text-slate-600 hover:bg-slate-100",
              )}
            >
              {i.label}
            </button>
          ))}
        </div>
      </div>
      <div ref={box} className="min-h-[320px] flex-1" data-testid="price-chart" />
    </section>
  );
}
