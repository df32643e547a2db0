import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Skeleton, Sparkline } from "../../components";
import { cx } from "../../lib/cx";
import { formatDecimal, formatMoney } from "../../lib/format";
import { useChannel } from "../../lib/useChannel";

/** The market's last price, 24h change and volume, bid/ask and 30 days of daily closes,
 * from the public market-data API, kept live by the public `ticker` channel. */
export function LivePrices({ code }: { code: "EUA" | "CEA" }) {
  const qc = useQueryClient();
  useChannel("ticker", (e) => {
    // The ticker channel carries both markets: refresh only this one's.
    const instrument = (e.data as { instrument?: string } | null)?.instrument;
    if (!instrument || instrument === `${code}-EUR`) void qc.invalidateQueries({ queryKey: ["public", "ticker", code] });
  });
  const ticker = useQuery({
    queryKey: ["public", "ticker", code],
    queryFn: () => unwrap(api.GET("/api/v1/market/{instrument}/ticker", { params: { path: { instrument: `${code}-EUR` } } })),
    retry: false,
  });
  const history = useQuery({
    queryKey: ["public", "history", code],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/marketplace/price-history", {
          params: { query: { certificate_type: code, interval: "daily", from: new Date(Date.now() - 30 * 86_400_000).toISOString() } },
        }),
      ),
    staleTime: 5 * 60_000,
    retry: false,
  });
  if (ticker.isLoading) return <Skeleton className="h-24 w-full" />;
  const t = ticker.data;
  if (!t?.last) return <p className="text-sm text-slate-500">{ticker.isError ? "Prices are unavailable right now." : "No trades yet."}</p>;
  const change = t.change_24h_percent === null ? null : Number(t.change_24h_percent);
  return (
    <div className="rounded-xl bg-slate-50 p-4" aria-label={`${code} market`} role="group">
      <div className="flex items-end justify-between gap-4">
        <div>
          <p className="text-xs font-medium tracking-wide text-slate-500 uppercase">Last price</p>
          <p className="text-2xl font-bold text-navy-950 tabular-nums" data-testid={`${code}-last`}>
            {formatMoney(t.last)}
          </p>
        </div>
        {change !== null && (
          <p className={cx("text-sm font-semibold tabular-nums", change >= 0 ? "text-emerald-700" : "text-red-700")}>
            {change > 0 ? "+" : ""}
            {t.change_24h_percent}% <span className="font-normal text-slate-500">24h</span>
          </p>
        )}
      </div>
      <Sparkline closes={history.data?.points.map((p) => p.close) ?? []} label={`${code} daily closing prices, last 30 days`} className="mt-3 h-10 w-full" />
      <dl className="mt-3 grid grid-cols-2 gap-2 text-xs tabular-nums">
        <div>
          <dt className="text-slate-500">Bid / ask</dt>
          <dd className="font-medium text-navy-950">
            {t.bid ? formatDecimal(t.bid, { scale: 2 }) : "—"} / {t.ask ? formatDecimal(t.ask, { scale: 2 }) : "—"}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Volume 24h</dt>
          <dd className="font-medium text-navy-950">{formatDecimal(String(t.volume_24h))} t</dd>
        </div>
      </dl>
    </div>
  );
}

