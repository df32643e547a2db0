import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { useUser } from "../../../lib/auth";
import { useChannel } from "../../../lib/useChannel";
import { useEntity } from "../onboarding/OnboardingPage";
import { applyDelta, type Book, type BookDelta, type TapeTrade } from "./types";

export const marketKey = (symbol: string, what: string) => ["market", symbol, what] as const;

/**
 * The L2 book of an instrument, live: a REST snapshot, then `book.<symbol>` deltas
 * applied in sequence order. A delta that skips a sequence number means one was
 * missed: the snapshot is fetched again (deltas older than it are ignored).
 */
export function useLiveBook(symbol: string, depth = 50): { book: Book | null; resyncs: number } {
  const [book, setBook] = useState<Book | null>(null);
  const [resyncs, setResyncs] = useState(0);
  const pending = useRef<BookDelta[]>([]);
  const loading = useRef(false);

  const resync = useCallback(async () => {
    if (loading.current) return;
    loading.current = true;
    try {
      const snap = await unwrap(
        api.GET("/api/v1/market/{instrument}/book", { params: { path: { instrument: symbol }, query: { depth: 500 } } }),
      );
      let next: Book = snap;
      for (const d of pending.current.sort((a, b) => a.sequence - b.sequence)) {
        if (d.sequence === next.sequence + 1) next = applyDelta(next, d);
      }
      pending.current = [];
      setBook(next);
    } finally {
      loading.current = false;
    }
  }, [symbol]);

  useEffect(() => {
    setBook(null);
    pending.current = [];
    void resync();
  }, [resync]);

  const current = useRef<Book | null>(null);
  current.current = book;
  useChannel(`book.${symbol}`, (e) => {
    const delta = e.data as BookDelta;
    const now = current.current;
    if (loading.current || !now) {
      pending.current.push(delta);
      return;
    }
    if (delta.sequence <= now.sequence) return; // already in the snapshot
    if (delta.sequence === now.sequence + 1) {
      const next = applyDelta(now, delta);
      current.current = next;
      setBook(next);
      return;
    }
    // A gap: a delta was missed; start again from a fresh snapshot.
    pending.current.push(delta);
    setResyncs((n) => n + 1);
    void resync();
  });

  return {
    book: book ? { ...book, bids: book.bids.slice(0, depth), asks: book.asks.slice(0, depth) } : null,
    resyncs,
  };
}

export function useTicker(symbol: string) {
  const qc = useQueryClient();
  useChannel("ticker", (e) => {
    const d = e.data as { instrument?: string };
    if (d.instrument === symbol) void qc.invalidateQueries({ queryKey: marketKey(symbol, "ticker") });
  });
  return useQuery({
    queryKey: marketKey(symbol, "ticker"),
    queryFn: () => unwrap(api.GET("/api/v1/market/{instrument}/ticker", { params: { path: { instrument: symbol } } })),
  });
}

export function useTape(symbol: string): TapeTrade[] {
  const [trades, setTrades] = useState<TapeTrade[]>([]);
  const q = useQuery({
    queryKey: marketKey(symbol, "tape"),
    queryFn: () =>
      unwrap(api.GET("/api/v1/market/{instrument}/trades", { params: { path: { instrument: symbol }, query: { limit: 50 } } })),
  });
  useEffect(() => setTrades(q.data?.items ?? []), [q.data]);
  useChannel(`trades.${symbol}`, (e) => {
    const t = e.data as TapeTrade;
    setTrades((prev) => (prev.some((p) => p.id === t.id) ? prev : [t, ...prev].slice(0, 50)));
  });
  return trades;
}

export function useInstruments() {
  return useQuery({
    queryKey: ["market", "instruments"],
    queryFn: () => unwrap(api.GET("/api/v1/market/instruments")),
    staleTime: 60_000,
  });
}

/** Whether the signed-in member may place orders: not a viewer, and the organisation and
 * its KYC approved (the server checks again: `kyc_required`). */
export function useTradingAccess(): { canTrade: boolean; loading: boolean } {
  const user = useUser();
  const entity = useEntity();
  const e = entity.data;
  return {
    canTrade: user.entity_role !== "viewer" && e?.status === "APPROVED" && e?.kyc_status === "APPROVED",
    loading: entity.isLoading,
  };
}

/** The taker fee this organisation pays on `symbol` (a negotiated rate where staff set
 * one, else the instrument's): the most an order can cost in fees. */
export function useTakerFee(symbol: string): { bps: number; negotiated: boolean } {
  const instruments = useInstruments();
  const mine = useQuery({ queryKey: ["my-fees"], queryFn: () => unwrap(api.GET("/api/v1/fees")), staleTime: 60_000 });
  const own = mine.data?.find((f) => f.instrument === symbol);
  const instrument = instruments.data?.find((i) => i.symbol === symbol);
  return { bps: own?.taker_fee_bps ?? instrument?.taker_fee_bps ?? 10, negotiated: !!own?.negotiated };
}

/** The organisation's open orders on one certificate type (its colleagues' and API keys'
 * too): what self-trade prevention would cancel rather than trade with. Refreshed with
 * every other ["orders"] query. */
export function useOwnOpenOrders(certificate: string, enabled = true) {
  return useQuery({
    queryKey: ["orders", "open", "own", certificate],
    queryFn: () =>
      unwrap(api.GET("/api/v1/orders/my-orders", { params: { query: { status: "ACTIVE", certificate_type: certificate as "EUA" | "CEA", limit: 100 } } })),
    enabled,
  });
}
