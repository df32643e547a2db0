import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { Alert, Button, Form, FormAlert, Input, useFieldErrors } from "../../components";
import { isApiError, weakMessage } from "../../lib/errors";
import { PASSWORD_HINT, passwordProblem } from "../../lib/password";
import { AuthShell } from "./AuthShell";
import { useAction } from "../../lib/useAction";

export function ResetPasswordPage() {
  const { token = "" } = useParams();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const { busy, error, run } = useAction();
  const [local, setLocal] = useState<Record<string, string>>({});
  const [done, setDone] = useState(false);
  const apiErrors = useFieldErrors(error);

  async function submit() {
    const errs: Record<string, string> = {};
    const p = passwordProblem(password);
    if (p) errs.password = p;
    if (confirm !== password) errs.confirm = "The passwords don't match.";
    setLocal(errs);
    if (Object.keys(errs).length) return;
    await run(async () => {
      await unwrap(api.POST("/api/v1/auth/password-reset/confirm", { body: { token, password } }));
      setDone(true);
    });
  }

  const badToken = isApiError(error, "invalid_token");
  const weak = isApiError(error, "weak_password");
  const fe = { ...apiErrors, ...local };
  const passwordError = fe.password ?? (weak && !apiErrors.password ? weakMessage(error) : undefined);

  return (
    <AuthShell
      title="Choose a new password"
      footer={
        <Link to="/login" className="font-medium text-navy-800 hover:underline">
          ← Back to sign in
        </Link>
      }
    >
      {done ? (
        <div className="flex flex-col gap-4">
          <Alert tone="success" title="Password changed">
            Your password has been changed. Sign in with your new password.
          </Alert>
          <Link
            to="/login"
            className="inline-flex h-10 items-center justify-center rounded-lg bg-navy-900 px-4 text-sm font-medium text-white hover:bg-navy-800"
          >
            Sign in
          </Link>
        </div>
      ) : badToken ? (
        <Alert
          tone="error"
          title="This reset link can't be used"
          action={
            <Link to="/forgot-password" className="font-medium underline">
              Request a new link
            </Link>
          }
        >
          It is invalid, has already been used, or has expired.
        </Alert>
      ) : (
        <Form onSubmit={submit} aria-label="Choose a new password">
          <FormAlert error={!weak && !Object.keys(apiErrors).length ? error : null} />
          <Input
            label="New password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            hint={PASSWORD_HINT}
            error={passwordError}
            required
            autoFocus
          />
          <Input
            label="Confirm new password"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            error={fe.confirm}
            required
          />
          <Button type="submit" loading={busy} fullWidth>
            Set new password
          </Button>
        </Form>
      )}
    </AuthShell>
  );
}
