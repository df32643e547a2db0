import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { KycDocument } from "../../../api/onboarding";
import { Button, FormAlert, Modal, Textarea, useToast } from "../../../components";
import { documentLabel } from "../../onboarding/labels";
import { useAction } from "../../../lib/useAction";

/** Approve / reject a KYC document; refreshes every query that shows documents or entities. */
export function useDocumentReview() {
  const qc = useQueryClient();
  const { toast } = useToast();

  function refresh() {
    void qc.invalidateQueries({ queryKey: ["admin", "kyc-documents"] });
    void qc.invalidateQueries({ queryKey: ["admin", "entities"] });
  }

  async function approve(doc: KycDocument): Promise<KycDocument> {
    const updated = await unwrap(
      api.POST("/api/v1/admin/kyc/documents/{document_id}/approve", { params: { path: { document_id: doc.id } } }),
    );
    refresh();
    toast({ title: `${documentLabel(doc.document_type)} approved`, description: doc.entity_name ?? doc.filename });
    return updated;
  }

  async function reject(doc: KycDocument, reason: string): Promise<KycDocument> {
    const updated = await unwrap(
      api.POST("/api/v1/admin/kyc/documents/{document_id}/reject", {
        params: { path: { document_id: doc.id } },
        body: { reason },
      }),
    );
    refresh();
    toast({ title: `${documentLabel(doc.document_type)} rejected`, description: "The client has been notified." });
    return updated;
  }

  return { approve, reject };
}

/** Asks for the reason shown to the client, then rejects. */
export function RejectDocumentModal({
  doc,
  onClose,
  onRejected,
}: {
  doc: KycDocument | null;
  onClose: () => void;
  onRejected: (doc: KycDocument) => void;
}) {
  const { reject } = useDocumentReview();
  const [reason, setReason] = useState("");
  const { busy, error, setError, run } = useAction();
  const [shownFor, setShownFor] = useState<string | null>(null);
  if (doc && shownFor !== doc.id) {
    setShownFor(doc.id);
    setReason("");
    setError(null);
  }

  async function submit() {
    if (!doc || !reason.trim()) return;
    await run(async () => {
      onRejected(await reject(doc, reason.trim()));
    });
  }

  return (
    <Modal
      open={!!doc}
      onClose={onClose}
      title="Reject document"
      description={doc ? `${documentLabel(doc.document_type)} · ${doc.filename}` : null}
      size="md"
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button variant="danger" onClick={submit} loading={busy} disabled={!reason.trim()}>
            Reject document
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4">
        <Textarea
          label="Reason (shown to the client)"
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={2000}
          hint="Say what is wrong and what to upload instead."
          required
        />
        <FormAlert error={error} />
      </div>
    </Modal>
  );
}
