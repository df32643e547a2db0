import { useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { api, unwrap } from "../../../api/client";
import type { Entity, EntityInput, EntityType, KycStatusReport } from "../../../api/onboarding";
import { Alert, Button, Card, DetailList, Form, FormAlert, Input, Select, Stepper, useFieldErrors, useToast } from "../../../components";
import { AbsoluteTime } from "../../../components/Time";
import { useAuth } from "../../../lib/auth";
import { cx } from "../../../lib/cx";
import { fieldErrors, toApiError } from "../../../lib/errors";
import { countryName, countryOptions, documentLabel, ENTITY_TYPE_LABEL } from "../../onboarding/labels";
import { StatusBadge } from "../../onboarding/shared";

export const STEPS = ["Type", "Legal details", "Address & contact", "Review & submit"] as const;

const FIELDS = [
  "legal_name",
  "registration_number",
  "jurisdiction",
  "incorporation_date",
  "tax_id",
  "address_line1",
  "address_line2",
  "city",
  "postal_code",
  "country",
  "website",
  "contact_email",
  "contact_phone",
] as const;
type Field = (typeof FIELDS)[number];
type Values = Record<Field, string> & { entity_type: EntityType | "" };

const FIELD_STEP: Record<Field | "entity_type", number> = {
  entity_type: 0,
  legal_name: 1,
  registration_number: 1,
  jurisdiction: 1,
  incorporation_date: 1,
  tax_id: 1,
  address_line1: 2,
  address_line2: 2,
  city: 2,
  postal_code: 2,
  country: 2,
  website: 2,
  contact_email: 2,
  contact_phone: 2,
};

function labels(type: EntityType | ""): Record<Field, string> {
  const company = type !== "INDIVIDUAL";
  return {
    legal_name: company ? "Registered company name" : "Full legal name",
    registration_number: company ? "Company registration number" : "Passport or ID card number",
    jurisdiction: company ? "Jurisdiction of incorporation" : "Country of tax residence",
    incorporation_date: "Date of incorporation",
    tax_id: company ? "VAT or tax number" : "Tax identification number",
    address_line1: company ? "Registered address" : "Home address",
    address_line2: "Address line 2",
    city: "City",
    postal_code: "Postal code",
    country: "Country",
    website: "Website",
    contact_email: "Contact email",
    contact_phone: "Phone",
  };
}

function toValues(e: Entity | null): Values {
  const v = { entity_type: e?.entity_type ?? "" } as Values;
  for (const f of FIELDS) v[f] = (e?.[f] as string | null | undefined) ?? "";
  return v;
}

function toInput(v: Values): EntityInput {
  const body: Record<string, string | null> = { entity_type: v.entity_type };
  for (const f of FIELDS) body[f] = v[f].trim() || null;
  if (v.entity_type === "INDIVIDUAL") body.incorporation_date = null;
  return body as unknown as EntityInput;
}

function Summary({ values, onEdit }: { values: Values; onEdit?: (step: number) => void }) {
  const l = labels(values.entity_type);
  const show = (f: Field) => (f === "jurisdiction" || f === "country" ? countryName(values[f]) || "—" : values[f] || "—");
  const section = (title: string, step: number, fields: Field[]) => (
    <section aria-label={title} className="rounded-lg border border-slate-200 p-4">
      <div className="mb-3 flex items-center justify-between">
        <h3 className="text-sm font-semibold text-navy-950">{title}</h3>
        {onEdit && (
          <Button size="sm" variant="ghost" onClick={() => onEdit(step)} aria-label={`Edit ${title.toLowerCase()}`}>
            Edit
          </Button>
        )}
      </div>
      <DetailList items={fields.map((f) => ({ label: l[f], value: show(f) }))} />
    </section>
  );
  const legal: Field[] = ["legal_name", "registration_number", "jurisdiction", "tax_id"];
  if (values.entity_type !== "INDIVIDUAL") legal.splice(3, 0, "incorporation_date");
  return (
    <div className="flex flex-col gap-4">
      <section aria-label="Type" className="flex items-center justify-between rounded-lg border border-slate-200 p-4">
        <p className="text-sm">
          <span className="text-slate-500">Type: </span>
          <span className="font-medium text-navy-950">{values.entity_type ? ENTITY_TYPE_LABEL[values.entity_type] : "—"}</span>
        </p>
        {onEdit && (
          <Button size="sm" variant="ghost" onClick={() => onEdit(0)} aria-label="Edit type">
            Edit
          </Button>
        )}
      </section>
      {section("Legal details", 1, legal)}
      {section("Address & contact", 2, ["address_line1", "address_line2", "city", "postal_code", "country", "website", "contact_email", "contact_phone"])}
    </div>
  );
}

function TypeChoice({ value, onChange, error }: { value: EntityType | ""; onChange: (t: EntityType) => void; error?: string }) {
  const options: { type: EntityType; title: string; body: string }[] = [
    { type: "COMPANY", title: "Company", body: "A legal person: corporation, partnership, fund or public body." },
    { type: "INDIVIDUAL", title: "Individual", body: "A natural person trading on their own account." },
  ];
  return (
    <fieldset>
      <legend className="text-sm font-medium text-slate-800">Who will hold the account?</legend>
      <div className="mt-3 grid gap-3 sm:grid-cols-2">
        {options.map((o) => (
          <label
            key={o.type}
            className={cx(
              "flex cursor-pointer items-start gap-3 rounded-xl border p-4 transition-colors",
              value === o.type ? "border-emerald-500 bg-emerald-50/50 ring-1 ring-emerald-500" : "border-slate-300 hover:border-navy-300",
            )}
          >
            <input
              type="radio"
              name="entity_type"
              value={o.type}
              checked={value === o.type}
              onChange={() => onChange(o.type)}
              className="mt-1 accent-emerald-600"
            />
            <span>
              <span className="block font-medium text-navy-950">{o.title}</span>
              <span className="mt-0.5 block text-sm text-slate-600">{o.body}</span>
            </span>
          </label>
        ))}
      </div>
      {error && <p className="mt-2 text-xs font-medium text-red-700">{error}</p>}
    </fieldset>
  );
}

interface Missing {
  fields: string[];
  documents: string[];
}

export interface EntitySetupFlowProps {
  entity: Entity | null;
  kyc?: KycStatusReport;
  /** owners edit; other members read */
  canEdit: boolean;
  onGoToDocuments: () => void;
}

/** The 4-step wizard that sets up the client's entity; each step saves the draft. */
export function EntitySetupFlow({ entity, kyc, canEdit, onGoToDocuments }: EntitySetupFlowProps) {
  const qc = useQueryClient();
  const { reloadUser } = useAuth();
  const { toast } = useToast();
  const editable = canEdit && (!entity || entity.status === "DRAFT" || entity.status === "CHANGES_REQUESTED");
  const [values, setValues] = useState<Values>(() => toValues(entity));
  const [step, setStep] = useState(() => (entity ? 3 : 0));
  const [busy, setBusy] = useState<"save" | "next" | "submit" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [missing, setMissing] = useState<Missing | null>(null);
  const apiErrors = useFieldErrors(error);
  const fe: Record<string, string | undefined> = { ...apiErrors, ...local };
  const l = labels(values.entity_type);
  const [syncedFor, setSyncedFor] = useState(entity?.updated_at ?? null);
  if ((entity?.updated_at ?? null) !== syncedFor) {
    // The entity changed on the server (saved here, or reviewed by staff): show it.
    setSyncedFor(entity?.updated_at ?? null);
    setValues(toValues(entity));
  }

  function set(field: Field, value: string) {
    setValues((v) => ({ ...v, [field]: value }));
  }

  function refresh(saved?: Entity) {
    if (saved) qc.setQueryData(["onboarding", "entity"], saved);
    void qc.invalidateQueries({ queryKey: ["kyc", "status"] });
  }

  async function save(): Promise<Entity | null> {
    if (!values.entity_type) {
      setLocal({ entity_type: "Choose who will hold the account." });
      setStep(0);
      return null;
    }
    setLocal({});
    setError(null);
    try {
      const body = toInput(values);
      const saved = entity
        ? await unwrap(api.PUT("/api/v1/onboarding/entity/{entity_id}", { params: { path: { entity_id: entity.id } }, body }))
        : await unwrap(api.POST("/api/v1/onboarding/entity", { body }));
      if (!entity) await reloadUser();
      setSyncedFor(saved.updated_at);
      setValues(toValues(saved));
      refresh(saved);
      return saved;
    } catch (e) {
      setError(e);
      const first = Object.keys(fieldErrors(e))[0] as Field | undefined;
      if (first && first in FIELD_STEP) setStep(FIELD_STEP[first]);
      return null;
    }
  }

  async function saveDraft() {
    setBusy("save");
    const saved = await save();
    setBusy(null);
    if (saved) toast({ title: "Draft saved" });
  }

  async function next() {
    setBusy("next");
    const saved = await save();
    setBusy(null);
    if (saved) {
      setMissing(null);
      setStep((s) => Math.min(s + 1, STEPS.length - 1));
    }
  }

  async function submit() {
    setBusy("submit");
    setMissing(null);
    const saved = await save();
    if (!saved) return setBusy(null);
    const { data, error: problem, response } = await api.POST("/api/v1/onboarding/entity/{entity_id}/submit", {
      params: { path: { entity_id: saved.id } },
    });
    setBusy(null);
    if (!response.ok || !data) {
      const err = toApiError(response.status, problem);
      if (err.code === "incomplete_entity") {
        const p = problem as { missing_fields?: string[]; missing_documents?: string[] };
        setMissing({ fields: p.missing_fields ?? [], documents: p.missing_documents ?? [] });
      } else {
        setError(err);
      }
      return;
    }
    refresh(data);
    toast({ title: "Submitted for review", description: "Our compliance team will review your application." });
  }

  const comments = entity?.status === "CHANGES_REQUESTED" && entity.review_comments;

  if (!editable) {
    return (
      <div className="flex flex-col gap-5">
        {entity ? (
          <ReadOnlyStatus entity={entity} />
        ) : (
          <Alert title="Your organisation has not been set up yet">The account owner sets up the organisation and uploads the documents.</Alert>
        )}
        {entity && <Summary values={toValues(entity)} />}
      </div>
    );
  }

  const typeStep = (
    <TypeChoice
      value={values.entity_type}
      onChange={(t) => setValues((v) => ({ ...v, entity_type: t }))}
      error={fe.entity_type}
    />
  );

  const jurisdictionOptions = (() => {
    const opts = countryOptions();
    return values.jurisdiction && !opts.some((o) => o.value === values.jurisdiction)
      ? [{ value: values.jurisdiction, label: values.jurisdiction }, ...opts]
      : opts;
  })();

  const legalStep = (
    <div className="grid gap-4 sm:grid-cols-2">
      <Input label={l.legal_name} value={values.legal_name} onChange={(e) => set("legal_name", e.target.value)} error={fe.legal_name} required maxLength={200} containerClassName="sm:col-span-2" />
      <Input label={l.registration_number} value={values.registration_number} onChange={(e) => set("registration_number", e.target.value)} error={fe.registration_number} required maxLength={100} />
      <Select
        label={l.jurisdiction}
        value={values.jurisdiction}
        onChange={(e) => set("jurisdiction", e.target.value)}
        placeholder="Choose a country"
        options={jurisdictionOptions}
        error={fe.jurisdiction}
        required
      />
      {values.entity_type !== "INDIVIDUAL" && (
        <Input
          label={l.incorporation_date}
          type="date"
          value={values.incorporation_date}
          onChange={(e) => set("incorporation_date", e.target.value)}
          error={fe.incorporation_date}
          required
        />
      )}
      <Input
        label={l.tax_id}
        value={values.tax_id}
        onChange={(e) => set("tax_id", e.target.value)}
        hint={values.entity_type === "INDIVIDUAL" ? "Optional." : "Optional. An EU VAT number starts with its country code, e.g. DE123456789."}
        error={fe.tax_id}
        maxLength={50}
      />
    </div>
  );

  const addressStep = (
    <div className="grid gap-4 sm:grid-cols-2">
      <Input label={l.address_line1} autoComplete="address-line1" value={values.address_line1} onChange={(e) => set("address_line1", e.target.value)} error={fe.address_line1} required maxLength={200} containerClassName="sm:col-span-2" />
      <Input label={l.address_line2} autoComplete="address-line2" value={values.address_line2} onChange={(e) => set("address_line2", e.target.value)} error={fe.address_line2} maxLength={200} containerClassName="sm:col-span-2" />
      <Input label={l.city} autoComplete="address-level2" value={values.city} onChange={(e) => set("city", e.target.value)} error={fe.city} required maxLength={100} />
      <Input label={l.postal_code} autoComplete="postal-code" value={values.postal_code} onChange={(e) => set("postal_code", e.target.value)} error={fe.postal_code} required maxLength={20} />
      <Select label={l.country} autoComplete="country" value={values.country} onChange={(e) => set("country", e.target.value)} placeholder="Choose a country" options={countryOptions()} error={fe.country} required />
      <Input label={l.website} type="url" inputMode="url" value={values.website} onChange={(e) => set("website", e.target.value)} error={fe.website} hint="Optional." maxLength={300} />
      <Input label={l.contact_email} type="email" autoComplete="email" value={values.contact_email} onChange={(e) => set("contact_email", e.target.value)} error={fe.contact_email} hint="Optional; where we send account notices." maxLength={320} />
      <Input label={l.contact_phone} type="tel" autoComplete="tel" value={values.contact_phone} onChange={(e) => set("contact_phone", e.target.value)} error={fe.contact_phone} hint="Optional, with country code." maxLength={40} />
    </div>
  );

  const missingDocs = kyc?.missing ?? [];
  const reviewStep = (
    <div className="flex flex-col gap-5">
      <Summary values={values} onEdit={setStep} />
      <section aria-label="Documents" className="rounded-lg border border-slate-200 p-4">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h3 className="text-sm font-semibold text-navy-950">Documents</h3>
          <Button size="sm" variant="secondary" onClick={onGoToDocuments}>
            {missingDocs.length ? "Upload documents" : "Review documents"}
          </Button>
        </div>
        {kyc && kyc.checklist.length > 0 ? (
          <ul className="mt-3 flex flex-col gap-2 text-sm">
            {kyc.checklist.map((item) => (
              <li key={item.document_type} className="flex items-center justify-between gap-3">
                <span>{documentLabel(item.document_type)}</span>
                <StatusBadge status={item.state} />
              </li>
            ))}
          </ul>
        ) : (
          <p className="mt-2 text-sm text-slate-600">Save your details to see which documents we need.</p>
        )}
      </section>
    </div>
  );

  const content: ReactNode[] = [typeStep, legalStep, addressStep, reviewStep];
  const last = step === STEPS.length - 1;

  return (
    <div className="flex flex-col gap-6">
      {comments && (
        <Alert tone="warning" title="Changes requested by our compliance team">
          <p className="whitespace-pre-line">{comments}</p>
          <p className="mt-1">Update your details or documents, then submit again.</p>
        </Alert>
      )}
      <Stepper steps={STEPS} current={step} label="Organisation setup progress" />
      <Card title={STEPS[step]} description={entity ? <>Last saved <AbsoluteTime value={entity.updated_at} /></> : "Nothing is saved yet."}>
        <Form onSubmit={last ? submit : next} aria-label={STEPS[step]}>
          <FormAlert error={Object.keys(apiErrors).length ? null : error} />
          {missing && (
            <Alert tone="error" title="Your application is not complete yet">
              <ul className="list-disc pl-5">
                {missing.fields.map((f) => (
                  <li key={f}>{l[f as Field] ?? f}</li>
                ))}
                {missing.documents.map((d) => (
                  <li key={d}>{documentLabel(d)} (document)</li>
                ))}
              </ul>
            </Alert>
          )}
          {content[step]}
          <div className="mt-2 flex flex-wrap items-center gap-2 border-t border-slate-100 pt-4">
            {step > 0 && (
              <Button variant="secondary" onClick={() => setStep(step - 1)} disabled={!!busy}>
                Back
              </Button>
            )}
            <div className="ml-auto flex flex-wrap gap-2">
              {values.entity_type && (
                <Button variant="ghost" onClick={saveDraft} loading={busy === "save"} disabled={!!busy && busy !== "save"}>
                  Save draft
                </Button>
              )}
              <Button type="submit" loading={busy === (last ? "submit" : "next")} disabled={!!busy}>
                {last ? "Submit for review" : "Save and continue"}
              </Button>
            </div>
          </div>
        </Form>
      </Card>
    </div>
  );
}

function ReadOnlyStatus({ entity }: { entity: Entity }) {
  const title: Record<string, string> = {
    DRAFT: "Your organisation is being set up",
    CHANGES_REQUESTED: "Changes were requested",
    PENDING_REVIEW: "Submitted for review",
    APPROVED: "Your organisation is approved",
    SUSPENDED: "Your account is suspended",
  };
  const body: Record<string, ReactNode> = {
    DRAFT: "The account owner is completing the details and documents.",
    CHANGES_REQUESTED: entity.review_comments,
    PENDING_REVIEW: "Our compliance team is reviewing your application. We will notify you of the outcome.",
    APPROVED: "You can fund your account and trade.",
    SUSPENDED: entity.review_comments ?? "Contact your account manager.",
  };
  const tone = entity.status === "APPROVED" ? "success" : entity.status === "SUSPENDED" ? "error" : "info";
  return (
    <Alert tone={tone} title={title[entity.status]} action={<StatusBadge status={entity.status} />}>
      <p className="whitespace-pre-line">{body[entity.status]}</p>
      <p className="mt-1 text-xs">
        Since <AbsoluteTime value={entity.status_updated_at} />
      </p>
    </Alert>
  );
}
