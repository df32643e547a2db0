import { useEffect, type ReactNode } from "react";
import { Link, Navigate, useLocation } from "react-router";
import { LivePrices } from "../shared/LivePrices";
import { useAuth } from "../../lib/auth";
import { homePath } from "../../lib/permissions";
import { FullPageLoader } from "../../routes/guards";
import { ContactForm } from "./ContactForm";
import { PublicHeader } from "./PublicHeader";

/** "/": the landing page for visitors; signed-in users go to their home. */
export function LandingRoute() {
  const { status, user } = useAuth();
  if (status === "loading") return <FullPageLoader label="Restoring your session" />;
  if (user) return <Navigate to={homePath(user)} replace />;
  return <LandingPage />;
}

function Market({ code, title, children }: { code: "EUA" | "CEA"; title: string; children: ReactNode }) {
  return (
    <article className="rounded-2xl border border-slate-200 bg-white p-6 shadow-card">
      <div className="flex items-center gap-3">
        <span className="grid size-11 place-items-center rounded-xl bg-navy-950 text-sm font-bold tracking-wide text-emerald-400">{code}</span>
        <h3 className="text-lg font-semibold text-navy-950">{title}</h3>
      </div>
      <div className="mt-4">
        <LivePrices code={code} />
      </div>
      <div className="mt-4 space-y-3 text-sm leading-relaxed text-slate-600">{children}</div>
    </article>
  );
}

const STEPS: { title: string; body: string }[] = [
  { title: "Request access", body: "Tell us about your organisation with the form below. We reply within one business day." },
  { title: "Accept your invitation", body: "We send the account owner an invitation to set a password and sign in." },
  { title: "Verify your organisation", body: "Enter your legal details and upload the KYC documents; our compliance team reviews them." },
  { title: "Fund and trade", body: "Once approved, wire euros to your segregated account and trade EUA and CEA." },
];

