import { formatDecimal, formatTimeOfDay } from "../../../lib/format";
import type { TapeTrade } from "./types";

export function RecentTrades({ trades }: { trades: TapeTrade[] }) {
  return (
    <section aria-label="Recent trades" className="flex h-full flex-col rounded-xl border border-slate-200 bg-white">
      <div className="border-b border-slate-100 px-4 py-2">
        <h2 className="text-sm font-semibold text-navy-950">Recent trades</h2>
      </div>
      <div className="max-h-[360px] overflow-y-auto" tabIndex={0} role="region" aria-label="Recent trades list">
        <table className="w-full text-xs tabular-nums">
          <thead className="sticky top-0 bg-white">
            <tr className="text-[11px] tracking-wide text-slate-500 uppercase">
              <th className="py-1 pl-3 text-left font-medium">Price</th>
              <th className="py-1 text-right font-medium">Qty</th>
              <th className="py-1 pr-3 text-right font-medium">Time (UTC)</th>
            </tr>
          </thead>
          <tbody data-testid="recent-trades">
            {trades.map((t) => (
              <tr key={t.id}>
                <td className={t.taker_side === "BUY" ? "py-0.5 pl-3 text-emerald-700" : "py-0.5 pl-3 text-red-700"}>
                  {formatDecimal(t.price, { scale: 2 })}
                </td>
                <td className="py-0.5 text-right">{formatDecimal(String(t.quantity))}</td>
                <td className="py-0.5 pr-3 text-right text-slate-500">
                  <time dateTime={t.created_at}>{formatTimeOfDay(t.created_at)}</time>
                </td>
              </tr>
            ))}
            {!trades.length && (
              <tr>
                <td colSpan={3} className="py-6 text-center text-slate-500">
                  No trades yet
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
