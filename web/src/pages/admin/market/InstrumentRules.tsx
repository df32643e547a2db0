import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Button, Card, ConfirmDialog, DetailList, FormAlert, Input, useFieldErrors, useToast } from "../../../components";
import { compareDecimal, formatDecimal } from "../../../lib/format";
import { OVERVIEW_KEY, patchInstrument, type AdminInstrument, type InstrumentPatch } from "./shared";

type FieldName = "price_band_percent" | "reference_price" | "min_quantity" | "max_quantity" | "maker_fee_bps" | "taker_fee_bps";

const FIELDS: { name: FieldName; label: string; kind: "decimal" | "integer"; hint: string; inputMode: "decimal" | "numeric" }[] = [
  { name: "price_band_percent", label: "Price band (± %)", kind: "decimal", hint: "Around the reference price; 0 turns the band off.", inputMode: "decimal" },
  { name: "reference_price", label: "Reference price (EUR)", kind: "decimal", hint: "The band's centre until the next trade.", inputMode: "decimal" },
  { name: "min_quantity", label: "Minimum quantity", kind: "integer", hint: "Units per order.", inputMode: "numeric" },
  { name: "max_quantity", label: "Maximum quantity", kind: "integer", hint: "Units per order.", inputMode: "numeric" },
  { name: "maker_fee_bps", label: "Maker fee (bps)", kind: "integer", hint: "1 bps = 0.01 %.", inputMode: "numeric" },
  { name: "taker_fee_bps", label: "Taker fee (bps)", kind: "integer", hint: "1 bps = 0.01 %.", inputMode: "numeric" },
];

type Values = Record<FieldName, string>;

function valuesOf(i: AdminInstrument): Values {
  return {
    price_band_percent: i.price_band_percent,
    reference_price: i.reference_price ?? "",
    min_quantity: String(i.min_quantity),
    max_quantity: String(i.max_quantity),
    maker_fee_bps: String(i.maker_fee_bps),
    taker_fee_bps: String(i.taker_fee_bps),
  };
}

function same(kind: "decimal" | "integer", a: string, b: string): boolean {
  if (a.trim() === b.trim()) return true;
  if (kind === "decimal" && /^\d+(\.\d+)?$/.test(a.trim()) && /^\d+(\.\d+)?$/.test(b.trim())) return compareDecimal(a.trim(), b.trim()) === 0;
  return false;
}

function display(name: FieldName, v: string): string {
  if (!v) return "—";
  if (name === "price_band_percent") return `±${v} %`;
  if (name === "reference_price") return `${formatDecimal(v, { scale: 2 })} EUR`;
  if (name.endsWith("_bps")) return `${v} bps`;
  return formatDecimal(v);
}

/**
 * The instrument's trading rules; staff with market:manage edit them (audited). The
 * parent keys it by the instrument's `updated_at`: a change made elsewhere resets it.
 */
