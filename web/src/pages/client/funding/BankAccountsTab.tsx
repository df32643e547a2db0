import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { BankAccount } from "../../../api/fundingTypes";
import { Alert, Badge, Button, ConfirmDialog, EmptyState, RelativeTime, Table, useToast, type Column } from "../../../components";
import { errorMessage } from "../../../lib/errors";
import { ACCOUNTS_KEY } from "./AddBankAccountModal";
import { useFundingEvents } from "./MyDepositsTab";

export function useBankAccounts() {
  useFundingEvents("bank_account.", ACCOUNTS_KEY);
  return useQuery({
    queryKey: ACCOUNTS_KEY,
    queryFn: () => unwrap(api.GET("/api/v1/funding/bank-accounts")),
  });
}

export interface BankAccountsTabProps {
  canManage: boolean;
  onAdd: () => void;
  onEdit: (account: BankAccount) => void;
}

const STATUS_LABEL: Record<string, string> = {
  PENDING_VERIFICATION: "Pending verification",
  VERIFIED: "Verified",
  REJECTED: "Rejected",
};

export function BankAccountsTab({ canManage, onAdd, onEdit }: BankAccountsTabProps) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const accounts = useBankAccounts();
  const [removing, setRemoving] = useState<BankAccount | null>(null);

  async function makePrimary(a: BankAccount) {
    try {
      await unwrap(api.POST("/api/v1/funding/bank-accounts/{account_id}/primary", { params: { path: { account_id: a.id } } }));
      void qc.invalidateQueries({ queryKey: ACCOUNTS_KEY });
      toast({ title: "Primary account changed", description: a.iban_formatted });
    } catch (e) {
      toast({ title: "Couldn't change the primary account", description: errorMessage(e), tone: "error" });
    }
  }

  const columns: Column<BankAccount>[] = [
    {
      id: "account",
      header: "Account",
      cell: (a) => (
        <span className="flex flex-col">
          <span className="flex items-center gap-2 font-medium text-navy-950">
            {a.account_name}
            {a.is_primary && <Badge tone="navy">Primary</Badge>}
          </span>
          <span className="font-mono text-xs text-slate-600">{a.iban_formatted}</span>
        </span>
      ),
    },
    {
      id: "bank",
      header: "Bank",
      hideOnMobile: true,
      cell: (a) => (
        <span className="flex flex-col">
          <span>{a.bank_name}</span>
          <span className="font-mono text-xs text-slate-500">
            {a.swift} · {a.country}
          </span>
        </span>
      ),
    },
    {
      id: "status",
      header: "Status",
      cell: (a) => (
        <span className="flex flex-col items-start gap-0.5">
          <Badge status={a.status === "PENDING_VERIFICATION" ? "pending" : a.status}>{STATUS_LABEL[a.status]}</Badge>
          {a.status === "REJECTED" && a.rejection_reason && <span className="text-xs text-red-700">{a.rejection_reason}</span>}
          {a.status === "PENDING_VERIFICATION" && a.name_mismatch && (
            <span className="text-xs text-amber-800">Holder name differs from your organisation's name</span>
          )}
        </span>
      ),
    },
    { id: "added", header: "Added", hideOnMobile: true, cell: (a) => <RelativeTime value={a.created_at} /> },
    {
      id: "actions",
      header: <span className="sr-only">Actions</span>,
      align: "right",
      cell: (a) =>
        canManage ? (
          <div className="flex justify-end gap-1">
            {!a.is_primary && a.status !== "REJECTED" && (
              <Button aria-label={`Make primary ${a.iban_formatted}`} size="sm" variant="ghost" onClick={() => void makePrimary(a)}>
                Make primary
              </Button>
            )}
            {a.status !== "VERIFIED" && (
              <Button aria-label={`Edit ${a.iban_formatted}`} size="sm" variant="ghost" onClick={() => onEdit(a)}>
                Edit
              </Button>
            )}
            <Button aria-label={`Remove ${a.iban_formatted}`} size="sm" variant="ghost" onClick={() => setRemoving(a)}>
              Remove
            </Button>
          </div>
        ) : null,
    },
  ];

  return (
    <>
      {accounts.isError && <Alert tone="error">{errorMessage(accounts.error)}</Alert>}
      <Table
        label="Your bank accounts"
        columns={columns}
        rows={accounts.data?.items}
        rowKey={(a) => a.id}
        loading={accounts.isPending}
        empty={
          <EmptyState
            title="No bank accounts"
            description="Add an account in your organisation's name to withdraw funds to it."
            action={canManage ? <Button onClick={onAdd}>Add a bank account</Button> : undefined}
          />
        }
      />
      <ConfirmDialog
        open={!!removing}
        title="Remove this bank account?"
        confirmLabel="Remove"
        tone="danger"
        onCancel={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          await unwrap(api.DELETE("/api/v1/funding/bank-accounts/{account_id}", { params: { path: { account_id: removing.id } } }));
          setRemoving(null);
          void qc.invalidateQueries({ queryKey: ACCOUNTS_KEY });
          toast({ title: "Bank account removed" });
        }}
      >
        {removing?.iban_formatted} will no longer receive withdrawals.
      </ConfirmDialog>
    </>
  );
}
