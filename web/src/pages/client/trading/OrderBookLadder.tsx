import { formatDecimal } from "../../../lib/format";
import type { Book, Level } from "./types";

function Row({ level, max, side, onPick }: { level: Level; max: number; side: "bid" | "ask"; onPick?: (price: string) => void }) {
  const width = max ? Math.max(2, Math.round((level.quantity / max) * 100)) : 0;
  return (
    <tr
      className="relative cursor-pointer text-xs tabular-nums hover:bg-slate-50"
      onClick={() => onPick?.(level.price)}
      aria-label={`${side === "bid" ? "Bid" : "Ask"} ${level.price} EUR, ${level.quantity} units`}
    >
      <td className={side === "bid" ? "py-0.5 pl-3 font-medium text-emerald-700" : "py-0.5 pl-3 font-medium text-red-700"}>
        <span
          aria-hidden
          className={side === "bid" ? "absolute inset-y-0 right-0 bg-emerald-100/70" : "absolute inset-y-0 right-0 bg-red-100/70"}
          style={{ width: `${width}%` }}
        />
        <span className="relative">{formatDecimal(level.price, { scale: 2 })}</span>
      </td>
      <td className="relative py-0.5 text-right">{formatDecimal(String(level.quantity))}</td>
      <td className="relative py-0.5 pr-3 text-right text-slate-500">{level.orders}</td>
    </tr>
  );
}

/** The L2 ladder: asks above (best at the bottom), the spread, bids below; depth bars. */
export function OrderBookLadder({ book, onPick, rows = 12 }: { book: Book | null; onPick?: (price: string) => void; rows?: number }) {
  const asks = (book?.asks ?? []).slice(0, rows);
  const bids = (book?.bids ?? []).slice(0, rows);
  const max = Math.max(1, ...asks.map((l) => l.quantity), ...bids.map((l) => l.quantity));
  const bestBid = bids[0] ? Number(bids[0].price) : null;
  const bestAsk = asks[0] ? Number(asks[0].price) : null;
  const spread = bestBid !== null && bestAsk !== null ? (bestAsk - bestBid).toFixed(2) : null;
  return (
    <section aria-label="Order book" className="flex h-full flex-col rounded-xl border border-slate-200 bg-white">
      <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
        <h2 className="text-sm font-semibold text-navy-950">Order book</h2>
        <span className="text-xs text-slate-500" title="Sequence of the last change">
          #{book?.sequence ?? "…"}
        </span>
      </div>
      <table className="w-full">
        <thead>
          <tr className="text-[11px] tracking-wide text-slate-500 uppercase">
            <th className="py-1 pl-3 text-left font-medium">Price (EUR)</th>
            <th className="py-1 text-right font-medium">Quantity</th>
            <th className="py-1 pr-3 text-right font-medium">Orders</th>
          </tr>
        </thead>
        <tbody data-testid="book-asks">
          {[...asks].reverse().map((l) => (
            <Row key={`a${l.price}`} level={l} max={max} side="ask" onPick={onPick} />
          ))}
          {!asks.length && (
            <tr>
              <td colSpan={3} className="py-2 text-center text-xs text-slate-500">
                No offers
              </td>
            </tr>
          )}
        </tbody>
        <tbody>
          <tr>
            <td colSpan={3} className="border-y border-slate-100 bg-slate-50 px-3 py-1 text-xs text-slate-500">
              Spread {spread ?? "—"}
            </td>
          </tr>
        </tbody>
        <tbody data-testid="book-bids">
          {bids.map((l) => (
            <Row key={`b${l.price}`} level={l} max={max} side="bid" onPick={onPick} />
          ))}
          {!bids.length && (
            <tr>
              <td colSpan={3} className="py-2 text-center text-xs text-slate-500">
                No bids
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
