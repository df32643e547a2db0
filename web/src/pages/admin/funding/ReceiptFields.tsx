import { Input, Textarea } from "../../../components";
import { canonicalAmount } from "../../client/funding/amount";
import { localInputToIso, nowInput } from "./shared";

/** What staff read off the bank statement when a wire arrives. */
export interface ReceiptValues {
  amount: string;
  receivedAt: string;
  payerName: string;
  payerIban: string;
  notes: string;
}

export function emptyReceipt(amount = ""): ReceiptValues {
  return { amount, receivedAt: nowInput(), payerName: "", payerIban: "", notes: "" };
}

/** The receipt as the API takes it (`actual_amount`, `received_at`, optional payer and notes). */
export function receiptBody(v: ReceiptValues, currency: string) {
  return {
    actual_amount: canonicalAmount(v.amount),
    actual_currency: currency,
    received_at: localInputToIso(v.receivedAt),
    ...(v.notes.trim() ? { admin_notes: v.notes.trim() } : {}),
    ...(v.payerName.trim() ? { payer_name: v.payerName.trim() } : {}),
    ...(v.payerIban.trim() ? { payer_iban: v.payerIban.replace(/\s+/g, "") } : {}),
  };
}

/** The receipt's fields, shared by "Confirm receipt" and "Record unannounced wire". */
export function ReceiptFields({
  values,
  onChange,
  currency,
  errors,
  amountError,
  amountHint,
}: {
  values: ReceiptValues;
  onChange: (next: ReceiptValues) => void;
  currency: string;
  errors: Record<string, string>;
  amountError?: string | null;
  amountHint?: string;
}) {
  const set = (patch: Partial<ReceiptValues>) => onChange({ ...values, ...patch });
  return (
    <>
      <Input
        label={`Amount received (${currency})`}
        inputMode="decimal"
        value={values.amount}
        onChange={(e) => set({ amount: e.target.value })}
        error={amountError ?? errors.actual_amount}
        hint={amountHint}
        required
      />
      <Input
        label="Received at (UTC)"
        type="datetime-local"
        value={values.receivedAt}
        onChange={(e) => set({ receivedAt: e.target.value })}
        error={errors.received_at}
        required
      />
      <div className="grid gap-4 sm:grid-cols-2">
        <Input label="Payer name" value={values.payerName} onChange={(e) => set({ payerName: e.target.value })} error={errors.payer_name} maxLength={200} />
        <Input
          label="Payer IBAN"
          value={values.payerIban}
          onChange={(e) => set({ payerIban: e.target.value.toUpperCase() })}
          error={errors.payer_iban}
          className="font-mono"
          maxLength={64}
        />
      </div>
      <Textarea label="Notes" rows={2} value={values.notes} onChange={(e) => set({ notes: e.target.value })} maxLength={2000} />
    </>
  );
}
