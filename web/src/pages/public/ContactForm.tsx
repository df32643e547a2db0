import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { CONTACT_INTERESTS, type ContactInterest } from "../../api/onboarding";
import { Alert, Button, Form, FormAlert, Input, Select, Textarea, useFieldErrors } from "../../components";
import { isApiError } from "../../lib/errors";
import { countryOptions, INTEREST_LABEL } from "../onboarding/labels";
import { useAction } from "../../lib/useAction";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface Values {
  name: string;
  email: string;
  company: string;
  country: string;
  interest: ContactInterest | "";
  message: string;
}

const EMPTY: Values = { name: "", email: "", company: "", country: "", interest: "", message: "" };

/** The public "request access" form (POST /contact-requests). */
export function ContactForm() {
  const [values, setValues] = useState<Values>(EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});
  const { busy, error, run } = useAction();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const apiErrors = useFieldErrors(error);
  const fe = { ...apiErrors, ...local };

  function set<K extends keyof Values>(key: K, value: Values[K]) {
    setValues((v) => ({ ...v, [key]: value }));
  }

  async function submit() {
    const errs: Record<string, string> = {};
    if (!values.name.trim()) errs.name = "Enter your name.";
    if (!EMAIL_RE.test(values.email.trim())) errs.email = "Enter a valid email address.";
    if (!values.country) errs.country = "Choose your country.";
    if (!values.interest) errs.interest = "Tell us what you are interested in.";
    if (!values.message.trim()) errs.message = "Write a short message.";
    setLocal(errs);
    if (Object.keys(errs).length) return;
    await run(async () => {
      await unwrap(
        api.POST("/api/v1/contact-requests", {
          body: {
            name: values.name.trim(),
            email: values.email.trim(),
            company: values.company.trim() || null,
            country: values.country,
            interest: values.interest as ContactInterest,
            message: values.message.trim(),
          },
        }),
      );
      setSentTo(values.email.trim());
      setValues(EMPTY);
    });
  }

  if (sentTo) {
    return (
      <Alert
        tone="success"
        title="Thank you — we have your request"
        action={
          <Button variant="secondary" size="sm" onClick={() => setSentTo(null)}>
            Send another
          </Button>
        }
      >
        Our onboarding team will reply to <strong>{sentTo}</strong> within one business day. If your request is accepted, you will
        receive an invitation to open your account.
      </Alert>
    );
  }

  const fieldProblem = isApiError(error, "validation_error") && Object.keys(apiErrors).length > 0;
  return (
    <Form onSubmit={submit} aria-label="Request access">
      <FormAlert error={fieldProblem ? null : error} messages={{ rate_limited: "You have sent several requests already. Please try again later." }} />
      <div className="grid gap-4 sm:grid-cols-2">
        <Input label="Full name" autoComplete="name" value={values.name} onChange={(e) => set("name", e.target.value)} error={fe.name} required maxLength={200} />
        <Input
          label="Work email"
          type="email"
          autoComplete="email"
          value={values.email}
          onChange={(e) => set("email", e.target.value)}
          error={fe.email}
          required
          maxLength={320}
        />
        <Input
          label="Company"
          autoComplete="organization"
          hint="Leave empty if you trade as an individual."
          value={values.company}
          onChange={(e) => set("company", e.target.value)}
          error={fe.company}
          maxLength={200}
        />
        <Select
          label="Country"
          autoComplete="country"
          value={values.country}
          onChange={(e) => set("country", e.target.value)}
          placeholder="Choose a country"
          options={countryOptions()}
          error={fe.country}
          required
        />
      </div>
      <Select
        label="I am interested in"
        value={values.interest}
        onChange={(e) => set("interest", e.target.value as ContactInterest)}
        placeholder="Choose one"
        options={CONTACT_INTERESTS.map((i) => ({ value: i, label: INTEREST_LABEL[i] }))}
        error={fe.interest}
        required
      />
      <Textarea
        label="Message"
        rows={4}
        value={values.message}
        onChange={(e) => set("message", e.target.value)}
        hint="Volumes, timing, anything we should know."
        error={fe.message}
        required
        maxLength={5000}
      />
      <div className="flex flex-col-reverse items-start gap-3 sm:flex-row sm:items-center sm:justify-between">
        <p className="text-xs text-slate-500">We use your details only to answer this request.</p>
        <Button type="submit" loading={busy}>
          Request access
        </Button>
      </div>
    </Form>
  );
}