export function LandingPage() {
  const { hash } = useLocation();
  useEffect(() => {
    // Arriving from another page at "/#join": the section exists only once rendered.
    if (hash) document.getElementById(decodeURIComponent(hash.slice(1)))?.scrollIntoView();
  }, [hash]);
  return (
    <div className="min-h-screen bg-white">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <PublicHeader />

      <main id="main">
        <section className="relative overflow-hidden bg-navy-950 text-white" aria-labelledby="hero-title">
          <div aria-hidden="true" className="absolute -top-32 right-0 size-[32rem] rounded-full bg-emerald-500/10 blur-3xl" />
          <div aria-hidden="true" className="absolute -bottom-40 -left-24 size-[30rem] rounded-full bg-navy-600/30 blur-3xl" />
          <div className="relative mx-auto grid max-w-6xl gap-10 px-4 pt-16 pb-20 sm:px-6 lg:grid-cols-[1.2fr_1fr] lg:items-center lg:pt-24 lg:pb-28">
            <div>
              <p className="text-sm font-semibold tracking-wider text-emerald-400 uppercase">Carbon certificate trading</p>
              <h1 id="hero-title" className="mt-3 text-4xl leading-tight font-semibold tracking-tight sm:text-5xl">
                One venue for EU and China emission allowances.
              </h1>
              <p className="mt-5 max-w-xl text-lg text-navy-200">
                Niha lets companies buy, sell and swap EUA and CEA against euros — with segregated client money, T+1
                settlement to your registry account and a complete audit trail.
              </p>
              <div className="mt-8 flex flex-wrap gap-3">
                <a href="#contact" className="inline-flex h-11 items-center rounded-lg bg-emerald-500 px-5 text-sm font-semibold text-navy-950 hover:bg-emerald-400">
                  Request access
                </a>
                <Link to="/login" className="inline-flex h-11 items-center rounded-lg px-5 text-sm font-semibold text-white ring-1 ring-white/30 hover:bg-white/10">
                  Sign in
                </Link>
              </div>
            </div>
            <dl className="grid grid-cols-2 gap-4 text-sm">
              {[
                ["1 certificate", "= 1 tonne of CO₂ equivalent"],
                ["T+1", "settlement to your registry account"],
                ["EUR", "funding by bank wire, segregated"],
                ["EUA ⇄ CEA", "swaps quoted on request"],
              ].map(([k, v]) => (
                <div key={k} className="rounded-xl bg-white/5 p-4 ring-1 ring-white/10">
                  <dt className="text-lg font-semibold text-white">{k}</dt>
                  <dd className="mt-1 text-navy-200">{v}</dd>
                </div>
              ))}
            </dl>
          </div>
        </section>

        <section id="markets" className="mx-auto max-w-6xl scroll-mt-8 px-4 py-16 sm:px-6" aria-labelledby="markets-title">
          <h2 id="markets-title" className="text-2xl font-semibold tracking-tight text-navy-950">
            Two compliance markets, one account
          </h2>
          <p className="mt-2 max-w-2xl text-slate-600">
            Trade both against euros on a central limit order book, or swap one for the other. Prices below are from Niha's order book.
          </p>
          <div className="mt-8 grid gap-6 md:grid-cols-2">
            <Market code="EUA" title="EU Allowances">
              <p>
                The unit of the EU Emissions Trading System: each EUA allows its holder to emit one tonne of CO₂ equivalent.
                Installations and airlines in the EU surrender them every year for their verified emissions.
              </p>
              <p>Delivered to your account in the Union Registry.</p>
            </Market>
            <Market code="CEA" title="China Emission Allowances">
              <p>
                The allowance of China's national emissions trading scheme, the largest carbon market by covered emissions,
                used by power generators and, increasingly, heavy industry.
              </p>
              <p>Delivered through the national registry on settlement.</p>
            </Market>
          </div>
        </section>

        <section id="join" className="scroll-mt-8 bg-slate-50 py-16" aria-labelledby="join-title">
          <div className="mx-auto max-w-6xl px-4 sm:px-6">
            <h2 id="join-title" className="text-2xl font-semibold tracking-tight text-navy-950">
              How to join
            </h2>
            <ol className="mt-8 grid gap-6 sm:grid-cols-2 lg:grid-cols-4">
              {STEPS.map((s, i) => (
                <li key={s.title} className="rounded-2xl border border-slate-200 bg-white p-5 shadow-card">
                  <span className="grid size-8 place-items-center rounded-full bg-emerald-600 text-sm font-semibold text-white" aria-hidden="true">
                    {i + 1}
                  </span>
                  <h3 className="mt-4 font-semibold text-navy-950">
                    <span className="sr-only">Step {i + 1}: </span>
                    {s.title}
                  </h3>
                  <p className="mt-1.5 text-sm text-slate-600">{s.body}</p>
                </li>
              ))}
            </ol>
          </div>
        </section>

        <section id="contact" className="mx-auto max-w-6xl scroll-mt-8 px-4 py-16 sm:px-6" aria-labelledby="contact-title">
          <div className="grid gap-10 lg:grid-cols-[1fr_1.4fr]">
            <div>
              <h2 id="contact-title" className="text-2xl font-semibold tracking-tight text-navy-950">
                Request access
              </h2>
              <p className="mt-2 text-slate-600">
                Niha onboards professional clients: compliance buyers, traders, and market makers. Tell us who you are and what
                you need; a member of our onboarding team will get back to you.
              </p>
              <p className="mt-4 text-sm text-slate-600">
                Already a client?{" "}
                <Link to="/login" className="font-medium text-navy-800 underline underline-offset-2">
                  Sign in
                </Link>
              </p>
            </div>
            <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-card">
              <ContactForm />
            </div>
          </div>
        </section>
      </main>

      <footer className="border-t border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-col gap-2 px-4 py-8 text-xs text-slate-500 sm:flex-row sm:justify-between sm:px-6">
          <p>© Niha. Client money is held in segregated accounts.</p>
          <p>EUA: EU Emissions Trading System allowances · CEA: China national ETS allowances</p>
        </div>
      </footer>
    </div>
  );
}
