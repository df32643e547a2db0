import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useLocation, useSearchParams } from "react-router";
import { api, unwrap } from "../../../api/client";
import type { Entity } from "../../../api/onboarding";
import { Alert, FormAlert, PageHeader, Skeleton, Tabs } from "../../../components";
import { useUser } from "../../../lib/auth";
import { isApiError } from "../../../lib/errors";
import { useChannel } from "../../../lib/useChannel";
import { EntitySetupFlow } from "./EntitySetupFlow";
import { KYCStatusPanel } from "./KYCStatusPanel";
import { KYCUploadTab } from "./KYCUploadTab";

export const ENTITY_KEY = ["onboarding", "entity"] as const;
export const KYC_KEY = ["kyc", "status"] as const;

async function fetchEntity(): Promise<Entity | null> {
  try {
    return await unwrap(api.GET("/api/v1/onboarding/entity"));
  } catch (e) {
    if (isApiError(e, "entity_not_found")) return null;
    throw e;
  }
}

/** The caller's organisation (null before it is set up), kept by the onboarding pages. */
export function useEntity() {
  return useQuery({ queryKey: ENTITY_KEY, queryFn: fetchEntity });
}

export function useKycStatus() {
  return useQuery({ queryKey: KYC_KEY, queryFn: () => unwrap(api.GET("/api/v1/kyc/status")) });
}

/** Staff decisions arrive on the private notifications channel: refresh what they change. */
function useOnboardingUpdates() {
  const qc = useQueryClient();
  useChannel("notifications", (e) => {
    if (e.event.startsWith("entity.") || e.event.startsWith("kyc_document.")) {
      void qc.invalidateQueries({ queryKey: ENTITY_KEY });
      void qc.invalidateQueries({ queryKey: KYC_KEY });
    }
  });
}

/** /app/onboarding: the organisation wizard, the KYC documents and the status checklist. */
export function OnboardingPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") === "documents" ? "documents" : "organisation";
  const entity = useEntity();
  const kyc = useKycStatus();
  useOnboardingUpdates();
  const isOwner = user.entity_role === "owner";

  function goTo(next: string) {
    setParams(next === "documents" ? { tab: "documents" } : {}, { replace: true });
  }

  const loading = entity.isPending || kyc.isPending;
  return (
    <>
      <PageHeader
        title="Onboarding"
        description="Verify your organisation to fund your account and trade. Your progress is saved as you go."
      />
      {entity.isError || kyc.isError ? (
        <FormAlert error={entity.error ?? kyc.error} title="Couldn't load your onboarding" />
      ) : loading ? (
        <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]" aria-busy="true" aria-label="Loading onboarding">
          <Skeleton className="h-96 w-full" />
          <Skeleton className="h-64 w-full" />
        </div>
      ) : (
        <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
          <div className="min-w-0">
            {!isOwner && (
              <Alert className="mb-4" title="Read only">
                Only your organisation's owner can change these details and documents.
              </Alert>
            )}
            <Tabs
              label="Onboarding sections"
              value={tab}
              onChange={goTo}
              items={[
                {
                  id: "organisation",
                  label: "Organisation",
                  content: (
                    <EntitySetupFlow
                      entity={entity.data ?? null}
                      kyc={kyc.data}
                      canEdit={isOwner}
                      onGoToDocuments={() => goTo("documents")}
                    />
                  ),
                },
                {
                  id: "documents",
                  label: `Documents${kyc.data?.missing.length ? ` (${kyc.data.missing.length} missing)` : ""}`,
                  content: kyc.data ? <KYCUploadTab status={kyc.data} canEdit={isOwner} /> : null,
                },
              ]}
            />
          </div>
          <aside aria-label="Verification">{kyc.data && <KYCStatusPanel status={kyc.data} />}</aside>
        </div>
      )}
    </>
  );
}

/** A reminder on the other client pages until the organisation is verified. */
export function OnboardingBanner() {
  const location = useLocation();
  const kyc = useKycStatus();
  if (location.pathname.startsWith("/app/onboarding") || !kyc.data || kyc.data.status === "APPROVED") return null;
  const text: Record<string, string> = {
    NOT_STARTED: "Set up your organisation and upload your KYC documents to start trading.",
    IN_PROGRESS: "Finish your onboarding and submit it for review to start trading.",
    SUBMITTED: "Your application is being reviewed by our compliance team.",
    REJECTED: "Your onboarding needs your attention.",
  };
  return (
    <Alert
      className="mb-6"
      tone={kyc.data.status === "REJECTED" ? "warning" : "info"}
      title="Verify your organisation"
      action={
        <Link to="/app/onboarding" className="text-sm font-semibold underline underline-offset-2">
          Go to onboarding
        </Link>
      }
    >
      {text[kyc.data.status]}
    </Alert>
  );
}
