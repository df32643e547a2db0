import { useEffect, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { Logo } from "../components";
import { useUser } from "../lib/auth";
import { cx } from "../lib/cx";
import { OnboardingBanner } from "../pages/client/onboarding/OnboardingPage";
import { CloseIcon, MenuIcon } from "./icons";
import { Avatar, SignOutButton } from "./UserMenu";

const NAV = [
  { to: "/app", label: "Account", end: true },
  { to: "/app/onboarding", label: "Onboarding", end: false },
  { to: "/app/trade", label: "Trade", end: false },
  { to: "/app/marketplace", label: "Marketplace", end: false },
  { to: "/app/funding", label: "Funding", end: false },
  { to: "/app/security", label: "Security", end: false },
];

/** The clients' shell: top navigation. */
export function ClientLayout() {
  const user = useUser();
  const [open, setOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setOpen(false), [location.pathname]);

  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-30 border-b border-navy-900 bg-navy-950 text-white">
        <div className="mx-auto flex h-16 max-w-6xl items-center gap-6 px-4 sm:px-6">
          <NavLink to="/app" aria-label="Niha home">
            <Logo inverted />
          </NavLink>
          <nav aria-label="Main" className="hidden flex-1 items-center gap-1 md:flex">
            {NAV.map((item) => (
              <NavLink
                key={item.to}
                to={item.to}
                end={item.end}
                className={({ isActive }) =>
                  cx(
                    "rounded-lg px-3 py-2 text-sm font-medium transition-colors",
                    isActive ? "bg-white/10 text-white" : "text-navy-200 hover:bg-white/5 hover:text-white",
                  )
                }
              >
                {item.label}
              </NavLink>
            ))}
          </nav>
          <div className="ml-auto hidden items-center gap-3 md:flex">
            <div className="text-right text-sm leading-tight">
              <p className="font-medium">{user.name}</p>
              <p className="text-xs text-navy-300">{user.email}</p>
            </div>
            <Avatar name={user.name} />
            <SignOutButton inverted />
          </div>
          <button
            type="button"
            className="ml-auto rounded-lg p-2 text-navy-100 hover:bg-white/10 md:hidden"
            aria-label={open ? "Close menu" : "Open menu"}
            aria-expanded={open}
            aria-controls="client-mobile-nav"
            onClick={() => setOpen((o) => !o)}
          >
            {open ? <CloseIcon className="size-6" /> : <MenuIcon className="size-6" />}
          </button>
        </div>
        {open && (
          <div id="client-mobile-nav" className="border-t border-white/10 px-4 pt-2 pb-4 md:hidden">
            <nav aria-label="Main" className="flex flex-col gap-1">
              {NAV.map((item) => (
                <NavLink
                  key={item.to}
                  to={item.to}
                  end={item.end}
                  className={({ isActive }) =>
                    cx("rounded-lg px-3 py-2 text-sm font-medium", isActive ? "bg-white/10 text-white" : "text-navy-200")
                  }
                >
                  {item.label}
                </NavLink>
              ))}
            </nav>
            <div className="mt-3 flex items-center gap-3 border-t border-white/10 pt-3">
              <Avatar name={user.name} />
              <div className="min-w-0 flex-1 text-sm leading-tight">
                <p className="truncate font-medium">{user.name}</p>
                <p className="truncate text-xs text-navy-300">{user.email}</p>
              </div>
              <SignOutButton inverted />
            </div>
          </div>
        )}
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
        <OnboardingBanner />
        <Outlet />
      </main>
    </div>
  );
}
