/** Small pieces shared by the client and backoffice onboarding pages. */
import type { SVGProps } from "react";
import type { KycDocument } from "../../api/onboarding";
import { Badge } from "../../components";
import { toApiError } from "../../lib/errors";
import { authFetchPath } from "../../lib/http";
import { humanize } from "../../lib/format";

/** A status badge with a readable label ("PENDING_REVIEW" -> "Pending review"). */
export function StatusBadge({ status, className }: { status: string; className?: string }) {
  return (
    <Badge status={status} className={className}>
      {statusLabel(status)}
    </Badge>
  );
}

export function statusLabel(status: string): string {
  return humanize(status.toLowerCase());
}

export function FileTypeIcon({ contentType, ...props }: { contentType: string } & SVGProps<SVGSVGElement>) {
  const pdf = contentType === "application/pdf";
  return (
    <svg viewBox="0 0 32 40" aria-hidden="true" {...props}>
      <path d="M4 1h17l10 10v26a2 2 0 01-2 2H4a2 2 0 01-2-2V3a2 2 0 012-2z" className="fill-white stroke-slate-300" strokeWidth="1.5" />
      <path d="M21 1v8a2 2 0 002 2h8" className="fill-slate-100 stroke-slate-300" strokeWidth="1.5" />
      <rect x="0" y="22" width="24" height="11" rx="2" className={pdf ? "fill-red-600" : "fill-sky-600"} />
      <text x="12" y="30.5" textAnchor="middle" className="fill-white" fontSize="7.5" fontWeight="700" fontFamily="sans-serif">
        {pdf ? "PDF" : contentType === "image/png" ? "PNG" : "JPG"}
      </text>
    </svg>
  );
}

/**
 * Upload a KYC document. Sent with fetch + FormData rather than the typed
 * client: uploads carry no Idempotency-Key (the middleware buffers keyed
 * bodies up to 1 MB only); a repeated upload is refused as a duplicate.
 */
export async function uploadDocument(input: {
  file: File;
  documentType: string;
  notes?: string;
}): Promise<KycDocument> {
  const form = new FormData();
  form.append("file", input.file, input.file.name);
  form.append("document_type", input.documentType);
  if (input.notes?.trim()) form.append("client_notes", input.notes.trim());
  let res: Response;
  try {
    res = await authFetchPath("/api/v1/kyc/documents/upload", { method: "POST", body: form });
  } catch {
    throw toApiError(0, null);
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw toApiError(res.status, body);
  return body as KycDocument;
}

/** Read an authenticated image as a data: URL (the CSP allows data: images, not blob:). */
export async function fetchImageDataUrl(path: string): Promise<string> {
  const res = await authFetchPath(path);
  if (!res.ok) throw toApiError(res.status, null);
  const blob = await res.blob();
  return blobToDataUrl(blob);
}

export function blobToDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the file"));
    reader.readAsDataURL(blob);
  });
}

export function documentFilePath(id: string): string {
  return `/api/v1/kyc/documents/${id}/file`;
}
