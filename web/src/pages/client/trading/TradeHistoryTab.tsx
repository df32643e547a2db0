import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import { AbsoluteTime, Badge, Money, Table } from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { humanize } from "../../../lib/format";
import { useChannel } from "../../../lib/useChannel";
import { CertificateFilter } from "./MyOrdersTab";

const PAGE = 25;

/** The organisation's trades, newest first (the counterparty is never shown). */
export function TradeHistoryTab() {
  const qc = useQueryClient();
  const [type, setType] = useState<"" | "EUA" | "CEA">("");
  useChannel("fills", () => void qc.invalidateQueries({ queryKey: ["orders", "trades"] }));
  const query = type ? { certificate_type: type } : {};
  const list = useInfiniteQuery({
    queryKey: ["orders", "trades", query],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/trades/my-trades", { params: { query: { ...query, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  return (
    <>
      <div className="mb-3">
        <CertificateFilter value={type} onChange={setType} />
      </div>
      <Table
        label="Trade history"
        rows={list.data?.pages.flatMap((p) => p.items)}
        loading={list.isLoading}
        rowKey={(t) => `${t.id}-${t.side}`}
        empty={list.isError ? errorMessage(list.error) : "No trades yet"}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
        columns={[
          { id: "time", header: "Time", cell: (t) => <AbsoluteTime value={t.created_at} /> },
          { id: "instrument", header: "Instrument", cell: (t) => t.instrument },
          { id: "side", header: "Side", cell: (t) => <span className={t.side === "BUY" ? "text-emerald-700" : "text-red-700"}>{t.side}</span> },
          { id: "price", header: "Price", align: "right", cell: (t) => <Money value={t.price} /> },
          { id: "qty", header: "Quantity", align: "right", cell: (t) => t.quantity },
          { id: "amount", header: "Amount", align: "right", cell: (t) => <Money value={t.amount} /> },
          { id: "fee", header: "Fee", align: "right", cell: (t) => <Money value={t.fee} />, hideOnMobile: true },
          { id: "liq", header: "Role", cell: (t) => humanize(t.liquidity), hideOnMobile: true },
          { id: "settle", header: "Settlement", cell: (t) => <Badge tone={t.settlement_status === "SETTLED" ? "emerald" : "slate"}>{humanize(t.settlement_status)}</Badge> },
        ]}
      />
    </>
  );
}
