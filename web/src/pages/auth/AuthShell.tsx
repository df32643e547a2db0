import type { ReactNode } from "react";
import { Link } from "react-router";
import { Logo } from "../../components";

export interface AuthShellProps {
  title: ReactNode;
  subtitle?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}

/** The frame of the signed-out pages: brand panel + a form card. */
export function AuthShell({ title, subtitle, children, footer }: AuthShellProps) {
  return (
    <div className="flex min-h-screen flex-col lg:flex-row">
      <aside className="relative hidden overflow-hidden bg-navy-950 text-white lg:flex lg:w-[44%] lg:flex-col lg:justify-between lg:p-12">
        <div aria-hidden="true" className="absolute -top-24 -right-24 size-96 rounded-full bg-emerald-500/10 blur-3xl" />
        <div aria-hidden="true" className="absolute -bottom-32 -left-20 size-[28rem] rounded-full bg-navy-600/30 blur-3xl" />
        <Link to="/" className="relative w-fit">
          <Logo inverted />
        </Link>
        <div className="relative max-w-md">
          <p className="text-3xl leading-tight font-semibold tracking-tight">
            The regulated venue for <span className="text-emerald-400">EU</span> and{" "}
            <span className="text-emerald-400">China</span> emission allowances.
          </p>
          <p className="mt-4 text-sm text-navy-200">
            Trade EUA and CEA against euros with segregated client funds, T+1 settlement and a full audit trail.
          </p>
        </div>
        <p className="relative text-xs text-navy-300">© Niha. Client money is held in segregated accounts.</p>
      </aside>
      <main className="flex flex-1 flex-col items-center justify-center px-4 py-10 sm:px-6">
        <div className="w-full max-w-sm">
          <div className="mb-8 lg:hidden">
            <Logo />
          </div>
          <h1 className="text-2xl font-semibold tracking-tight text-navy-950">{title}</h1>
          {subtitle && <div className="mt-1.5 text-sm text-slate-600">{subtitle}</div>}
          <div className="mt-8">{children}</div>
          {footer && <div className="mt-8 text-sm text-slate-600">{footer}</div>}
        </div>
      </main>
    </div>
  );
}
