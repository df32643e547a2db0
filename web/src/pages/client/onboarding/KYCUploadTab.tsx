import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { api, unwrap } from "../../../api/client";
import {
  DOCUMENT_TYPES,
  MAX_UPLOAD_BYTES,
  UPLOAD_ACCEPT,
  type ChecklistItem,
  type DocumentType,
  type KycDocument,
  type KycStatusReport,
} from "../../../api/onboarding";
import { Alert, Button, ConfirmDialog, FileDrop, FormAlert, RelativeTime, Select, Textarea, useToast } from "../../../components";
import { downloadFile } from "../../../lib/download";
import { errorMessage } from "../../../lib/errors";
import { DOCUMENT_HINT, documentLabel, formatBytes } from "../../onboarding/labels";
import { blobToDataUrl, documentFilePath, FileTypeIcon, StatusBadge, uploadDocument } from "../../onboarding/shared";
import { useAction } from "../../../lib/useAction";

const UPLOAD_MESSAGES: Record<string, string> = {
  duplicate_document: "You already uploaded this exact file for this document.",
  entity_required: "Set up your organisation (first tab) before uploading documents.",
  entity_suspended: "Your account is suspended; contact your account manager.",
};

/** Picks a file (drag and drop or browse), previews it, and uploads it with optional notes. */
export function DocumentUploader({
  types,
  label,
  onUploaded,
}: {
  /** the document types this slot accepts (the first is the default) */
  types: readonly DocumentType[];
  label: string;
  onUploaded: (doc: KycDocument) => void;
}) {
  const [type, setType] = useState<DocumentType>(types[0]!);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [notes, setNotes] = useState("");
  const { busy, error, setError, run } = useAction();
  const notesId = useId();

  useEffect(() => {
    let cancelled = false;
    setPreview(null);
    if (file && file.type.startsWith("image/")) {
      void blobToDataUrl(file).then(
        (url) => !cancelled && setPreview(url),
        () => undefined,
      );
    }
    return () => {
      cancelled = true;
    };
  }, [file]);

  async function upload() {
    if (!file) return;
    await run(async () => {
      const doc = await uploadDocument({ file, documentType: type, notes });
      setFile(null);
      setNotes("");
      onUploaded(doc);
    });
  }

  if (!file) {
    return (
      <div className="flex flex-col gap-3">
        {types.length > 1 && (
          <Select
            label="Document"
            value={type}
            onChange={(e) => setType(e.target.value as DocumentType)}
            options={types.map((t) => ({ value: t, label: documentLabel(t) }))}
          />
        )}
        <FileDrop
          label={label}
          accept={UPLOAD_ACCEPT}
          maxSizeBytes={MAX_UPLOAD_BYTES}
          hint="PDF, JPEG or PNG, at most 10 MB."
          error={error ? errorMessage(error, UPLOAD_MESSAGES) : null}
          onFiles={(files) => {
            setError(null);
            setFile(files[0] ?? null);
          }}
        />
      </div>
    );
  }

  return (
    <div className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-slate-50/60 p-4">
      <div className="flex items-center gap-4">
        {preview ? (
          <img src={preview} alt={`Preview of ${file.name}`} className="h-20 w-16 shrink-0 rounded-md border border-slate-200 bg-white object-cover" />
        ) : (
          <FileTypeIcon contentType={file.type === "application/pdf" || file.name.toLowerCase().endsWith(".pdf") ? "application/pdf" : file.type} className="h-20 w-16 shrink-0" />
        )}
        <div className="min-w-0 text-sm">
          <p className="truncate font-medium text-navy-950">{file.name}</p>
          <p className="text-slate-500">
            {documentLabel(type)} · {formatBytes(file.size)}
          </p>
        </div>
      </div>
      <Textarea
        id={notesId}
        label="Notes for our reviewers"
        hint="Optional."
        rows={2}
        value={notes}
        maxLength={2000}
        onChange={(e) => setNotes(e.target.value)}
      />
      <FormAlert error={error} messages={UPLOAD_MESSAGES} title="Upload refused" />
      <div className="flex justify-end gap-2">
        <Button
          variant="secondary"
          onClick={() => {
            setFile(null);
            setError(null);
          }}
          disabled={busy}
        >
          Cancel
        </Button>
        <Button onClick={upload} loading={busy}>
          Upload {documentLabel(type).toLowerCase()}
        </Button>
      </div>
    </div>
  );
}

function DocumentLine({
  doc,
  canEdit,
  onDelete,
  showStatus = true,
}: {
  doc: KycDocument;
  canEdit: boolean;
  onDelete: (d: KycDocument) => void;
  showStatus?: boolean;
}) {
  const [error, setError] = useState<unknown>(null);
  return (
    <div className="flex flex-wrap items-center gap-3 text-sm">
      <FileTypeIcon contentType={doc.content_type} className="h-10 w-8 shrink-0" />
      <div className="min-w-0 flex-1">
        <p className="truncate font-medium text-navy-950">{doc.filename}</p>
        <p className="text-xs text-slate-500">
          {formatBytes(doc.size_bytes)} · uploaded <RelativeTime value={doc.created_at} />
        </p>
        {error ? <p className="text-xs text-red-700">{errorMessage(error)}</p> : null}
      </div>
      {showStatus && <StatusBadge status={doc.status} />}
      {canEdit && (
        <Button
          size="sm"
          variant="ghost"
          aria-label={`Download ${doc.filename}`}
          onClick={() => downloadFile(documentFilePath(doc.id), doc.filename).catch(setError)}
        >
          Download
        </Button>
      )}
      {canEdit && doc.status !== "APPROVED" && (
        <Button size="sm" variant="ghost" className="text-red-700 hover:bg-red-50" aria-label={`Delete ${doc.filename}`} onClick={() => onDelete(doc)}>
          Delete
        </Button>
      )}
    </div>
  );
}

