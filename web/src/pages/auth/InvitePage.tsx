import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { Alert, Badge, Button, Form, FormAlert, Input, Skeleton, useFieldErrors } from "../../components";
import { AbsoluteTime } from "../../components/Time";
import { isApiError, weakMessage, type ApiError } from "../../lib/errors";
import { humanize } from "../../lib/format";
import { PASSWORD_HINT, passwordProblem } from "../../lib/password";
import { AuthShell } from "./AuthShell";
import { useAction } from "../../lib/useAction";

const INVITE_ERRORS: Record<string, { title: string; body: string }> = {
  invitation_not_found: {
    title: "Invitation not found",
    body: "This invitation link is not valid. Check that you copied the whole link, or ask your contact at Niha to send a new invitation.",
  },
  invitation_expired: {
    title: "This invitation has expired",
    body: "For your security, invitations are valid for a limited time. Ask your contact at Niha to send you a new one.",
  },
  invitation_revoked: {
    title: "This invitation was withdrawn",
    body: "The invitation is no longer valid. Ask your contact at Niha to send you a new one if you still need access.",
  },
  invitation_used: {
    title: "This invitation has already been used",
    body: "Your account is already set up. Sign in with your email and password.",
  },
};

function InviteProblem({ error }: { error: unknown }) {
  const known = isApiError(error) ? INVITE_ERRORS[(error as ApiError).code] : undefined;
  return (
    <div className="flex flex-col gap-4">
      <Alert tone="error" title={known?.title ?? "We couldn't open this invitation"}>
        {known?.body ?? "Something went wrong while loading the invitation. Try again in a moment."}
      </Alert>
      <Link
        to="/login"
        className="inline-flex h-10 items-center justify-center rounded-lg bg-white px-4 text-sm font-medium text-navy-900 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
      >
        Go to sign in
      </Link>
    </div>
  );
}

export function InvitePage() {
  const { token = "" } = useParams();
  const invitation = useQuery({
    queryKey: ["invitation", token],
    queryFn: () => unwrap(api.GET("/api/v1/auth/invitations/{token}", { params: { path: { token } } })),
    retry: false,
  });

  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const { busy, error, run } = useAction();
  const [local, setLocal] = useState<Record<string, string>>({});
  const [accepted, setAccepted] = useState(false);
  const apiErrors = useFieldErrors(error);

  useEffect(() => {
    if (invitation.data) setName((n) => n || invitation.data.name);
  }, [invitation.data]);

  const inv = invitation.data;

  async function submit() {
    if (!inv) return;
    const errs: Record<string, string> = {};
    if (!name.trim()) errs.name = "Enter your name.";
    const p = passwordProblem(password, inv.email);
    if (p) errs.password = p;
    if (confirm !== password) errs.confirm = "The passwords don't match.";
    setLocal(errs);
    if (Object.keys(errs).length) return;
    await run(async () => {
      await unwrap(
        api.POST("/api/v1/auth/invitations/{token}/accept", {
          params: { path: { token } },
          body: { password, name: name.trim() },
        }),
      );
      setAccepted(true);
    });
  }

  const inviteGone = isApiError(error) && INVITE_ERRORS[(error as ApiError).code];
  const weak = isApiError(error, "weak_password");
  const fe = { ...apiErrors, ...local };

  return (
    <AuthShell
      title={accepted ? "You're all set" : "Accept your invitation"}
      subtitle={inv && !accepted && !inviteGone ? "Set up your Niha account." : undefined}
    >
      {invitation.isPending ? (
        <div className="flex flex-col gap-4" aria-busy="true" aria-label="Loading invitation">
          <Skeleton className="h-16 w-full" />
          <Skeleton className="h-10 w-full" />
          <Skeleton className="h-10 w-full" />
        </div>
      ) : invitation.isError ? (
        <InviteProblem error={invitation.error} />
      ) : inviteGone ? (
        <InviteProblem error={error} />
      ) : accepted ? (
        <div className="flex flex-col gap-4">
          <Alert tone="success" title="Account activated">
            Your account for <strong>{inv?.email}</strong> is ready. Sign in with your email and new password.
          </Alert>
          <Link
            to="/login"
            className="inline-flex h-10 items-center justify-center rounded-lg bg-navy-900 px-4 text-sm font-medium text-white hover:bg-navy-800"
          >
            Sign in
          </Link>
        </div>
      ) : inv ? (
        <div className="flex flex-col gap-6">
          <div className="rounded-xl border border-slate-200 bg-white p-4 text-sm shadow-card">
            <p className="text-slate-500">You've been invited as</p>
            <p className="mt-0.5 font-medium break-all text-navy-950">{inv.email}</p>
            <div className="mt-2 flex flex-wrap items-center gap-2">
              {inv.role && <Badge tone="navy">{humanize(inv.role)}</Badge>}
              {inv.entity_role && <Badge tone="navy">{humanize(inv.entity_role)}</Badge>}
              <span className="text-xs text-slate-500">
                Expires <AbsoluteTime value={inv.expires_at} />
              </span>
            </div>
          </div>
          <Form onSubmit={submit} aria-label="Accept invitation">
            <FormAlert error={!weak && !Object.keys(apiErrors).length ? error : null} />
            <Input label="Email" type="email" value={inv.email} readOnly disabled autoComplete="username" />
            <Input
              label="Full name"
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              error={fe.name}
              required
            />
            <Input
              label="Password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              hint={PASSWORD_HINT}
              error={fe.password ?? (weak ? weakMessage(error) : undefined)}
              required
            />
            <Input
              label="Confirm password"
              type="password"
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              error={fe.confirm}
              required
            />
            <Button type="submit" loading={busy} fullWidth>
              Create account
            </Button>
          </Form>
        </div>
      ) : null}
    </AuthShell>
  );
}
