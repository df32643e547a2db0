import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import type { KycDocument } from "../../../api/onboarding";
import { Button, DetailList, FormAlert, Modal, Skeleton } from "../../../components";
import { AbsoluteTime } from "../../../components/Time";
import { downloadFile } from "../../../lib/download";
import { documentLabel, formatBytes } from "../../onboarding/labels";
import { documentFilePath, fetchImageDataUrl, FileTypeIcon, StatusBadge } from "../../onboarding/shared";

/**
 * A KYC document for review: images are shown inline (read through the
 * authenticated API and shown as a data: URL, which the CSP allows); PDFs are
 * downloaded and opened in the reviewer's PDF reader.
 */
export function DocumentViewer({
  doc,
  onClose,
  actions,
}: {
  doc: KycDocument | null;
  onClose: () => void;
  actions?: ReactNode;
}) {
  const image = !!doc && doc.content_type !== "application/pdf";
  const preview = useQuery({
    queryKey: ["kyc-file", doc?.id],
    queryFn: () => fetchImageDataUrl(documentFilePath(doc!.id)),
    enabled: image,
    staleTime: 5 * 60_000,
  });
  const [downloadError, setDownloadError] = useState<unknown>(null);

  return (
    <Modal
      open={!!doc}
      onClose={onClose}
      size="xl"
      title={doc ? documentLabel(doc.document_type) : "Document"}
      description={doc ? <span className="break-all">{doc.filename}</span> : null}
      footer={
        doc ? (
          <>
            <Button
              variant="secondary"
              onClick={() => {
                setDownloadError(null);
                downloadFile(documentFilePath(doc.id), doc.filename).catch(setDownloadError);
              }}
            >
              Download
            </Button>
            {actions}
          </>
        ) : null
      }
    >
      {doc && (
        <div className="grid gap-6 md:grid-cols-[minmax(0,1fr)_16rem]">
          <div className="grid min-h-72 place-items-center rounded-lg bg-slate-100 p-3">
            {image ? (
              preview.isPending ? (
                <Skeleton className="h-72 w-full" />
              ) : preview.isError ? (
                <FormAlert error={preview.error} title="Couldn't load the image" />
              ) : (
                <img src={preview.data} alt={`${documentLabel(doc.document_type)}: ${doc.filename}`} className="max-h-[60vh] max-w-full rounded shadow-card" />
              )
            ) : (
              <div className="flex flex-col items-center gap-3 text-center text-sm text-slate-600">
                <FileTypeIcon contentType={doc.content_type} className="h-24 w-20" />
                <p>PDF documents open in your PDF reader: use Download.</p>
              </div>
            )}
          </div>
          <div className="flex flex-col gap-4">
            <FormAlert error={downloadError} />
            <DetailList
              items={[
                { label: "Status", value: <StatusBadge status={doc.status} /> },
                { label: "Uploaded", value: <AbsoluteTime value={doc.created_at} /> },
                { label: "Size", value: formatBytes(doc.size_bytes) },
                { label: "Type", value: doc.content_type },
                { label: "SHA-256", value: <span className="font-mono text-xs break-all">{doc.sha256}</span> },
                ...(doc.client_notes ? [{ label: "Client notes", value: doc.client_notes }] : []),
                ...(doc.rejection_reason ? [{ label: "Rejection reason", value: doc.rejection_reason }] : []),
              ]}
            />
          </div>
        </div>
      )}
    </Modal>
  );
}
