/**
 * The backoffice market page's types, query keys, permissions and API helpers.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { api, unwrap } from "../../../api/client";
import type { components } from "../../../api/schema";
import type { User } from "../../../api/types";

type S = components["schemas"];
export type AdminInstrument = S["InstrumentOut"];
export type OverviewItem = S["MarketOverviewItem"];
export type StaffOrder = S["StaffOrderOut"];
export type StaffTrade = S["StaffTradeOut"];
export type InstrumentPatch = S["InstrumentPatchIn"];

export const MARKET_KEY = ["admin", "market"] as const;
export const OVERVIEW_KEY = [...MARKET_KEY, "overview"] as const;
export const ordersKey = (symbol: string) => [...MARKET_KEY, "orders", symbol] as const;
export const tradesKey = (symbol: string) => [...MARKET_KEY, "trades", symbol] as const;

/** The API's minimum for a reason (halt, resume, cancel on behalf). */
export const MIN_REASON = 3;

const MANAGERS = ["super_admin", "admin", "operations"];

/** market:manage — halt/resume, instrument rules, cancel orders on a client's behalf. */
export function canManageMarket(user: User | null | undefined): boolean {
  return !!user?.role && MANAGERS.includes(user.role);
}

/** trades:confirm — confirm block trades (the same roles as market:manage today). */
export function canConfirmTrades(user: User | null | undefined): boolean {
  return !!user?.role && MANAGERS.includes(user.role);
}

export function patchInstrument(symbol: string, body: InstrumentPatch): Promise<AdminInstrument> {
  return unwrap(api.PATCH("/api/v1/admin/instruments/{symbol}", { params: { path: { symbol } }, body }));
}

export function useOverview() {
  return useQuery({
    queryKey: OVERVIEW_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/admin/market/overview")),
  });
}

/** Entities by name, for the client filters (empty when the list cannot be read). */
export function useEntityOptions() {
  const q = useQuery({
    queryKey: [...MARKET_KEY, "entities"],
    queryFn: () => unwrap(api.GET("/api/v1/admin/entities", { params: { query: { limit: 200 } } })),
    staleTime: 5 * 60_000,
    retry: false,
  });
  return (q.data?.items ?? [])
    .map((e) => ({ value: e.id, label: e.legal_name ?? e.id }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * Refetch some queries soon, at most once per `ms`: a busy book sends many deltas, the
 * staff tables need to follow it, not to refetch on every one.
 */
export function useThrottledInvalidate(ms = 400) {
  const qc = useQueryClient();
  const pending = useRef(new Map<string, readonly unknown[]>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(
    (...keys: (readonly unknown[])[]) => {
      for (const k of keys) pending.current.set(JSON.stringify(k), k);
      if (timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        const due = [...pending.current.values()];
        pending.current.clear();
        for (const k of due) void qc.invalidateQueries({ queryKey: k });
      }, ms);
    },
    [qc, ms],
  );
}

/** "2025-03-02" (a date input) -> the start of that day, or of the next one, in UTC. */
export function dayStart(d: string, plusDays = 0): string {
  const [y, m, day] = d.split("-").map(Number);
  return new Date(Date.UTC(y!, m! - 1, day! + plusDays)).toISOString().replace(".000Z", "Z");
}