export function InstrumentRules({ instrument, canManage }: { instrument: AdminInstrument; canManage: boolean }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const initial = useMemo(() => valuesOf(instrument), [instrument]);
  const [values, setValues] = useState<Values>(initial);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Partial<Record<FieldName, string>>>({});
  const [reviewing, setReviewing] = useState(false);
  const fe = useFieldErrors(error);
  const changed = FIELDS.filter((f) => !same(f.kind, values[f.name], initial[f.name]));
  const facts = [
    { label: "Tick size", value: `${instrument.tick_size} EUR` },
    { label: "Lot size", value: `${instrument.lot_size} unit${instrument.lot_size === 1 ? "" : "s"}` },
    {
      label: "Band now",
      value: instrument.band_low && instrument.band_high ? `${formatDecimal(instrument.band_low, { scale: 2 })} – ${formatDecimal(instrument.band_high, { scale: 2 })} EUR` : "No band (tick and lot only)",
    },
    { label: "Fees", value: instrument.fees_from_config ? "Platform defaults (configuration)" : "Set for this instrument" },
  ];

  function review() {
    const errs: Partial<Record<FieldName, string>> = {};
    for (const f of changed) {
      const v = values[f.name].trim();
      if (!v) errs[f.name] = "Enter a value.";
      else if (f.kind === "integer" && !/^\d+$/.test(v)) errs[f.name] = "Enter a whole number.";
    }
    setLocal(errs);
    setError(null);
    if (Object.keys(errs).length === 0 && changed.length) setReviewing(true);
  }

  async function save() {
    const body: InstrumentPatch = {};
    for (const f of changed) {
      const v = values[f.name].trim();
      if (f.name === "price_band_percent" || f.name === "reference_price") body[f.name] = v;
      else body[f.name] = Number(v);
    }
    try {
      const updated = await patchInstrument(instrument.symbol, body);
      qc.setQueryData(OVERVIEW_KEY, (old: { instruments: { instrument: AdminInstrument }[] } | undefined) =>
        old ? { ...old, instruments: old.instruments.map((it) => (it.instrument.symbol === updated.symbol ? { ...it, instrument: updated } : it)) } : old,
      );
      void qc.invalidateQueries({ queryKey: OVERVIEW_KEY });
      setValues(valuesOf(updated));
      toast({ tone: "success", title: `${instrument.symbol} rules updated` });
    } catch (e) {
      setError(e);
    } finally {
      setReviewing(false);
    }
  }

  if (!canManage) {
    return (
      <Card title="Instrument rules" description="Only operations and admins change them.">
        <DetailList items={[...FIELDS.map((f) => ({ label: f.label, value: display(f.name, initial[f.name]) })), ...facts]} />
      </Card>
    );
  }

  return (
    <Card title="Instrument rules" description="Changes apply to the next order and are recorded in the audit log.">
      <form
        noValidate
        aria-label={`${instrument.symbol} rules`}
        className="flex flex-col gap-5"
        onSubmit={(e) => {
          e.preventDefault();
          review();
        }}
      >
        <FormAlert error={Object.keys(fe).some((k) => FIELDS.some((f) => f.name === k)) ? null : error} />
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {FIELDS.map((f) => (
            <Input
              key={f.name}
              name={f.name}
              label={f.label}
              hint={f.hint}
              inputMode={f.inputMode}
              autoComplete="off"
              value={values[f.name]}
              onChange={(e) => {
                const v = e.target.value;
                setValues((old) => ({ ...old, [f.name]: v }));
                setLocal((old) => ({ ...old, [f.name]: undefined }));
              }}
              error={local[f.name] ?? fe[f.name] ?? null}
            />
          ))}
        </div>
        <div className="rounded-lg bg-slate-50 p-4">
          <DetailList items={facts} />
        </div>
        <div className="flex flex-wrap justify-end gap-2">
          <Button
            variant="secondary"
            disabled={!changed.length}
            onClick={() => {
              setValues(initial);
              setLocal({});
              setError(null);
            }}
          >
            Discard
          </Button>
          <Button type="submit" disabled={!changed.length}>
            Review changes
          </Button>
        </div>
      </form>
      <ConfirmDialog open={reviewing} title={`Apply to ${instrument.symbol}?`} confirmLabel="Apply changes" onCancel={() => setReviewing(false)} onConfirm={save}>
        <ul className="flex flex-col gap-1.5" aria-label="Changes">
          {changed.map((f) => (
            <li key={f.name} className="flex flex-wrap justify-between gap-x-4">
              <span className="text-slate-600">{f.label}</span>
              <span className="tabular-nums">
                <span className="text-slate-500 line-through">{display(f.name, initial[f.name])}</span> → <span className="font-semibold text-navy-950">{display(f.name, values[f.name].trim())}</span>
              </span>
            </li>
          ))}
        </ul>
      </ConfirmDialog>
    </Card>
  );
}
