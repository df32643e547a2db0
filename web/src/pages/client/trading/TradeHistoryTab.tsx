import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";
import { AbsoluteTime, Badge, Table } from "../../../components";
import { formatDecimal, humanize } from "../../../lib/format";
import { useChannel } from "../../../lib/useChannel";

export function TradeHistoryTab() {
  const qc = useQueryClient();
  useChannel("fills", () => void qc.invalidateQueries({ queryKey: ["orders", "trades"] }));
  const q = useQuery({
    queryKey: ["orders", "trades"],
    queryFn: () => unwrap(api.GET("/api/v1/trades/my-trades", { params: { query: { limit: 100 } } })),
  });
  return (
    <Table
      label="Trade history"
      rows={q.data?.items}
      loading={q.isLoading}
      rowKey={(t) => `${t.id}-${t.side}`}
      empty="No trades yet"
      columns={[
        { id: "time", header: "Time", cell: (t) => <AbsoluteTime value={t.created_at} /> },
        { id: "instrument", header: "Instrument", cell: (t) => t.instrument },
        { id: "side", header: "Side", cell: (t) => <span className={t.side === "BUY" ? "text-emerald-700" : "text-red-700"}>{t.side}</span> },
        { id: "price", header: "Price", align: "right", cell: (t) => formatDecimal(t.price, { scale: 2 }) },
        { id: "qty", header: "Quantity", align: "right", cell: (t) => t.quantity },
        { id: "amount", header: "Amount (EUR)", align: "right", cell: (t) => formatDecimal(t.amount, { scale: 2 }) },
        { id: "fee", header: "Fee", align: "right", cell: (t) => t.fee, hideOnMobile: true },
        { id: "liq", header: "Role", cell: (t) => humanize(t.liquidity), hideOnMobile: true },
        { id: "settle", header: "Settlement", cell: (t) => <Badge tone={t.settlement_status === "SETTLED" ? "emerald" : "slate"}>{humanize(t.settlement_status)}</Badge> },
      ]}
    />
  );
}
