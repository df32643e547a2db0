import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { AdminBankAccount } from "../../../api/fundingTypes";
import {
  Alert,
  Badge,
  Button,
  DetailList,
  EmptyState,
  FileDrop,
  FormAlert,
  Modal,
  ReasonModal,
  RelativeTime,
  Select,
  Spinner,
  Table,
  Textarea,
  useToast,
  type Column,
} from "../../../components";
import { downloadFile } from "../../../lib/download";
import { errorMessage, toApiError } from "../../../lib/errors";
import { authFetchPath } from "../../../lib/http";
import { ADMIN_FUNDING_KEY, useBackofficeRefresh } from "./shared";
import { useAction } from "../../../lib/useAction";

const KEY = [...ADMIN_FUNDING_KEY, "bank-accounts"] as const;
const MAX_BYTES = 10 * 1024 * 1024;
type Status = "PENDING_VERIFICATION" | "VERIFIED" | "REJECTED";
const STATUS_LABEL: Record<Status, string> = {
  PENDING_VERIFICATION: "Pending verification",
  VERIFIED: "Verified",
  REJECTED: "Rejected",
};

function VerifyModal({ account, onClose }: { account: AdminBankAccount | null; onClose: () => void }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [file, setFile] = useState<File | null>(null);
  const [notes, setNotes] = useState("");
  const { busy, error, setError, run } = useAction();
  useEffect(() => {
    if (!account) return;
    setFile(null);
    setNotes("");
    setError(null);
  }, [account]);

  async function submit() {
    if (!account || !file) return;
    await run(async () => {
      const form = new FormData();
      form.set("file", file);
      if (notes.trim()) form.set("notes", notes.trim());
      const res = await authFetchPath(`/api/v1/admin/bank-accounts/${account.id}/verify`, {
        method: "POST",
        body: form,
        headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      if (!res.ok) throw toApiError(res.status, await res.json().catch(() => null), res.headers);
      toast({ title: "Bank account verified", description: account.iban_formatted });
      void qc.invalidateQueries({ queryKey: KEY });
      onClose();
    });
  }

  return (
    <Modal
      open={!!account}
      onClose={onClose}
      title="Verify bank account"
      description={account ? <>{account.account_name} · <span className="font-mono">{account.iban_formatted}</span></> : null}
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button onClick={submit} disabled={!file} loading={busy}>
            Verify account
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4">
        {account?.name_mismatch && (
          <Alert tone="warning" title="Holder name differs">
            "{account.account_name}" does not match the client's legal name ({account.entity_name ?? "unknown"}).
          </Alert>
        )}
        <FileDrop
          label="Proof of the account (bank letter or statement)"
          accept="application/pdf,image/png,image/jpeg"
          maxSizeBytes={MAX_BYTES}
          hint={file ? `Selected: ${file.name}` : "PDF, PNG or JPEG, at most 10 MB"}
          onFiles={(files) => setFile(files[0] ?? null)}
        />
        <Textarea label="Notes" rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={2000} />
        <FormAlert error={error} />
      </div>
    </Modal>
  );
}

/** The proof document: images inline, PDFs opened in a new tab (the page's CSP allows no frames). */
function ProofViewer({ account, onClose }: { account: AdminBankAccount | null; onClose: () => void }) {
  const [state, setState] = useState<{ kind: "loading" } | { kind: "image"; src: string } | { kind: "pdf"; url: string } | { kind: "error"; error: unknown } | null>(null);
  useEffect(() => {
    if (!account) return;
    let cancelled = false;
    let objectUrl: string | null = null;
    setState({ kind: "loading" });
    void (async () => {
      try {
        const res = await authFetchPath(`/api/v1/admin/bank-accounts/${account.id}/proof`);
        if (!res.ok) throw toApiError(res.status, await res.json().catch(() => null), res.headers);
        const blob = await res.blob();
        if (cancelled) return;
        if (blob.type.startsWith("image/")) {
          const src = await new Promise<string>((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => resolve(String(reader.result));
            reader.onerror = () => reject(reader.error);
            reader.readAsDataURL(blob);
          });
          if (!cancelled) setState({ kind: "image", src });
        } else {
          objectUrl = URL.createObjectURL(blob);
          setState({ kind: "pdf", url: objectUrl });
        }
      } catch (e) {
        if (!cancelled) setState({ kind: "error", error: e });
      }
    })();
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [account]);

  return (
    <Modal open={!!account} onClose={onClose} size="xl" title="Proof of bank account" description={account ? `${account.account_name} · ${account.iban_formatted}` : null}>
      {account && (
        <div className="flex flex-col gap-4">
          <DetailList
            items={[
              { label: "Client", value: account.entity_name ?? account.entity_id },
              { label: "File", value: account.proof_filename ?? "—" },
              { label: "Notes", value: account.verification_notes ?? "—" },
              { label: "Verified", value: account.verified_at ? <RelativeTime value={account.verified_at} /> : "—" },
            ]}
          />
          {state?.kind === "loading" && (
            <div className="grid h-40 place-items-center" role="status" aria-label="Loading the proof">
              <Spinner className="size-6 text-navy-700" />
            </div>
          )}
          {state?.kind === "error" && <Alert tone="error">{errorMessage(state.error)}</Alert>}
          {state?.kind === "image" && <img src={state.src} alt={`Proof for ${account.iban_formatted}`} className="max-h-[60vh] w-full rounded-lg border border-slate-200 object-contain" />}
          {state?.kind === "pdf" && (
            <div className="flex flex-wrap gap-2">
              <a href={state.url} target="_blank" rel="noopener noreferrer" aria-label="Open PDF (opens in a new tab)" className="inline-flex h-10 items-center rounded-lg bg-navy-900 px-4 text-sm font-medium text-white hover:bg-navy-800">
                Open PDF
              </a>
              <Button variant="secondary" onClick={() => void downloadFile(`/api/v1/admin/bank-accounts/${account.id}/proof`, account.proof_filename ?? "proof.pdf")}>
                Download
              </Button>
            </div>
          )}
        </div>
      )}
    </Modal>
  );
}

export function BankAccountsAdminTab({ canVerify }: { canVerify: boolean }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  useBackofficeRefresh(["bank_account."], KEY);
  const [status, setStatus] = useState<Status | "">("PENDING_VERIFICATION");
  const [verifying, setVerifying] = useState<AdminBankAccount | null>(null);
  const [rejecting, setRejecting] = useState<AdminBankAccount | null>(null);
  const [proof, setProof] = useState<AdminBankAccount | null>(null);

  const list = useInfiniteQuery({
    queryKey: [...KEY, status],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/v1/admin/bank-accounts", { params: { query: { limit: 50, ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
  });
  const rows = list.data?.pages.flatMap((p) => p.items);

  const columns: Column<AdminBankAccount>[] = [
    {
      id: "account",
      header: "Account",
      cell: (a) => (
        <span className="flex flex-col">
          <span className="font-medium text-navy-950">{a.account_name}</span>
          <span className="font-mono text-xs text-slate-600">{a.iban_formatted}</span>
        </span>
      ),
    },
    {
      id: "client",
      header: "Client",
      cell: (a) => (
        <span className="flex flex-col">
          <span>{a.entity_name ?? a.entity_id}</span>
          {a.name_mismatch && <span className="text-xs font-medium text-amber-800">Holder name differs</span>}
        </span>
      ),
    },
    { id: "bank", header: "Bank", hideOnMobile: true, cell: (a) => <span className="text-sm">{a.bank_name} · <span className="font-mono">{a.swift}</span></span> },
    { id: "status", header: "Status", cell: (a) => <Badge status={a.status === "PENDING_VERIFICATION" ? "pending" : a.status}>{STATUS_LABEL[a.status]}</Badge> },
    { id: "added", header: "Added", hideOnMobile: true, cell: (a) => <RelativeTime value={a.created_at} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (a) => (
        <div className="flex justify-end gap-1">
          {a.has_proof && (
            <Button aria-label={`View proof for ${a.iban_formatted}`} size="sm" variant="ghost" onClick={() => setProof(a)}>
              View proof
            </Button>
          )}
          {canVerify && a.status === "PENDING_VERIFICATION" && (
            <>
              <Button aria-label={`Verify ${a.iban_formatted}`} size="sm" onClick={() => setVerifying(a)}>
                Verify
              </Button>
              <Button aria-label={`Reject ${a.iban_formatted}`} size="sm" variant="ghost" onClick={() => setRejecting(a)}>
                Reject
              </Button>
            </>
          )}
        </div>
      ),
    },
  ];

  return (
    <div className="flex flex-col gap-4">
      <div className="max-w-xs">
        <Select
          label="Status"
          value={status}
          onChange={(e) => setStatus(e.target.value as Status | "")}
          placeholder="All statuses"
          options={(Object.keys(STATUS_LABEL) as Status[]).map((s) => ({ value: s, label: STATUS_LABEL[s] }))}
        />
      </div>
      {list.isError && <Alert tone="error">{errorMessage(list.error)}</Alert>}
      <Table
        label="Bank accounts"
        columns={columns}
        rows={rows}
        rowKey={(a) => a.id}
        loading={list.isPending}
        empty={<EmptyState title="Nothing to verify" description="Bank accounts added by clients appear here." />}
        pagination={{ hasMore: !!list.hasNextPage, onLoadMore: () => void list.fetchNextPage(), loadingMore: list.isFetchingNextPage }}
      />
      <VerifyModal account={verifying} onClose={() => setVerifying(null)} />
      <ProofViewer account={proof} onClose={() => setProof(null)} />
      <ReasonModal
        confirmLabel="Reject"
        open={!!rejecting}
        title="Reject bank account"
        description={rejecting ? <>The client sees the reason and can correct <span className="font-mono">{rejecting.iban_formatted}</span>.</> : null}
        onClose={() => setRejecting(null)}
        onConfirm={async (reason) => {
          if (!rejecting) return;
          await unwrap(api.POST("/api/v1/admin/bank-accounts/{account_id}/reject", { params: { path: { account_id: rejecting.id } }, body: { reason } }));
          toast({ title: "Bank account rejected" });
          void qc.invalidateQueries({ queryKey: KEY });
        }}
      />
    </div>
  );
}
