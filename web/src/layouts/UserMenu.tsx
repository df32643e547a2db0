import { useNavigate } from "react-router";
import { useAuth } from "../lib/auth";
import { cx } from "../lib/cx";
import { LogoutIcon } from "./icons";

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")).toUpperCase() || "?";
}

export function Avatar({ name, className }: { name: string; className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cx("grid size-8 shrink-0 place-items-center rounded-full bg-emerald-100 text-xs font-semibold text-emerald-800", className)}
    >
      {initials(name)}
    </span>
  );
}

export function SignOutButton({ className, inverted }: { className?: string; inverted?: boolean }) {
  const { logout } = useAuth();
  const navigate = useNavigate();
  return (
    <button
      type="button"
      onClick={async () => {
        await logout();
        navigate("/login", { replace: true });
      }}
      className={cx(
        "inline-flex items-center gap-2 rounded-lg px-2.5 py-1.5 text-sm font-medium transition-colors",
        inverted ? "text-navy-200 hover:bg-white/10 hover:text-white" : "text-slate-600 hover:bg-slate-100 hover:text-navy-950",
        className,
      )}
    >
      <LogoutIcon className="size-4" />
      Sign out
    </button>
  );
}
