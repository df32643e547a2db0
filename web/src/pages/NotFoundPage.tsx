import { Link } from "react-router";
import { Logo } from "../components";

export function NotFoundPage() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4 px-4 text-center">
      <Logo />
      <p className="text-sm font-semibold text-emerald-700">404</p>
      <h1 className="text-2xl font-semibold tracking-tight text-navy-950">Page not found</h1>
      <p className="max-w-sm text-sm text-slate-600">The page you were looking for doesn't exist or has moved.</p>
      <Link to="/" className="rounded-lg bg-navy-900 px-4 py-2 text-sm font-medium text-white hover:bg-navy-800">
        Go to your home page
      </Link>
    </main>
  );
}
