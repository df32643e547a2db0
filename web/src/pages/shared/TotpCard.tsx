import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { TotpEnrollment } from "../../api/types";
import { Badge, Button, Card, Form, FormAlert, Input, QrCode, Stepper, useToast } from "../../components";
import { useAuth, useUser } from "../../lib/auth";
import { isApiError } from "../../lib/errors";
import { useAction } from "../../lib/useAction";

/** "JBSWY3DPEHPK3PXP" -> "JBSW Y3DP EHPK 3PXP" */
function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, "").replace(/(.{4})/g, "$1 ").trim();
}

/** Two-factor authentication with an authenticator app: set up, confirm, then on. */
export function TotpCard({ description }: { description: string }) {
  const user = useUser();
  const { reloadUser } = useAuth();
  const { toast } = useToast();
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null);
  const [code, setCode] = useState("");
  const { busy, error, run } = useAction();
  const [codeError, setCodeError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  async function start() {
    await run(async () => {
      setEnrollment(await unwrap(api.POST("/api/v1/auth/totp/enroll")));
      setCode("");
    });
  }

  async function confirm() {
    if (!/^\d{6,8}$/.test(code.trim())) {
      setCodeError("Enter the 6-digit code shown in your app.");
      return;
    }
    setCodeError(null);
    await run(async () => {
      try {
        await unwrap(api.POST("/api/v1/auth/totp/confirm", { body: { code: code.trim() } }));
      } catch (e) {
        if (!isApiError(e, "totp_invalid")) throw e;
        setCodeError("That code is not valid. Check the time on your phone and try the current code.");
        setCode("");
        return;
      }
      setEnrollment(null);
      await reloadUser().catch(() => undefined);
      toast({ title: "Two-factor authentication is on", description: "You'll be asked for a code each time you sign in." });
    });
  }

  async function copySecret() {
    if (!enrollment) return;
    try {
      await navigator.clipboard.writeText(enrollment.secret);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      /* clipboard unavailable: the secret is selectable */
    }
  }

  if (user.totp_enabled) {
    return (
      <Card title="Two-factor authentication" actions={<Badge status="active">On</Badge>}>
        <p className="text-sm text-slate-600">
          Your account is protected with an authenticator app. You'll be asked for a 6-digit code each time you sign in.
        </p>
        <p className="mt-2 text-sm text-slate-600">
          Lost the device? Niha staff can turn two-factor off for you once they have checked who you are; you then set it up again.
        </p>
      </Card>
    );
  }

  return (
    <Card
      title="Two-factor authentication"
      description={description}
      actions={<Badge status="pending">Not set up</Badge>}
    >
      <div className="flex flex-col gap-6">
        <Stepper label="Set-up progress" steps={["Scan the QR code", "Confirm a code"]} current={enrollment ? 1 : 0} />
        <FormAlert error={error} />
        {!enrollment ? (
          <div>
            <Button onClick={start} loading={busy}>
              Set up authenticator app
            </Button>
          </div>
        ) : (
          <div className="grid gap-8 md:grid-cols-[auto_1fr]">
            <div className="flex flex-col items-center gap-3">
              <QrCode
                value={enrollment.otpauth_uri}
                label="QR code to add Niha to your authenticator app"
                className="size-52 border border-slate-200 p-1"
              />
            </div>
            <div className="flex min-w-0 flex-col gap-5">
              <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-700">
                <li>Open your authenticator app and add an account.</li>
                <li>Scan the QR code, or type the key below.</li>
                <li>Enter the 6-digit code the app shows.</li>
              </ol>
              <div>
                <p className="text-xs font-medium tracking-wide text-slate-500 uppercase" id="totp-secret-label">
                  Setup key
                </p>
                <div className="mt-1 flex flex-wrap items-center gap-2">
                  <code
                    aria-labelledby="totp-secret-label"
                    data-testid="totp-secret"
                    className="rounded-md bg-slate-100 px-2.5 py-1.5 font-mono text-sm break-all text-navy-950 select-all"
                  >
                    {groupSecret(enrollment.secret)}
                  </code>
                  <Button variant="ghost" size="sm" onClick={copySecret}>
                    {copied ? "Copied" : "Copy key"}
                  </Button>
                </div>
              </div>
              <Form onSubmit={confirm} aria-label="Confirm authenticator code" className="max-w-xs">
                <Input
                  label="6-digit code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maxLength={8}
                  value={code}
                  onChange={(e) => setCode(e.target.value.replace(/\s+/g, ""))}
                  error={codeError}
                  className="font-mono tracking-[0.3em]"
                  required
                />
                <div className="flex gap-2">
                  <Button type="submit" loading={busy}>
                    Turn on
                  </Button>
                  <Button variant="ghost" onClick={() => setEnrollment(null)} disabled={busy}>
                    Cancel
                  </Button>
                </div>
              </Form>
            </div>
          </div>
        )}
      </div>
    </Card>
  );
}
