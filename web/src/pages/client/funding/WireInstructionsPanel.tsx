import type { WireInstructions } from "../../../api/fundingTypes";
import { Alert, Money } from "../../../components";
import { formatAbsolute } from "../../../lib/format";
import { CopyButton } from "./CopyButton";

/** The platform's bank details and the reference to quote, each with a copy button. */
export function WireInstructionsPanel({ instructions }: { instructions: WireInstructions }) {
  const rows: { label: string; value: string; copy?: boolean; mono?: boolean }[] = [
    { label: "Beneficiary", value: instructions.beneficiary, copy: true },
    { label: "IBAN", value: instructions.iban, copy: true, mono: true },
    { label: "BIC / SWIFT", value: instructions.bic, copy: true, mono: true },
    { label: "Bank", value: `${instructions.bank_name}, ${instructions.bank_address}` },
  ];
  return (
    <div className="flex flex-col gap-4">
      <div className="rounded-xl border border-emerald-200 bg-emerald-50/60 p-4">
        <p className="text-xs font-medium tracking-wide text-emerald-800 uppercase">Payment reference — quote it exactly</p>
        <div className="mt-1 flex flex-wrap items-center justify-between gap-2">
          <p className="font-mono text-2xl font-semibold tracking-wider text-navy-950" data-testid="reference-code">
            {instructions.reference}
          </p>
          <CopyButton value={instructions.reference} label="payment reference" />
        </div>
        {instructions.amount && (
          <p className="mt-2 text-sm text-navy-900">
            Amount: <Money value={instructions.amount} currency={instructions.currency} className="font-semibold" />
          </p>
        )}
      </div>
      <dl className="divide-y divide-slate-100 rounded-xl border border-slate-200">
        {rows.map((r) => (
          <div key={r.label} className="px-4 py-3">
            <dt className="text-xs font-medium text-slate-500">{r.label}</dt>
            <dd className="mt-0.5 flex flex-wrap items-center justify-between gap-2">
              <span className={r.mono ? "font-mono text-sm text-navy-950" : "text-sm text-navy-950"}>{r.value}</span>
              {r.copy && <CopyButton value={r.value.replace(/\s+/g, r.label === "IBAN" ? "" : " ")} label={r.label} />}
            </dd>
          </div>
        ))}
      </dl>
      <Alert tone="info">
        Send a SEPA transfer from an account in your organisation's name by{" "}
        <strong className="font-semibold">{formatAbsolute(instructions.valid_until, { dateOnly: true })}</strong>: the announcement expires after
        that. Funds are credited once received and after a short compliance hold.
      </Alert>
    </div>
  );
}
