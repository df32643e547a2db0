import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { api, unwrap } from "../../../api/client";
import { Alert, Button, Input, Modal, Select, useToast } from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { formatDecimal, formatMoney } from "../../../lib/format";
import { cx } from "../../../lib/cx";
import type { Book, Instrument, Order } from "./types";
import { feeCents, fromCents, ownReached, selfTradeNote, toCents } from "./types";
import { useOwnOpenOrders, useTakerFee } from "./useMarket";

const TIME_IN_FORCE = [
  { value: "GTC", label: "GTC – good till cancelled" },
  { value: "IOC", label: "IOC – immediate or cancel" },
  { value: "FOK", label: "FOK – fill or kill" },
] as const;

export interface OrderDraft {
  side: "BUY" | "SELL";
  kind: "LIMIT" | "MARKET";
  quantity: number;
  price: string | null;
  tif: "GTC" | "IOC" | "FOK";
  postOnly: boolean;
}

/** The estimate shown before sending: notional and fee (MARKET orders walk the visible book). */
export function estimate(draft: OrderDraft, book: Book | null, takerBps: number): { notional: number; fee: number; filled: number } | null {
  if (!draft.quantity || draft.quantity <= 0) return null;
  if (draft.kind === "LIMIT") {
    const p = draft.price ? toCents(draft.price) : null;
    if (p === null || p <= 0) return null;
    const notional = p * draft.quantity;
    return { notional, fee: feeCents(notional, takerBps), filled: draft.quantity };
  }
  const levels = draft.side === "BUY" ? (book?.asks ?? []) : (book?.bids ?? []);
  let left = draft.quantity;
  let notional = 0;
  for (const l of levels) {
    if (!left) break;
    const take = Math.min(left, l.quantity);
    notional += take * (toCents(l.price) ?? 0);
    left -= take;
  }
  return { notional, fee: feeCents(notional, takerBps), filled: draft.quantity - left };
}

export function OrderConfirmationModal({
  open,
  draft,
  symbol,
  est,
  onClose,
  onConfirm,
  busy,
  error,
  note,
}: {
  open: boolean;
  draft: OrderDraft;
  symbol: string;
  est: ReturnType<typeof estimate>;
  onClose: () => void;
  onConfirm: () => void;
  busy: boolean;
  error: string | null;
  /** What the client should know before confirming (shown under the summary). */
  note?: ReactNode;
}) {
  const base = symbol.split("-")[0] ?? "";
  return (
    <Modal
      open={open}
      onClose={onClose}
      dismissible={!busy}
      title={`Confirm ${draft.side === "BUY" ? "buy" : "sell"} order`}
      description={`${draft.kind === "LIMIT" ? "Limit" : "Market"} order on ${symbol}`}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Back
          </Button>
          <Button onClick={onConfirm} loading={busy} variant={draft.side === "BUY" ? "primary" : "danger"}>
            {draft.side === "BUY" ? "Place buy order" : "Place sell order"}
          </Button>
        </>
      }
    >
      <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm">
        <dt className="text-slate-500">Side</dt>
        <dd className={cx("font-semibold", draft.side === "BUY" ? "text-emerald-700" : "text-red-700")}>{draft.side}</dd>
        <dt className="text-slate-500">Quantity</dt>
        <dd className="font-medium">
          {formatDecimal(String(draft.quantity))} {base}
        </dd>
        <dt className="text-slate-500">Price</dt>
        <dd className="font-medium">{draft.kind === "LIMIT" ? `${draft.price} EUR` : "Best available (within the price band)"}</dd>
        <dt className="text-slate-500">Time in force</dt>
        <dd className="font-medium">
          {draft.tif}
          {draft.postOnly ? " · post-only" : ""}
        </dd>
        {est && (
          <>
            <dt className="text-slate-500">Estimated total</dt>
            <dd className="font-medium">{formatDecimal(fromCents(est.notional), { scale: 2 })} EUR</dd>
            <dt className="text-slate-500">Max. fee</dt>
            <dd className="font-medium">{formatDecimal(fromCents(est.fee), { scale: 2 })} EUR</dd>
          </>
        )}
      </dl>
      {note && <p className="mt-3 text-xs text-slate-600">{note}</p>}
      {error && (
        <div className="mt-4">
          <Alert tone="error">{error}</Alert>
        </div>
      )}
    </Modal>
  );
}

