import { lazy, Suspense } from "react";
import { Navigate } from "react-router";
import { useAuth } from "../../lib/auth";
import { FullPageLoader } from "../../routes/guards";
import { PublicHeader } from "./PublicHeader";

const MarketplacePage = lazy(() => import("../client/trading/MarketplacePage").then((m) => ({ default: m.MarketplacePage })));

/** "/marketplace": the market for visitors (market data is public); a signed-in client
 * goes to the one where it can buy. */
export function PublicMarketplacePage() {
  const { status, user } = useAuth();
  if (status === "loading") return <FullPageLoader label="Restoring your session" />;
  if (user?.entity_id) return <Navigate to="/app/marketplace" replace />;
  return (
    <div className="min-h-screen bg-slate-50">
      <PublicHeader />
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
        <Suspense fallback={<FullPageLoader label="Loading the marketplace" />}>
          <MarketplacePage visitor />
        </Suspense>
      </main>
    </div>
  );
}
