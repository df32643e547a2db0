import type { KycStatus, KycStatusReport } from "../../../api/onboarding";
import { Card, RelativeTime } from "../../../components";
import { documentLabel } from "../../onboarding/labels";
import { StatusBadge } from "../../onboarding/shared";

const EXPLAIN: Record<KycStatus, string> = {
  NOT_STARTED: "Set up your organisation and upload your documents to get started.",
  IN_PROGRESS: "Complete your details and documents, then submit them for review.",
  SUBMITTED: "Our compliance team is reviewing your application.",
  APPROVED: "Your organisation is verified: you can fund your account and trade.",
  REJECTED: "Action needed — see the comments below.",
};

/** The KYC checklist of the client's entity: overall status, documents, staff comments. */
export function KYCStatusPanel({ status }: { status: KycStatusReport }) {
  const total = status.checklist.length;
  const approved = status.checklist.filter((i) => i.state === "approved").length;
  const suspended = status.entity_status === "SUSPENDED";
  return (
    <Card title="Verification status" as="section">
      <div className="flex flex-col gap-5">
        <div>
          <StatusBadge status={status.status} className="text-sm" />
          <p className="mt-2 text-sm text-slate-600">{suspended ? "Your account is suspended." : EXPLAIN[status.status]}</p>
        </div>
        {total > 0 && (
          <div>
            <div className="flex items-baseline justify-between text-xs text-slate-600">
              <span id="kyc-progress-label">Documents approved</span>
              <span>
                {approved} of {total}
              </span>
            </div>
            <progress
              aria-labelledby="kyc-progress-label"
              value={approved}
              max={total}
              className="mt-1.5 h-2 w-full overflow-hidden rounded-full [&::-moz-progress-bar]:bg-emerald-500 [&::-webkit-progress-bar]:bg-slate-100 [&::-webkit-progress-value]:bg-emerald-500"
            />
          </div>
        )}
        {total > 0 && (
          <ul aria-label="Document checklist" className="flex flex-col gap-2.5">
            {status.checklist.map((item) => (
              <li key={item.document_type} className="flex items-center justify-between gap-3 text-sm">
                <span className="text-navy-950">{documentLabel(item.document_type)}</span>
                <StatusBadge status={item.state} />
              </li>
            ))}
          </ul>
        )}
        {status.comments.length > 0 && (
          <div>
            <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Comments from compliance</h3>
            <ul className="mt-2 flex flex-col gap-2">
              {status.comments.map((c) => (
                <li key={`${c.scope}-${c.document_id ?? "entity"}`} className="rounded-lg bg-amber-50 p-3 text-sm text-amber-950 ring-1 ring-amber-200">
                  <p className="font-medium">{c.document_type ? documentLabel(c.document_type) : "Your application"}</p>
                  <p className="mt-0.5 whitespace-pre-line">{c.text}</p>
                  {c.created_at && (
                    <p className="mt-1 text-xs text-amber-800">
                      <RelativeTime value={c.created_at} />
                    </p>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </Card>
  );
}
