import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { TRANSACTION_TYPES, type Transaction, type TransactionPage, type TransactionQuery, type TransactionType } from "../../../api/fundingTypes";
import { AbsoluteTime, Alert, Badge, Button, EmptyState, Input, Money, Quantity, Select, Table, useToast, type Column } from "../../../components";
import { downloadFile } from "../../../lib/download";
import { errorMessage } from "../../../lib/errors";
import { ASSET_SCALE, humanize } from "../../../lib/format";
import { useFundingEvents } from "./MyDepositsTab";

const STATUS_OPTIONS = ["PENDING", "ON_HOLD", "CLEARED", "RETURNED", "PROCESSING", "COMPLETED", "REJECTED", "CANCELLED"];

/** date_to is exclusive: "through 2025-03-02" is "before 2025-03-03T00:00:00Z". */
function dayAfter(d: string): string {
  const [y, m, day] = d.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, day! + 1)).toISOString().replace(".000Z", "Z");
}

function Amount({ value, asset, signed }: { value: string; asset: string; signed?: boolean }) {
  if ((ASSET_SCALE[asset] ?? 2) === 0) return <Quantity value={value} unit={asset} signed={signed} />;
  return <Money value={value} currency={asset} signed={signed} colored={signed} />;
}

export function TransactionHistoryTab() {
  const { toast } = useToast();
  const [type, setType] = useState<TransactionType | "">("");
  const [status, setStatus] = useState("");
  const [currency, setCurrency] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [exporting, setExporting] = useState(false);
  useFundingEvents("", ["funding", "transactions"]);

  const query: TransactionQuery = useMemo(
    () => ({
      ...(type ? { type } : {}),
      ...(status ? { status } : {}),
      ...(currency ? { currency } : {}),
      ...(from ? { date_from: `${from}T00:00:00Z` } : {}),
      ...(to ? { date_to: dayAfter(to) } : {}),
    }),
    [type, status, currency, from, to],
  );

  const list = useInfiniteQuery({
    queryKey: ["funding", "transactions", query],
    queryFn: async ({ pageParam }) =>
      // The route also answers text/csv, so the client's reply type is a union: this is the JSON one.
      (await unwrap(
        api.GET("/api/v1/funding/transactions", {
          params: { query: { ...query, limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      )) as TransactionPage,
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  async function exportCsv() {
    setExporting(true);
    try {
      const params = new URLSearchParams({ format: "csv" });
      for (const [k, v] of Object.entries(query)) if (v) params.set(k, String(v));
      await downloadFile(`/api/v1/funding/transactions?${params.toString()}`, "niha-transactions.csv");
    } catch (e) {
      toast({ title: "Export failed", description: errorMessage(e), tone: "error" });
    } finally {
      setExporting(false);
    }
  }

  const columns: Column<Transaction>[] = [
    { id: "date", header: "Date", cell: (t) => <AbsoluteTime value={t.created_at} className="whitespace-nowrap" /> },
    { id: "type", header: "Type", cell: (t) => <Badge tone="navy">{humanize(t.type)}</Badge> },
    {
      id: "description",
      header: "Description",
      cell: (t) => (
        <span className="flex flex-col">
          <span className="text-navy-950">{t.description}</span>
          <span className="text-xs text-slate-500">
            {humanize(t.from_bucket)} → {humanize(t.to_bucket)}
          </span>
        </span>
      ),
    },
    { id: "amount", header: "Amount", align: "right", cell: (t) => <Amount value={t.amount} asset={t.asset} /> },
    {
      id: "net",
      header: "Balance change",
      align: "right",
      hideOnMobile: true,
      cell: (t) => <Amount value={t.net_change} asset={t.asset} signed />,
    },
    { id: "status", header: "Status", cell: (t) => (t.status ? <Badge status={t.status.toLowerCase()} /> : <span className="text-slate-400">—</span>) },
  ];

  return (
    <div className="flex flex-col gap-4">
      <div className="grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-card sm:grid-cols-2 lg:grid-cols-6 lg:items-end">
        <Select
          label="Type"
          value={type}
          onChange={(e) => setType(e.target.value as TransactionType | "")}
          placeholder="All types"
          options={TRANSACTION_TYPES.map((t) => ({ value: t, label: humanize(t) }))}
        />
        <Select
          label="Status"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
          placeholder="Any status"
          options={STATUS_OPTIONS.map((s) => ({ value: s, label: humanize(s.toLowerCase()) }))}
        />
        <Select
          label="Asset"
          value={currency}
          onChange={(e) => setCurrency(e.target.value)}
          placeholder="All assets"
          options={["EUR", "EUA", "CEA"].map((c) => ({ value: c, label: c }))}
        />
        <Input label="From" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        <Input label="Through" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        <Button variant="secondary" onClick={() => void exportCsv()} loading={exporting}>
          Export CSV
        </Button>
      </div>
      {list.isError && <Alert tone="error">{errorMessage(list.error)}</Alert>}
      <Table
        label="Transaction history"
        columns={columns}
        rows={rows}
        rowKey={(t) => t.id}
        loading={list.isPending}
        empty={<EmptyState title="No transactions" description="Deposits, withdrawals, trades and fees appear here." />}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
    </div>
  );
}