/** Buy/sell, market/limit, quantity, price, available balance, estimate, preview + confirm. */
export function OrderEntryPanel({
  symbol,
  instrument,
  book,
  available,
  canTrade,
  pickedPrice,
}: {
  symbol: string;
  instrument: Instrument | undefined;
  book: Book | null;
  available: { quote: string; base: string };
  canTrade: boolean;
  pickedPrice: string | null;
}) {
  const base = symbol.split("-")[0] ?? "";
  const qc = useQueryClient();
  const { toast } = useToast();
  const [side, setSide] = useState<"BUY" | "SELL">("BUY");
  const [kind, setKind] = useState<"LIMIT" | "MARKET">("LIMIT");
  const [quantity, setQuantity] = useState("");
  const [price, setPrice] = useState("");
  const [tif, setTif] = useState<"GTC" | "IOC" | "FOK">("GTC");
  const [postOnly, setPostOnly] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (pickedPrice) setPrice(pickedPrice);
  }, [pickedPrice]);

  // What is sent, and what the confirmation shows: a MARKET order never rests (IOC), and
  // post-only applies to a resting (GTC) limit order only.
  const draft: OrderDraft = {
    side,
    kind,
    quantity: Number(quantity) || 0,
    price: kind === "LIMIT" ? price : null,
    tif: kind === "LIMIT" ? tif : "IOC",
    postOnly: kind === "LIMIT" && tif === "GTC" && postOnly,
  };
  const { bps: takerBps, negotiated } = useTakerFee(symbol);
  const est = estimate(draft, book, takerBps);
  const qtyError = quantity && (!/^\d+$/.test(quantity) || Number(quantity) <= 0) ? "Whole units only" : undefined;
  const priceError = kind === "LIMIT" && price && toCents(price) === null ? "Up to 2 decimals" : undefined;
  const valid = !!est && !qtyError && !priceError && (kind === "MARKET" || !!price);
  // A hint, not a rule (the server decides on the balance it holds): more than the
  // available balance would be refused. A MARKET buy is bounded by the euros available.
  const haveCents = toCents(available.quote);
  const exceeds =
    !!est &&
    (side === "SELL"
      ? draft.quantity > Number(available.base)
      : kind === "LIMIT" && haveCents !== null && est.notional + est.fee > haveCents);

  // The organisation's own resting orders here: an order that reaches them cancels them.
  const own = useOwnOpenOrders(base, confirming);
  const reached = ownReached(side, kind === "LIMIT" ? price : null, own.data?.items ?? []);

  const place = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/orders/place", {
          body: {
            instrument: symbol,
            order_type: side,
            order_kind: kind,
            quantity: draft.quantity,
            price: draft.price,
            time_in_force: draft.tif,
            post_only: draft.postOnly,
          },
        }),
      ),
    onSuccess: (order: Order) => {
      setConfirming(false);
      setQuantity("");
      void qc.invalidateQueries({ queryKey: ["orders"] });
      void qc.invalidateQueries({ queryKey: ["funding", "balances"] });
      const what = `${order.order_type === "BUY" ? "Buy" : "Sell"} ${order.quantity} ${base}`;
      if (order.status === "FILLED") toast({ tone: "success", title: `${what} filled`, description: `Average price ${formatMoney(order.average_fill_price ?? "0")}` });
      else if (order.status === "EXPIRED")
        toast({ tone: "info", title: `${what}: ${order.filled_quantity} filled`, description: "The rest was not executable and was cancelled." });
      else toast({ tone: "success", title: `${what} placed`, description: order.filled_quantity ? `${order.filled_quantity} filled so far` : "Resting on the book" });
    },
    onError: (e) => setError(errorMessage(e)),
  });

  const balance = side === "BUY" ? `${formatDecimal(available.quote, { scale: 2 })} EUR` : `${formatDecimal(available.base)} ${base}`;
  return (
    <section aria-label="Place an order" className="rounded-xl border border-slate-200 bg-white p-4">
      <div role="group" aria-label="Side" className="grid grid-cols-2 gap-1 rounded-lg bg-slate-100 p-1">
        {(["BUY", "SELL"] as const).map((s) => (
          <button
            key={s}
            type="button"
            aria-pressed={side === s}
            onClick={() => setSide(s)}
            className={cx(
              "rounded-md py-1.5 text-sm font-semibold",
              side === s ? (s === "BUY" ? "bg-emerald-700 text-white" : "bg-red-700 text-white") : "text-slate-600",
            )}
          >
            {s === "BUY" ? "Buy" : "Sell"}
          </button>
        ))}
      </div>
      <div role="group" aria-label="Order type" className="mt-3 flex gap-4 text-sm">
        {(["LIMIT", "MARKET"] as const).map((k) => (
          <label key={k} className="flex items-center gap-1.5">
            <input type="radio" name="kind" checked={kind === k} onChange={() => setKind(k)} />
            {k === "LIMIT" ? "Limit" : "Market"}
          </label>
        ))}
      </div>
      <form
        className="mt-3 flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (!valid) return;
          setError(null);
          setConfirming(true);
        }}
      >
        {kind === "LIMIT" && (
          <Input label="Price (EUR)" inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} error={priceError} placeholder={book?.asks[0]?.price ?? "0.00"} />
        )}
        <Input label={`Quantity (${base})`} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} error={qtyError} placeholder="0" />
        {kind === "LIMIT" && (
          <>
            <Select label="Time in force" value={tif} onChange={(e) => setTif(e.target.value as typeof tif)} options={TIME_IN_FORCE} />
            <label className="flex items-start gap-2 text-sm text-slate-700">
              <input type="checkbox" className="mt-1" checked={postOnly} disabled={tif !== "GTC"} onChange={(e) => setPostOnly(e.target.checked)} />
              <span>
                Post-only
                <span className="block text-xs text-slate-500">{tif === "GTC" ? "Rests on the book, never takes." : "Only for good-till-cancelled orders."}</span>
              </span>
            </label>
          </>
        )}
        <dl className="grid grid-cols-2 gap-y-1 rounded-lg bg-slate-50 p-3 text-xs">
          <dt className="text-slate-500">Available</dt>
          <dd className="text-right font-medium" data-testid="available-balance">
            {balance}
          </dd>
          <dt className="text-slate-500">Estimated total</dt>
          <dd className="text-right font-medium">{est ? `${formatDecimal(fromCents(est.notional), { scale: 2 })} EUR` : "—"}</dd>
          <dt className="text-slate-500">
            Fee (max. {takerBps} bps{negotiated ? ", your rate" : ""})
          </dt>
          <dd className="text-right font-medium">{est ? `${formatDecimal(fromCents(est.fee), { scale: 2 })} EUR` : "—"}</dd>
        </dl>
        {exceeds && canTrade && (
          <Alert tone="warning">
            More than your available {side === "BUY" ? "EUR" : base}: this order would be refused.
          </Alert>
        )}
        {!canTrade && <Alert tone="info">Trading opens once your organisation and its KYC are approved.</Alert>}
        {instrument?.status === "HALTED" && <Alert tone="warning">Trading is halted: {instrument.status_reason}</Alert>}
        <Button type="submit" disabled={!valid || !canTrade || instrument?.status === "HALTED"} variant={side === "BUY" ? "primary" : "danger"}>
          Preview {side === "BUY" ? "buy" : "sell"} order
        </Button>
      </form>
      <OrderConfirmationModal
        open={confirming}
        draft={draft}
        symbol={symbol}
        est={est}
        note={
          reached
            ? selfTradeNote(reached, base, side, kind === "LIMIT" ? formatMoney(price) : null)
            : undefined
        }
        busy={place.isPending}
        error={error}
        onClose={() => setConfirming(false)}
        onConfirm={() => place.mutate()}
      />
    </section>
  );
}
