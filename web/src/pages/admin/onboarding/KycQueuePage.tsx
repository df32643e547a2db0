import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../../../api/client";
import { DOCUMENT_STATUSES, DOCUMENT_TYPES, type DocumentQuery, type DocumentStatus, type DocumentType, type KycDocument } from "../../../api/onboarding";
import { Button, EmptyState, FormAlert, PageHeader, RelativeTime, Select, Table, type Column } from "../../../components";
import { useUser } from "../../../lib/auth";
import { errorMessage } from "../../../lib/errors";
import { useChannel } from "../../../lib/useChannel";
import { documentLabel, formatBytes } from "../../onboarding/labels";
import { FileTypeIcon, StatusBadge, statusLabel } from "../../onboarding/shared";
import { canReviewKyc } from "./can";
import { DocumentViewer } from "./DocumentViewer";
import { RejectDocumentModal, useDocumentReview } from "./DocumentReview";
import { useAction } from "../../../lib/useAction";

const PAGE_SIZE = 50;

/** Approve / Reject buttons of one pending document. */
export function ReviewButtons({
  doc,
  onReject,
  onDone,
}: {
  doc: KycDocument;
  onReject: (d: KycDocument) => void;
  onDone?: (d: KycDocument) => void;
}) {
  const { approve } = useDocumentReview();
  const { busy, error, run } = useAction();
  if (doc.status !== "PENDING_REVIEW") return null;
  const name = `${documentLabel(doc.document_type)} ${doc.filename}`;
  return (
    <div className="flex items-center justify-end gap-1">
      {error ? (
        <span className="text-xs text-red-700" role="alert">
          {errorMessage(error)}
        </span>
      ) : null}
      <Button
        size="sm"
        variant="secondary"
        loading={busy}
        aria-label={`Approve ${name}`}
        onClick={async () => {
          await run(async () => {
            const updated = await approve(doc); // (not inside onDone?.(): it may be absent)
            onDone?.(updated);
          });
        }}
      >
        Approve
      </Button>
      <Button size="sm" variant="ghost" className="text-red-700 hover:bg-red-50" aria-label={`Reject ${name}`} onClick={() => onReject(doc)} disabled={busy}>
        Reject
      </Button>
    </div>
  );
}

/** /admin/kyc: the review queue of KYC documents, oldest first. */
export function KycQueuePage() {
  const me = useUser();
  const qc = useQueryClient();
  const canReview = canReviewKyc(me);
  const [status, setStatus] = useState<DocumentStatus | "">("PENDING_REVIEW");
  const [type, setType] = useState<DocumentType | "">("");
  const [viewing, setViewing] = useState<KycDocument | null>(null);
  const [rejecting, setRejecting] = useState<KycDocument | null>(null);

  const filters: DocumentQuery = useMemo(
    () => ({ limit: PAGE_SIZE, ...(status ? { status } : {}), ...(type ? { document_type: type } : {}) }),
    [status, type],
  );
  const list = useInfiniteQuery({
    queryKey: ["admin", "kyc-documents", filters],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/kyc/documents", { params: { query: { ...filters, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  useChannel("backoffice", (e) => {
    if (e.event.startsWith("kyc_document.")) void qc.invalidateQueries({ queryKey: ["admin", "kyc-documents"] });
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  const columns: Column<KycDocument>[] = [
    {
      id: "doc",
      header: "Document",
      cell: (d) => (
        <div className="flex min-w-0 items-center gap-3">
          <FileTypeIcon contentType={d.content_type} className="h-9 w-7 shrink-0" />
          <div className="min-w-0">
            <p className="font-medium text-navy-950">{documentLabel(d.document_type)}</p>
            <p className="truncate text-xs text-slate-500">
              {d.filename} · {formatBytes(d.size_bytes)}
            </p>
          </div>
        </div>
      ),
    },
    {
      id: "entity",
      header: "Entity",
      cell: (d) => (
        <Link to={`/admin/entities/${d.entity_id}`} className="font-medium text-navy-800 hover:underline">
          {d.entity_name || "Unnamed entity"}
        </Link>
      ),
    },
    { id: "uploaded", header: "Uploaded", hideOnMobile: true, sortValue: (d) => d.created_at, cell: (d) => <RelativeTime value={d.created_at} /> },
    { id: "status", header: "Status", cell: (d) => <StatusBadge status={d.status} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (d) => (
        <div className="flex justify-end gap-1">
          <Button size="sm" variant="ghost" onClick={() => setViewing(d)} aria-label={`View ${documentLabel(d.document_type)} ${d.filename}`}>
            View
          </Button>
          {canReview && <ReviewButtons doc={d} onReject={setRejecting} />}
        </div>
      ),
    },
  ];

  return (
    <>
      <PageHeader title="KYC documents" description="Documents uploaded by clients, oldest first. Approve or reject each with a reason." />
      <div className="mb-4 grid gap-3 sm:grid-cols-2" role="search" aria-label="Filter documents">
        <Select
          label="Status"
          hideLabel
          value={status}
          onChange={(e) => setStatus(e.target.value as DocumentStatus | "")}
          placeholder="Any status"
          options={DOCUMENT_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
        />
        <Select
          label="Document type"
          hideLabel
          value={type}
          onChange={(e) => setType(e.target.value as DocumentType | "")}
          placeholder="Any document type"
          options={DOCUMENT_TYPES.map((t) => ({ value: t, label: documentLabel(t) }))}
        />
      </div>
      {list.isError ? (
        <FormAlert error={list.error} title="Couldn't load documents" />
      ) : (
        <Table
          label="KYC documents"
          columns={columns}
          rows={rows}
          rowKey={(d) => d.id}
          loading={list.isPending}
          empty={<EmptyState title={status === "PENDING_REVIEW" ? "Nothing to review" : "No documents match"} description="New uploads appear here as they arrive." />}
          pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
        />
      )}
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
