import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { Spinner } from "../components";
import { useAuth } from "../lib/auth";
import { safeNextPath } from "../lib/password";
import { canOpen, homePath, pathAllowed, type StaffPage } from "../lib/permissions";

export function FullPageLoader({ label = "Loading" }: { label?: string }) {
  return (
    <div className="grid min-h-screen place-items-center" role="status" aria-label={label}>
      <Spinner className="size-6 text-navy-700" />
    </div>
  );
}

/** Only signed-in users of one kind; others go to sign in or to their own home. */
export function RequireAuth({ kind, children }: { kind: "staff" | "client"; children: ReactNode }) {
  const { status, user, endedBecause } = useAuth();
  const location = useLocation();
  if (status === "loading") return <FullPageLoader label="Restoring your session" />;
  if (!user) {
    const next = location.pathname + location.search;
    const params = new URLSearchParams({ next });
    if (endedBecause === "expired") params.set("reason", "expired");
    return <Navigate to={`/login?${params.toString()}`} replace />;
  }
  const isStaffUser = !!user.role;
  if ((kind === "staff") !== isStaffUser) return <Navigate to={homePath(user)} replace />;
  return <>{children}</>;
}

/** A backoffice page that only some staff roles may open. */
export function RequirePage({ page, children }: { page: StaffPage; children: ReactNode }) {
  const { user } = useAuth();
  if (!user || !canOpen(user, page)) return <Navigate to={user ? homePath(user) : "/login"} replace />;
  return <>{children}</>;
}

/** Signed-out pages (sign in): a signed-in user goes home instead. */
export function PublicOnly({ children }: { children: ReactNode }) {
  const { status, user } = useAuth();
  const location = useLocation();
  if (status === "loading") return <FullPageLoader label="Restoring your session" />;
  if (user) {
    const next = safeNextPath(new URLSearchParams(location.search).get("next"));
    return <Navigate to={next && pathAllowed(user, next) ? next : homePath(user)} replace />;
  }
  return <>{children}</>;
}

/** "/" goes to the user's home, or to sign in. */
export function HomeRedirect() {
  const { status, user } = useAuth();
  if (status === "loading") return <FullPageLoader label="Restoring your session" />;
  return <Navigate to={user ? homePath(user) : "/login"} replace />;
}
