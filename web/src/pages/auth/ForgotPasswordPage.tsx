import { useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import { Alert, Button, Form, FormAlert, Input, useFieldErrors } from "../../components";
import { AuthShell } from "./AuthShell";
import { useAction } from "../../lib/useAction";

export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const { busy, error, run } = useAction();
  const [localError, setLocalError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const fe = useFieldErrors(error);

  async function submit() {
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) {
      setLocalError("Enter a valid email address.");
      return;
    }
    setLocalError(null);
    await run(async () => {
      await unwrap(api.POST("/api/v1/auth/password-reset/request", { body: { email: email.trim() } }));
      setSentTo(email.trim());
    });
  }

  return (
    <AuthShell
      title="Reset your password"
      subtitle="We'll email you a link to choose a new password."
      footer={
        <Link to="/login" className="font-medium text-navy-800 hover:underline">
          ← Back to sign in
        </Link>
      }
    >
      {sentTo ? (
        <Alert tone="success" title="Check your email">
          If an account exists for <strong>{sentTo}</strong>, a reset link is on its way. The link expires after a short
          time; if it doesn't arrive, check your spam folder or request another.
        </Alert>
      ) : (
        <Form onSubmit={submit} aria-label="Request a password reset">
          <FormAlert error={Object.keys(fe).length ? null : error} />
          <Input
            label="Email"
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={localError ?? fe.email}
            required
            autoFocus
          />
          <Button type="submit" loading={busy} fullWidth>
            Send reset link
          </Button>
        </Form>
      )}
    </AuthShell>
  );
}
