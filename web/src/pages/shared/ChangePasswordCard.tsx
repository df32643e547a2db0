import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { Button, Card, Form, FormAlert, Input, useFieldErrors, useToast } from "../../components";
import { useUser } from "../../lib/auth";
import { isApiError, weakMessage } from "../../lib/errors";
import { PASSWORD_HINT, passwordProblem } from "../../lib/password";
import { useAction } from "../../lib/useAction";

export function ChangePasswordCard() {
  const user = useUser();
  const { toast } = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const { busy, error, run } = useAction();
  const [local, setLocal] = useState<Record<string, string>>({});
  const apiErrors = useFieldErrors(error);

  async function submit() {
    const errs: Record<string, string> = {};
    if (!current) errs.current_password = "Enter your current password.";
    const p = passwordProblem(next, user.email);
    if (p) errs.new_password = p;
    else if (next === current) errs.new_password = "Choose a password different from the current one.";
    if (confirm !== next) errs.confirm = "The passwords don't match.";
    setLocal(errs);
    if (Object.keys(errs).length) return;
    await run(async () => {
      await unwrap(api.POST("/api/v1/auth/password", { body: { current_password: current, new_password: next } }));
      setCurrent("");
      setNext("");
      setConfirm("");
      toast({ title: "Password changed", description: "Use your new password next time you sign in." });
    });
  }

  const wrongCurrent = isApiError(error, "invalid_credentials");
  const weak = isApiError(error, "weak_password");
  const fe = { ...apiErrors, ...local };

  return (
    <Card title="Password" description="Change the password you use to sign in.">
      <Form onSubmit={submit} aria-label="Change password" className="max-w-md">
        <FormAlert error={!wrongCurrent && !weak && !Object.keys(apiErrors).length ? error : null} />
        <Input
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={fe.current_password ?? (wrongCurrent ? "Your current password is incorrect." : undefined)}
          required
        />
        <Input
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          hint={PASSWORD_HINT}
          error={fe.new_password ?? (weak ? weakMessage(error) : undefined)}
          required
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
        <div>
          <Button type="submit" loading={busy}>
            Change password
          </Button>
        </div>
      </Form>
    </Card>
  );
}
