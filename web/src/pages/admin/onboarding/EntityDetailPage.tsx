import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../../../api/client";
import type { EntityDetail, EntityHistoryEntry, KycDocument } from "../../../api/onboarding";
import {
  Alert,
  Badge,
  Button,
  Card,
  DetailList,
  EmptyState,
  FormAlert,
  Modal,
  PageHeader,
  RelativeTime,
  Skeleton,
  Textarea,
  Timeline,
  useToast,
} from "../../../components";
import { AbsoluteTime } from "../../../components/Time";
import { useUser } from "../../../lib/auth";
import { humanize } from "../../../lib/format";
import type { Tone } from "../../../lib/status";
import { useChannel } from "../../../lib/useChannel";
import { countryName, documentLabel, ENTITY_TYPE_LABEL, formatBytes } from "../../onboarding/labels";
import { FileTypeIcon, StatusBadge } from "../../onboarding/shared";
import { canReviewKyc } from "./can";
import { DocumentViewer } from "./DocumentViewer";
import { EntityFeesCard } from "./EntityFeesCard";
import { RejectDocumentModal } from "./DocumentReview";
import { ReviewButtons } from "./KycQueuePage";
import { useAction } from "../../../lib/useAction";

type Decision = "approve" | "request-changes" | "suspend" | "reactivate";

const DECISION: Record<Decision, { title: string; button: string; field?: string; required: boolean; tone: "primary" | "danger"; done: string }> = {
  approve: { title: "Approve entity", button: "Approve entity", required: false, tone: "primary", done: "Entity approved" },
  "request-changes": {
    title: "Request changes",
    button: "Request changes",
    field: "Comments for the client",
    required: true,
    tone: "primary",
    done: "Changes requested",
  },
  suspend: { title: "Suspend entity", button: "Suspend entity", field: "Reason (shown to the client)", required: true, tone: "danger", done: "Entity suspended" },
  reactivate: { title: "Reactivate entity", button: "Reactivate", field: "Comments (optional)", required: false, tone: "primary", done: "Entity reactivated" },
};

