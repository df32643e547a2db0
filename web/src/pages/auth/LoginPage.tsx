import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { Alert, Button, Form, FormAlert, Input, useFieldErrors } from "../../components";
import { useAuth } from "../../lib/auth";
import { isApiError } from "../../lib/errors";
import { safeNextPath } from "../../lib/password";
import { homePath, pathAllowed } from "../../lib/permissions";
import { AuthShell } from "./AuthShell";
import { useAction } from "../../lib/useAction";

const MESSAGES = {
  invalid_credentials: "Email or password is incorrect.",
  account_locked: "This account is locked after too many failed sign-in attempts.",
  totp_invalid: "That code is not valid. Enter the current 6-digit code from your authenticator app.",
  rate_limited: "Too many sign-in attempts. Wait a minute and try again.",
};

export function LoginPage() {
  const { login, endedBecause, acknowledgeEnd } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next") ?? (location.state as { from?: string } | null)?.from);
  const expired = endedBecause === "expired" || params.get("reason") === "expired";

  const [step, setStep] = useState<"password" | "totp">("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const { busy, error, setError, run } = useAction();
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const apiFieldErrors = useFieldErrors(error);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (step === "totp") codeRef.current?.focus();
  }, [step]);

  async function submit() {
    const errs: Record<string, string> = {};
    if (!email.trim()) errs.email = "Enter your email address.";
    if (!password) errs.password = "Enter your password.";
    if (step === "totp" && !/^\d{6,8}$/.test(code.trim())) errs.totp_code = "Enter the 6-digit code.";
    setLocalErrors(errs);
    if (Object.keys(errs).length) return;

    await run(async () => {
      try {
        const user = await login(email.trim(), password, step === "totp" ? code.trim() : undefined);
        acknowledgeEnd();
        navigate(next && pathAllowed(user, next) ? next : homePath(user), { replace: true });
      } catch (e) {
        if (isApiError(e, "totp_required")) {
          setStep("totp"); // the next step, not an error
          return;
        }
        if (isApiError(e, "totp_invalid")) setCode("");
        throw e;
      }
    });
  }

  const fe = { ...apiFieldErrors, ...localErrors };
  const formError = error && !Object.keys(apiFieldErrors).length ? error : null;

  return (
    <AuthShell
      title={step === "password" ? "Sign in to Niha" : "Two-factor authentication"}
      subtitle={
        step === "password"
          ? "Use the email address your account was opened with."
          : "Enter the 6-digit code from your authenticator app."
      }
      footer={
        step === "password" ? (
          <p>Niha accounts are opened by invitation. If you were invited, use the link in your invitation email.</p>
        ) : null
      }
    >
      {expired && step === "password" && (
        <Alert tone="warning" title="Your session expired" className="mb-6">
          Sign in again to continue{next ? " where you left off" : ""}.
        </Alert>
      )}
      <Form onSubmit={submit} aria-label={step === "password" ? "Sign in" : "Two-factor code"}>
        <FormAlert error={formError} messages={MESSAGES} />
        {step === "password" ? (
          <>
            <Input
              label="Email"
              type="email"
              name="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              error={fe.email}
              required
              autoFocus
            />
            <Input
              label="Password"
              type="password"
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={fe.password}
              required
            />
            <div className="-mt-2 flex justify-end">
              <Link className="text-sm font-medium text-navy-700 hover:text-navy-950 hover:underline" to="/forgot-password">
                Forgot your password?
              </Link>
            </div>
          </>
        ) : (
          <Input
            ref={codeRef}
            label="Authentication code"
            name="totp_code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]*"
            maxLength={8}
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\s+/g, ""))}
            error={fe.totp_code}
            hint="Codes change every 30 seconds."
            className="font-mono tracking-[0.3em]"
            required
          />
        )}
        <Button type="submit" loading={busy} fullWidth>
          {step === "password" ? "Sign in" : "Verify and sign in"}
        </Button>
        {step === "totp" && (
          <Button
            variant="ghost"
            fullWidth
            onClick={() => {
              setStep("password");
              setCode("");
              setError(null);
            }}
          >
            Use a different account
          </Button>
        )}
      </Form>
    </AuthShell>
  );
}
