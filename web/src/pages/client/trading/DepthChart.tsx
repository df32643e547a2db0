import type { Book } from "./types";

/** Cumulative depth: bids (green) left of the mid, asks (red) right of it. */
export function DepthChart({ book }: { book: Book | null }) {
  const W = 400;
  const H = 160;
  const bids = book?.bids ?? [];
  const asks = book?.asks ?? [];
  if (!bids.length && !asks.length) {
    return (
      <section aria-label="Depth chart" className="grid h-full min-h-[180px] place-items-center rounded-xl border border-slate-200 bg-white text-xs text-slate-500">
        No depth yet
      </section>
    );
  }
  const cum = (levels: { price: string; quantity: number }[]) => {
    let total = 0;
    return levels.map((l) => ({ p: Number(l.price), q: (total += l.quantity) }));
  };
  const b = cum(bids);
  const a = cum(asks);
  const prices = [...b.map((x) => x.p), ...a.map((x) => x.p)];
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  const maxQ = Math.max(1, ...b.map((x) => x.q), ...a.map((x) => x.q));
  const x = (p: number) => (hi === lo ? W / 2 : ((p - lo) / (hi - lo)) * W);
  const y = (q: number) => H - (q / maxQ) * (H - 10);
  const steps = (pts: { p: number; q: number }[]) => {
    let d = "";
    let prevQ = 0;
    for (const pt of pts) {
      d += `L${x(pt.p).toFixed(1)},${y(prevQ).toFixed(1)} L${x(pt.p).toFixed(1)},${y(pt.q).toFixed(1)} `;
      prevQ = pt.q;
    }
    return { d, last: prevQ };
  };
  const bs = steps(b);
  const as = steps(a);
  const bidPath = b[0] ? `M${x(b[0].p)},${H} ${bs.d} L0,${y(bs.last)} L0,${H} Z` : "";
  const askPath = a[0] ? `M${x(a[0].p)},${H} ${as.d} L${W},${y(as.last)} L${W},${H} Z` : "";
  return (
    <section aria-label="Depth chart" className="flex h-full flex-col rounded-xl border border-slate-200 bg-white">
      <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
        <h2 className="text-sm font-semibold text-navy-950">Depth</h2>
        <span className="text-xs text-slate-500">
          {lo.toFixed(2)} – {hi.toFixed(2)} EUR
        </span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" className="min-h-40 w-full flex-1" role="img" aria-label="Cumulative bid and ask depth">
        {bidPath && <path d={bidPath} fill="#d1fae5" stroke="#059669" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />}
        {askPath && <path d={askPath} fill="#fee2e2" stroke="#dc2626" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />}
      </svg>
    </section>
  );
}
