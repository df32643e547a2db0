import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes } from "react-router";
import { ClientLayout } from "./layouts/ClientLayout";
import { ForgotPasswordPage } from "./pages/auth/ForgotPasswordPage";
import { InvitePage } from "./pages/auth/InvitePage";
import { LoginPage } from "./pages/auth/LoginPage";
import { ResetPasswordPage } from "./pages/auth/ResetPasswordPage";
import { AccountPage } from "./pages/client/AccountPage";
import { ClientSecurityPage } from "./pages/client/ClientSecurityPage";
import { FundingPage } from "./pages/client/funding/FundingPage";
import { OnboardingPage } from "./pages/client/onboarding/OnboardingPage";
import { LandingRoute } from "./pages/public/LandingPage";
import { PublicMarketplacePage } from "./pages/public/PublicMarketplacePage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { FullPageLoader, HomeRedirect, PublicOnly, RequireAuth, RequirePage } from "./routes/guards";

// Trading pages (and the charting library) are loaded on demand.
const TradingPage = lazy(() => import("./pages/client/trading/TradingPage").then((m) => ({ default: m.TradingPage })));
const MarketplacePage = lazy(() => import("./pages/client/trading/MarketplacePage").then((m) => ({ default: m.MarketplacePage })));

// The backoffice is loaded on demand: clients never download it.
const BackofficeLayout = lazy(() => import("./layouts/BackofficeLayout").then((m) => ({ default: m.BackofficeLayout })));
const UsersPage = lazy(() => import("./pages/admin/UsersPage").then((m) => ({ default: m.UsersPage })));
const AuditLogPage = lazy(() => import("./pages/admin/AuditLogPage").then((m) => ({ default: m.AuditLogPage })));
const AdminSecurityPage = lazy(() => import("./pages/admin/AdminSecurityPage").then((m) => ({ default: m.AdminSecurityPage })));
const ContactRequestsPage = lazy(() =>
  import("./pages/admin/onboarding/ContactRequestsPage").then((m) => ({ default: m.ContactRequestsPage })),
);
const EntitiesPage = lazy(() => import("./pages/admin/onboarding/EntitiesPage").then((m) => ({ default: m.EntitiesPage })));
const EntityDetailPage = lazy(() => import("./pages/admin/onboarding/EntityDetailPage").then((m) => ({ default: m.EntityDetailPage })));
const FundingAdminPage = lazy(() => import("./pages/admin/funding/FundingAdminPage").then((m) => ({ default: m.FundingAdminPage })));
const MarketAdminPage = lazy(() => import("./pages/admin/market/MarketAdminPage").then((m) => ({ default: m.MarketAdminPage })));
const KycQueuePage = lazy(() => import("./pages/admin/onboarding/KycQueuePage").then((m) => ({ default: m.KycQueuePage })));
const StyleguidePage = lazy(() => import("./pages/admin/StyleguidePage").then((m) => ({ default: m.StyleguidePage })));

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<FullPageLoader />}>{children}</Suspense>;
}

function PageLoader() {
  return (
    <div className="grid min-h-[40vh] place-items-center" role="status" aria-label="Loading page">
      <span className="size-6 animate-spin rounded-full border-2 border-navy-200 border-t-navy-700" />
    </div>
  );
}

function LazyPage({ children }: { children: ReactNode }) {
  return <Suspense fallback={<PageLoader />}>{children}</Suspense>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route index element={<LandingRoute />} />
      <Route path="marketplace" element={<PublicMarketplacePage />} />
      <Route
        path="login"
        element={
          <PublicOnly>
            <LoginPage />
          </PublicOnly>
        }
      />
      <Route path="forgot-password" element={<ForgotPasswordPage />} />
      <Route path="reset-password/:token" element={<ResetPasswordPage />} />
      <Route path="invite/:token" element={<InvitePage />} />

      <Route
        path="app"
        element={
          <RequireAuth kind="client">
            <ClientLayout />
          </RequireAuth>
        }
      >
        <Route index element={<AccountPage />} />
        <Route path="security" element={<ClientSecurityPage />} />
        <Route path="onboarding" element={<OnboardingPage />} />
        <Route path="funding" element={<FundingPage />} />
        <Route path="trade" element={<Navigate to="/app/trade/EUA-EUR" replace />} />
        <Route
          path="trade/:symbol"
          element={
            <LazyPage>
              <TradingPage />
            </LazyPage>
          }
        />
        <Route
          path="marketplace"
          element={
            <LazyPage>
              <MarketplacePage />
            </LazyPage>
          }
        />
      </Route>

      <Route
        path="admin"
        element={
          <RequireAuth kind="staff">
            <Lazy>
              <BackofficeLayout />
            </Lazy>
          </RequireAuth>
        }
      >
        <Route index element={<HomeRedirect />} />
        <Route
          path="users"
          element={
            <RequirePage page="users">
              <LazyPage>
                <UsersPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="contact-requests"
          element={
            <RequirePage page="contacts">
              <LazyPage>
                <ContactRequestsPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="entities"
          element={
            <RequirePage page="entities">
              <LazyPage>
                <EntitiesPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="entities/:entityId"
          element={
            <RequirePage page="entities">
              <LazyPage>
                <EntityDetailPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="kyc"
          element={
            <RequirePage page="kyc">
              <LazyPage>
                <KycQueuePage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="funding"
          element={
            <RequirePage page="funding">
              <LazyPage>
                <FundingAdminPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="market"
          element={
            <RequirePage page="market">
              <LazyPage>
                <MarketAdminPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="audit"
          element={
            <RequirePage page="audit">
              <LazyPage>
                <AuditLogPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="security"
          element={
            <RequirePage page="security">
              <LazyPage>
                <AdminSecurityPage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route
          path="styleguide"
          element={
            <RequirePage page="styleguide">
              <LazyPage>
                <StyleguidePage />
              </LazyPage>
            </RequirePage>
          }
        />
        <Route path="*" element={<Navigate to="/admin" replace />} />
      </Route>
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