function DecisionModal({
  entity,
  decision,
  onClose,
  onDone,
}: {
  entity: EntityDetail;
  decision: Decision | null;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const [text, setText] = useState("");
  const { busy, error, setError, run } = useAction();
  const [shownFor, setShownFor] = useState<Decision | null>(null);
  if (decision !== shownFor) {
    setShownFor(decision);
    setText("");
    setError(null);
  }
  const spec = decision ? DECISION[decision] : null;

  async function submit() {
    if (!decision || !spec || (spec.required && !text.trim())) return;
    const path = { params: { path: { entity_id: entity.id } } };
    await run(async () => {
      if (decision === "approve") await unwrap(api.POST("/api/v1/admin/entities/{entity_id}/approve", path));
      else if (decision === "request-changes")
        await unwrap(api.POST("/api/v1/admin/entities/{entity_id}/request-changes", { ...path, body: { comments: text.trim() } }));
      else if (decision === "suspend") await unwrap(api.POST("/api/v1/admin/entities/{entity_id}/suspend", { ...path, body: { reason: text.trim() } }));
      else await unwrap(api.POST("/api/v1/admin/entities/{entity_id}/reactivate", { ...path, body: { comments: text.trim() || null } }));
      onDone(spec.done);
    });
  }

  return (
    <Modal
      open={!!decision}
      onClose={onClose}
      title={spec?.title ?? ""}
      description={entity.legal_name}
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button variant={spec?.tone === "danger" ? "danger" : "primary"} onClick={submit} loading={busy} disabled={!!spec?.required && !text.trim()}>
            {spec?.button}
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4">
        {decision === "approve" && (
          <p className="text-sm text-slate-600">
            Every required document is approved. Approving lets the client fund the account and trade; they are notified at once.
          </p>
        )}
        {spec?.field && <Textarea label={spec.field} rows={4} value={text} onChange={(e) => setText(e.target.value)} maxLength={5000} required={spec.required} />}
        <FormAlert error={error} messages={{ kyc_incomplete: "Approve every required KYC document first." }} />
      </div>
    </Modal>
  );
}

const ACTION_TEXT: Record<string, string> = {
  entity_created: "Entity created",
  entity_updated: "Details updated",
  entity_submitted: "Submitted for review",
  entity_approved: "Entity approved",
  entity_changes_requested: "Changes requested",
  entity_suspended: "Entity suspended",
  entity_reactivated: "Entity reactivated",
  entity_member_invited: "Member invited",
  kyc_document_uploaded: "Document uploaded",
  kyc_document_deleted: "Document deleted",
  kyc_document_approved: "Document approved",
  kyc_document_rejected: "Document rejected",
};
const ACTION_TONE: Record<string, Tone> = {
  entity_approved: "emerald",
  kyc_document_approved: "emerald",
  entity_changes_requested: "amber",
  kyc_document_rejected: "red",
  entity_suspended: "red",
};

function historyDescription(h: EntityHistoryEntry): ReactNode {
  const d = (h.details ?? {}) as Record<string, unknown>;
  const parts: ReactNode[] = [];
  if (typeof d.document_type === "string") parts.push(documentLabel(d.document_type));
  if (typeof d.filename === "string") parts.push(d.filename);
  const text = (typeof d.comments === "string" && d.comments) || (typeof d.reason === "string" && d.reason) || null;
  return (
    <>
      <span className="text-slate-500">{h.actor_email ?? "system"}</span>
      {parts.length > 0 && <span> · {parts.join(" · ")}</span>}
      {text && <span className="mt-1 block whitespace-pre-line text-navy-950">“{text}”</span>}
    </>
  );
}

function DocumentRow({ doc, canReview, onView, onReject }: { doc: KycDocument; canReview: boolean; onView: () => void; onReject: () => void }) {
  return (
    <li className="flex flex-wrap items-center gap-3 py-3">
      <FileTypeIcon contentType={doc.content_type} className="h-10 w-8 shrink-0" />
      <div className="min-w-0 flex-1 text-sm">
        <p className="font-medium text-navy-950">{documentLabel(doc.document_type)}</p>
        <p className="truncate text-xs text-slate-500">
          {doc.filename} · {formatBytes(doc.size_bytes)} · <RelativeTime value={doc.created_at} />
        </p>
        {doc.rejection_reason && <p className="mt-0.5 text-xs text-red-700">Rejected: {doc.rejection_reason}</p>}
      </div>
      <StatusBadge status={doc.status} />
      <div className="flex gap-1">
        <Button size="sm" variant="ghost" onClick={onView} aria-label={`View ${documentLabel(doc.document_type)} ${doc.filename}`}>
          View
        </Button>
        {canReview && <ReviewButtons doc={doc} onReject={onReject} />}
      </div>
    </li>
  );
}

/** /admin/entities/:id — review one entity: details, documents, checklist, history, decisions. */
export function EntityDetailPage() {
  const { entityId = "" } = useParams();
  const me = useUser();
  const qc = useQueryClient();
  const { toast } = useToast();
  const canReview = canReviewKyc(me);
  const [decision, setDecision] = useState<Decision | null>(null);
  const [viewing, setViewing] = useState<KycDocument | null>(null);
  const [rejecting, setRejecting] = useState<KycDocument | null>(null);
  const key = ["admin", "entities", "detail", entityId];
  const detail = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/v1/admin/entities/{entity_id}", { params: { path: { entity_id: entityId } } })),
    retry: false,
  });
  useChannel("backoffice", (e) => {
    const data = e.data as { entity_id?: string };
    if (data?.entity_id === entityId) void qc.invalidateQueries({ queryKey: key });
  });

  if (detail.isPending) {
    return (
      <div className="flex flex-col gap-4" aria-busy="true" aria-label="Loading entity">
        <Skeleton className="h-10 w-1/3" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  }
  if (detail.isError) {
    return (
      <>
        <PageHeader title="Entity" />
        <FormAlert error={detail.error} title="Couldn't load this entity" />
        <Link to="/admin/entities" className="mt-4 inline-block text-sm font-medium text-navy-800 hover:underline">
          Back to entities
        </Link>
      </>
    );
  }
  const e = detail.data;
  const pendingDocs = e.documents.filter((d) => d.status === "PENDING_REVIEW").length;
  const allApproved = e.kyc.checklist.length > 0 && e.kyc.checklist.every((i) => i.state === "approved");
  const actions: ReactNode[] = [];
  if (canReview && e.status === "PENDING_REVIEW") {
    actions.push(
      <Button key="changes" variant="secondary" onClick={() => setDecision("request-changes")}>
        Request changes
      </Button>,
      <Button key="approve" onClick={() => setDecision("approve")} disabled={!allApproved} title={allApproved ? undefined : "Approve every required document first"}>
        Approve entity
      </Button>,
    );
  }
  if (canReview && ["PENDING_REVIEW", "CHANGES_REQUESTED", "APPROVED"].includes(e.status)) {
    actions.push(
      <Button key="suspend" variant="ghost" className="text-red-700 hover:bg-red-50" onClick={() => setDecision("suspend")}>
        Suspend
      </Button>,
    );
  }
  if (canReview && e.status === "SUSPENDED") {
    actions.push(
      <Button key="reactivate" onClick={() => setDecision("reactivate")}>
        Reactivate
      </Button>,
    );
  }

  const l = e.entity_type === "COMPANY";
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link to="/admin/entities" className="text-navy-700 underline underline-offset-2 hover:text-navy-900">
          Entities
        </Link>
        <span aria-hidden="true" className="mx-1.5 text-slate-400">
          /
        </span>
        <span className="text-slate-600">{e.legal_name || "Unnamed draft"}</span>
      </nav>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-3">
            {e.legal_name || "Unnamed draft"}
            <StatusBadge status={e.status} />
            <Badge tone="slate">KYC: {humanize(e.kyc_status.toLowerCase())}</Badge>
          </span>
        }
        description={
          <>
            {ENTITY_TYPE_LABEL[e.entity_type]} · status since <AbsoluteTime value={e.status_updated_at} />
          </>
        }
        actions={actions.length ? actions : undefined}
      />
      {e.status === "PENDING_REVIEW" && canReview && !allApproved && (
        <Alert className="mb-6" tone="info" title={pendingDocs ? `${pendingDocs} document${pendingDocs > 1 ? "s" : ""} to review` : "Documents missing"}>
          Approve every required document before approving the entity
          {e.kyc.missing.length ? `; the client still has to provide: ${e.kyc.missing.map(documentLabel).join(", ")}` : ""}.
        </Alert>
      )}
      {e.review_comments && (e.status === "CHANGES_REQUESTED" || e.status === "SUSPENDED") && (
        <Alert className="mb-6" tone="warning" title={e.status === "SUSPENDED" ? "Suspension reason" : "Changes requested"}>
          <p className="whitespace-pre-line">{e.review_comments}</p>
        </Alert>
      )}

      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="flex min-w-0 flex-col gap-6">
          <Card title="Details">
            <DetailList
              items={[
                { label: l ? "Registered name" : "Legal name", value: e.legal_name ?? "—" },
                { label: l ? "Registration number" : "ID document number", value: e.registration_number ?? "—" },
                { label: "Jurisdiction", value: e.jurisdiction ? `${countryName(e.jurisdiction)} (${e.jurisdiction})` : "—" },
                ...(l ? [{ label: "Incorporated", value: e.incorporation_date ?? "—" }] : []),
                { label: "Tax id", value: e.tax_id ?? "—" },
                {
                  label: "Address",
                  value: (
                    <span className="whitespace-pre-line">
                      {[e.address_line1, e.address_line2, [e.postal_code, e.city].filter(Boolean).join(" "), e.country ? countryName(e.country) : null]
                        .filter(Boolean)
                        .join("\n") || "—"}
                    </span>
                  ),
                },
                { label: "Website", value: e.website ?? "—" },
                { label: "Contact", value: [e.contact_email, e.contact_phone].filter(Boolean).join(" · ") || "—" },
                { label: "Submitted", value: e.submitted_at ? <AbsoluteTime value={e.submitted_at} /> : "—" },
                { label: "Approved", value: e.approved_at ? <AbsoluteTime value={e.approved_at} /> : "—" },
              ]}
            />
          </Card>
          <Card title="Documents" description={`${e.documents.length} on file`}>
            {e.documents.length ? (
              <ul className="-my-3 divide-y divide-slate-100">
                {e.documents.map((d) => (
                  <DocumentRow key={d.id} doc={d} canReview={canReview} onView={() => setViewing(d)} onReject={() => setRejecting(d)} />
                ))}
              </ul>
            ) : (
              <EmptyState title="No documents uploaded yet" />
            )}
          </Card>
          <Card title="History" description="From the audit trail">
            {e.history.length ? (
              <Timeline
                label="Entity history"
                items={e.history.map((h) => ({
                  id: String(h.seq),
                  title: ACTION_TEXT[h.action] ?? humanize(h.action),
                  time: h.at,
                  tone: ACTION_TONE[h.action] ?? "navy",
                  description: historyDescription(h),
                }))}
              />
            ) : (
              <EmptyState title="No history yet" />
            )}
          </Card>
        </div>
        <div className="flex flex-col gap-6">
          <Card title="KYC checklist">
            <ul className="flex flex-col gap-2.5" aria-label="KYC checklist">
              {e.kyc.checklist.map((item) => (
                <li key={item.document_type} className="flex items-center justify-between gap-3 text-sm">
                  <span>{documentLabel(item.document_type)}</span>
                  <StatusBadge status={item.state} />
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Members">
            <ul className="flex flex-col gap-3">
              {e.members.map((m) => (
                <li key={m.id} className="flex items-center justify-between gap-3 text-sm">
                  <span className="min-w-0">
                    <span className="block truncate font-medium text-navy-950">{m.name}</span>
                    <span className="block truncate text-xs text-slate-500">{m.email}</span>
                  </span>
                  <span className="flex shrink-0 gap-1">
                    {m.entity_role && <Badge tone="navy">{humanize(m.entity_role)}</Badge>}
                    <StatusBadge status={m.status} />
                  </span>
                </li>
              ))}
            </ul>
          </Card>
          <EntityFeesCard entityId={e.id} entityName={e.legal_name ?? "Unnamed draft"} />
        </div>
      </div>

      <DecisionModal
        entity={e}
        decision={decision}
        onClose={() => setDecision(null)}
        onDone={(message) => {
          setDecision(null);
          void qc.invalidateQueries({ queryKey: ["admin", "entities"] });
          toast({ title: message, description: e.legal_name ?? undefined });
        }}
      />
      <DocumentViewer
        doc={viewing}
        onClose={() => setViewing(null)}
        actions={
          viewing && canReview ? (
            <ReviewButtons
              doc={viewing}
              onReject={(d) => {
                setViewing(null);
                setRejecting(d);
              }}
              onDone={() => setViewing(null)}
            />
          ) : null
        }
      />
      <RejectDocumentModal doc={rejecting} onClose={() => setRejecting(null)} onRejected={() => setRejecting(null)} />
    </>
  );
}
