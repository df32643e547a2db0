import type { ToastOptions } from "../../../components/Toast";
import { formatMoney, formatQuantity } from "../../../lib/format";
import type { FillEvent } from "./types";

/**
 * The toast for a fill of one of the client's orders: only for resting orders (MAKER).
 * An order that trades as it arrives (TAKER) is reported once by the answer to its own
 * placement ("Buy 5 EUA filled"), not once more per fill.
 */
export function fillToast(f: FillEvent): ToastOptions | null {
  if (f.liquidity !== "MAKER") return null;
  const base = f.instrument.split("-")[0] ?? "";
  return {
    tone: "success",
    title: `${f.side === "BUY" ? "Bought" : "Sold"} ${formatQuantity(f.quantity, base)}`,
    description: `at ${formatMoney(f.price)} (your resting order)`,
  };
}
