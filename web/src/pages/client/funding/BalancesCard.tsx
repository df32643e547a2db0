import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { api, unwrap } from "../../../api/client";
import type { AssetBalance } from "../../../api/fundingTypes";
import { Alert, Card, Money, Quantity, Skeleton } from "../../../components";
import { ASSET_SCALE } from "../../../lib/format";
import { errorMessage } from "../../../lib/errors";
import { useChannel } from "../../../lib/useChannel";

export const BALANCES_KEY = ["funding", "balances"] as const;

/** The entity's balances, kept live by the private `balances` channel. */
export function useBalances() {
  const qc = useQueryClient();
  useChannel("balances", () => void qc.invalidateQueries({ queryKey: BALANCES_KEY }));
  return useQuery({
    queryKey: BALANCES_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/balances")),
  });
}

const BUCKETS: { key: "available" | "reserved" | "on_hold" | "settling"; label: string; hint: string }[] = [
  { key: "available", label: "Available", hint: "Free to trade or withdraw" },
  { key: "reserved", label: "Reserved", hint: "Open orders and pending withdrawals" },
  { key: "on_hold", label: "On hold", hint: "Deposits in compliance review" },
  { key: "settling", label: "Settling", hint: "Traded, awaiting settlement" },
];

function Amount({ value, asset }: { value: string; asset: string }) {
  return (ASSET_SCALE[asset] ?? 2) === 0 ? <Quantity value={value} unit={asset} /> : <Money value={value} currency={asset} />;
}

function AssetRow({ balance }: { balance: AssetBalance }) {
  return (
    <div className="grid grid-cols-2 gap-x-4 gap-y-3 py-4 first:pt-0 last:pb-0 sm:grid-cols-5" aria-label={`${balance.asset} balances`} role="group">
      <div className="col-span-2 sm:col-span-1">
        <p className="text-xs font-medium tracking-wide text-slate-500 uppercase">{balance.asset}</p>
        <p className="mt-1 text-lg font-semibold text-navy-950">
          <Amount value={balance.total} asset={balance.asset} />
        </p>
        <p className="text-xs text-slate-500">Total</p>
      </div>
      {BUCKETS.map((b) => (
        <div key={b.key} className="min-w-0">
          <p className="text-xs font-medium text-slate-500" title={b.hint}>
            {b.label}
          </p>
          <p className={b.key === "available" ? "mt-1 font-semibold text-emerald-700" : "mt-1 text-navy-900"} data-testid={`${balance.asset}-${b.key}`}>
            <Amount value={balance[b.key]} asset={balance.asset} />
          </p>
        </div>
      ))}
    </div>
  );
}

export function BalancesCard({ actions }: { actions?: ReactNode }) {
  const balances = useBalances();
  const rows = balances.data?.balances ?? [];
  // EUR first, then certificates; assets with nothing at all are left out (EUR always shown).
  const shown = rows
    .filter((b) => b.asset === "EUR" || !/^0(\.0+)?$/.test(b.total))
    .sort((a, b) => (a.asset === "EUR" ? -1 : b.asset === "EUR" ? 1 : a.asset.localeCompare(b.asset)));
  return (
    <Card title="Balances" description="Per asset: available, reserved, on hold and settling." actions={actions}>
      {balances.isPending ? (
        <div className="flex flex-col gap-3" aria-busy="true">
          <Skeleton className="h-6 w-40" />
          <Skeleton className="h-10" />
        </div>
      ) : balances.isError ? (
        <Alert tone="error">{errorMessage(balances.error)}</Alert>
      ) : (
        <div className="divide-y divide-slate-100">
          {shown.map((b) => (
            <AssetRow key={b.asset} balance={b} />
          ))}
        </div>
      )}
    </Card>
  );
}

/** The available amount of one asset ("0.00" when unknown). */
export function availableOf(data: { balances: AssetBalance[] } | undefined, asset = "EUR"): string {
  return data?.balances.find((b) => b.asset === asset)?.available ?? "0.00";
}