function Requirement({
  item,
  documents,
  canEdit,
  onUploaded,
  onDelete,
}: {
  item: ChecklistItem;
  documents: KycDocument[];
  canEdit: boolean;
  onUploaded: (doc: KycDocument) => void;
  onDelete: (d: KycDocument) => void;
}) {
  const current = documents.find((d) => d.id === item.document_id);
  const earlier = documents.filter((d) => d.id !== item.document_id && (item.accepted_types as string[]).includes(d.document_type));
  const label = documentLabel(item.document_type);
  const needsUpload = item.state === "missing" || item.state === "rejected";
  return (
    <li className="rounded-xl border border-slate-200 bg-white p-4 shadow-card sm:p-5">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <h3 className="font-semibold text-navy-950">{label}</h3>
          <p className="mt-0.5 text-sm text-slate-600">{DOCUMENT_HINT[item.document_type]}</p>
        </div>
        <StatusBadge status={item.state} />
      </div>
      {current && (
        <div className="mt-4">
          <DocumentLine doc={current} canEdit={canEdit} onDelete={onDelete} showStatus={false} />
        </div>
      )}
      {earlier.length > 0 && (
        <details className="mt-3 text-sm">
          <summary className="cursor-pointer text-slate-600">Earlier uploads ({earlier.length})</summary>
          <ul className="mt-2 flex flex-col gap-3">
            {earlier.map((d) => (
              <li key={d.id}>
                <DocumentLine doc={d} canEdit={canEdit} onDelete={onDelete} />
                {d.rejection_reason && <p className="mt-1 text-xs text-red-700">Rejected: {d.rejection_reason}</p>}
              </li>
            ))}
          </ul>
        </details>
      )}
      {item.state === "rejected" && (
        <Alert tone="error" title="Rejected by our compliance team" className="mt-4">
          {item.rejection_reason} Please upload a new document.
        </Alert>
      )}
      {canEdit && needsUpload && (
        <div className="mt-4">
          <DocumentUploader
            types={item.accepted_types}
            label={item.state === "rejected" ? `Upload a new ${label.toLowerCase()}` : `Upload ${label.toLowerCase()}`}
            onUploaded={onUploaded}
          />
        </div>
      )}
    </li>
  );
}

export interface KYCUploadTabProps {
  status: KycStatusReport;
  /** owners upload and delete; other members only see */
  canEdit: boolean;
}

/** The KYC documents of the client's entity: one slot per required document, plus others. */
export function KYCUploadTab({ status, canEdit }: KYCUploadTabProps) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [deleting, setDeleting] = useState<KycDocument | null>(null);
  const editable = canEdit && !!status.entity_id && status.entity_status !== "SUSPENDED";
  const covered = new Set<string>(status.checklist.flatMap((i) => i.accepted_types));
  const others = status.documents.filter((d) => !covered.has(d.document_type));

  function changed() {
    void qc.invalidateQueries({ queryKey: ["kyc", "status"] });
    void qc.invalidateQueries({ queryKey: ["onboarding", "entity"] });
  }

  function uploaded(doc: KycDocument) {
    changed();
    toast({ title: "Document uploaded", description: `${documentLabel(doc.document_type)}: ${doc.filename}` });
  }

  async function remove() {
    if (!deleting) return;
    await unwrap(api.DELETE("/api/v1/kyc/documents/{document_id}", { params: { path: { document_id: deleting.id } } }));
    setDeleting(null);
    changed();
    toast({ title: "Document deleted" });
  }

  if (!status.entity_id) {
    return <Alert title="Set up your organisation first">Choose your organisation type in the first tab; we then show which documents we need.</Alert>;
  }

  return (
    <div className="flex flex-col gap-6">
      <ul className="flex flex-col gap-4" aria-label="Required documents">
        {status.checklist.map((item) => (
          <Requirement key={item.document_type} item={item} documents={status.documents} canEdit={editable} onUploaded={uploaded} onDelete={setDeleting} />
        ))}
      </ul>

      <section aria-labelledby="other-docs" className="rounded-xl border border-slate-200 bg-white p-4 shadow-card sm:p-5">
        <h3 id="other-docs" className="font-semibold text-navy-950">
          Other documents
        </h3>
        <p className="mt-0.5 text-sm text-slate-600">Anything else our compliance team asked for.</p>
        {others.length > 0 && (
          <ul className="mt-4 flex flex-col gap-3">
            {others.map((d) => (
              <li key={d.id}>
                <p className="mb-1 text-xs font-medium text-slate-500">{documentLabel(d.document_type)}</p>
                <DocumentLine doc={d} canEdit={editable} onDelete={setDeleting} />
                {d.status === "REJECTED" && d.rejection_reason && <p className="mt-1 text-xs text-red-700">Rejected: {d.rejection_reason}</p>}
              </li>
            ))}
          </ul>
        )}
        {editable && (
          <div className="mt-4">
            <DocumentUploader types={DOCUMENT_TYPES} label="Upload another document" onUploaded={uploaded} />
          </div>
        )}
      </section>

      <ConfirmDialog
        open={!!deleting}
        title="Delete document"
        tone="danger"
        confirmLabel="Delete document"
        onCancel={() => setDeleting(null)}
        onConfirm={remove}
      >
        <p>
          <strong>{deleting?.filename}</strong> will be withdrawn from review.
        </p>
      </ConfirmDialog>
    </div>
  );
}
