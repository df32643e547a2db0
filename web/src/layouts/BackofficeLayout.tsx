import { useEffect, useState, type ComponentType, type SVGProps } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router";
import { Logo } from "../components";
import { useUser } from "../lib/auth";
import { cx } from "../lib/cx";
import { humanize } from "../lib/format";
import { canOpen, STAFF_PAGE_PATH, type StaffPage } from "../lib/permissions";
import { useChannel, useConnectionState } from "../lib/useChannel";
import {
  AuditIcon,
  BanknoteIcon,
  BuildingIcon,
  ChartIcon,
  CloseIcon,
  DocumentCheckIcon,
  InboxIcon,
  MenuIcon,
  ShieldIcon,
  SwatchIcon,
  UsersIcon,
} from "./icons";
import { Avatar, SignOutButton } from "./UserMenu";

const NAV: { page: StaffPage; label: string; icon: ComponentType<SVGProps<SVGSVGElement>> }[] = [
  { page: "users", label: "Users", icon: UsersIcon },
  { page: "contacts", label: "Contact requests", icon: InboxIcon },
  { page: "entities", label: "Entities", icon: BuildingIcon },
  { page: "kyc", label: "KYC documents", icon: DocumentCheckIcon },
  { page: "funding", label: "Funding", icon: BanknoteIcon },
  { page: "market", label: "Market", icon: ChartIcon },
  { page: "audit", label: "Audit log", icon: AuditIcon },
  { page: "security", label: "Security", icon: ShieldIcon },
  { page: "styleguide", label: "Styleguide", icon: SwatchIcon },
];

function LiveIndicator() {
  const state = useConnectionState();
  const live = state === "open";
  const label = live ? "Live" : state === "reconnecting" ? "Reconnecting…" : state === "connecting" ? "Connecting…" : "Offline";
  return (
    <span className="inline-flex items-center gap-2 text-xs text-navy-300" role="status" aria-label={`Real-time updates: ${label}`}>
      <span className={cx("size-2 rounded-full", live ? "bg-emerald-400" : state === "idle" || state === "closed" ? "bg-slate-500" : "animate-pulse bg-amber-400")} />
      {label}
    </span>
  );
}

function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const user = useUser();
  return (
    <div className="flex h-full flex-col bg-navy-950 text-white">
      <div className="flex h-16 items-center gap-3 px-5">
        <Logo inverted />
        <span className="rounded-md bg-white/10 px-1.5 py-0.5 text-[10px] font-semibold tracking-wider text-navy-200 uppercase">
          Backoffice
        </span>
      </div>
      <nav aria-label="Backoffice" className="flex flex-1 flex-col gap-1 px-3 py-4">
        {NAV.filter((n) => canOpen(user, n.page)).map(({ page, label, icon: Icon }) => (
          <NavLink
            key={page}
            to={STAFF_PAGE_PATH[page]}
            onClick={onNavigate}
            className={({ isActive }) =>
              cx(
                "group flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium transition-colors",
                isActive ? "bg-white/10 text-white" : "text-navy-200 hover:bg-white/5 hover:text-white",
              )
            }
          >
            {({ isActive }) => (
              <>
                <Icon className={cx("size-5", isActive ? "text-emerald-400" : "text-navy-400 group-hover:text-navy-200")} />
                {label}
              </>
            )}
          </NavLink>
        ))}
      </nav>
      <div className="border-t border-white/10 p-4">
        <div className="mb-3">
          <LiveIndicator />
        </div>
        <div className="flex items-center gap-3">
          <Avatar name={user.name} />
          <div className="min-w-0 flex-1 text-sm leading-tight">
            <p className="truncate font-medium">{user.name}</p>
            <p className="truncate text-xs text-navy-300">{user.role ? humanize(user.role) : ""}</p>
          </div>
        </div>
        <SignOutButton inverted className="mt-3 w-full justify-center" />
      </div>
    </div>
  );
}

/** The staff shell: sidebar navigation, collapsing to a menu button on small screens. */
export function BackofficeLayout() {
  const user = useUser();
  const [open, setOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setOpen(false), [location.pathname]);
  // Keep the backoffice channel open for the whole staff session (live indicator).
  useChannel("backoffice", () => {});

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);

  return (
    <div className="min-h-screen lg:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      {/* In the flow (not fixed): the navy column runs the page's whole height, the nav stays in view. */}
      <aside className="z-30 hidden w-64 shrink-0 bg-navy-950 lg:block">
        <div className="sticky top-0 h-screen">
          <Sidebar />
        </div>
      </aside>
      <header className="sticky top-0 z-20 flex h-14 items-center gap-3 border-b border-slate-200 bg-white/90 px-4 backdrop-blur lg:hidden">
        <button
          type="button"
          className="rounded-lg p-2 text-navy-900 hover:bg-slate-100"
          aria-label="Open menu"
          aria-expanded={open}
          aria-controls="backoffice-mobile-nav"
          onClick={() => setOpen(true)}
        >
          <MenuIcon className="size-6" />
        </button>
        <Logo />
      </header>
      {open && (
        <div className="fixed inset-0 z-40 lg:hidden" id="backoffice-mobile-nav">
          <div className="absolute inset-0 animate-fade-in bg-navy-950/50" aria-hidden="true" onClick={() => setOpen(false)} />
          <div className="relative h-full w-72 max-w-[85vw] animate-slide-in shadow-overlay">
            <button
              type="button"
              className="absolute top-3.5 right-3 z-10 rounded-lg p-1.5 text-navy-200 hover:bg-white/10"
              aria-label="Close menu"
              onClick={() => setOpen(false)}
            >
              <CloseIcon className="size-5" />
            </button>
            <Sidebar onNavigate={() => setOpen(false)} />
          </div>
        </div>
      )}
      <div className="min-w-0 flex-1">
        {user.role && !user.totp_enabled && location.pathname !== STAFF_PAGE_PATH.security && (
          <div className="border-b border-amber-200 bg-amber-50 px-4 py-2.5 text-sm text-amber-900 sm:px-8" role="status">
            Two-factor authentication is not set up on your account.{" "}
            <Link to={STAFF_PAGE_PATH.security} className="font-semibold underline underline-offset-2">
              Set it up now
            </Link>
          </div>
        )}
        <main id="main" className="mx-auto max-w-7xl px-4 py-8 sm:px-8">
          <Outlet />
        </main>
      </div>
    </div>
  );
}
