import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { BankAccount } from "../../../api/fundingTypes";
import { Alert, Button, DetailList, Form, FormAlert, Input, Modal, Money, Select, Textarea, useFieldErrors, useToast } from "../../../components";
import { amountError, canonicalAmount } from "./amount";
import { BALANCES_KEY } from "./BalancesCard";
import { useAction } from "../../../lib/useAction";

export interface WithdrawalRequestModalProps {
  open: boolean;
  onClose: () => void;
  /** the available EUR balance: the most that can be withdrawn */
  available: string;
  accounts: readonly BankAccount[];
  onAddAccount: () => void;
}

const MESSAGES = {
  insufficient_funds: "Your available balance is lower than this amount. Funds on hold or reserved can't be withdrawn.",
  bank_account_not_verified: "This bank account is not verified yet.",
  kyc_required: "Your organisation's KYC must be approved before you can withdraw.",
};

/** Amount (at most the available balance) and a verified account, then a confirmation step. */
export function WithdrawalRequestModal({ open, onClose, available, accounts, onAddAccount }: WithdrawalRequestModalProps) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const verified = accounts.filter((a) => a.status === "VERIFIED");
  const [step, setStep] = useState<"form" | "confirm">("form");
  const [amount, setAmount] = useState("");
  const [accountId, setAccountId] = useState("");
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const apiErrors = useFieldErrors(error);

  useEffect(() => {
    if (open) {
      setStep("form");
      setAmount("");
      setAccountId((verified.find((a) => a.is_primary) ?? verified[0])?.id ?? "");
      setReason("");
      setLocal(null);
      setError(null);
    }
  }, [open]); // the accounts are read when the dialog opens only

  const account = verified.find((a) => a.id === accountId);

  function review() {
    const problem = amountError(amount, { max: available });
    setLocal(problem);
    if (problem || !account) return;
    setError(null);
    setStep("confirm");
  }

  async function submit() {
    if (!account) return;
    await run(async () => {
      try {
        await unwrap(
          api.POST("/api/v1/funding/withdrawals/request", {
            body: {
              amount: canonicalAmount(amount),
              currency: "EUR",
              bank_account_id: account.id,
              ...(reason.trim() ? { reason: reason.trim() } : {}),
            },
          }),
        );
      } catch (e) {
        setStep("form"); // back to the form, with the error shown
        throw e;
      }
      toast({ title: "Withdrawal requested", description: "It is waiting for approval." });
      void qc.invalidateQueries({ queryKey: ["funding"] });
      void qc.invalidateQueries({ queryKey: BALANCES_KEY });
      onClose();
    });
  }

  const noAccount = verified.length === 0;
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={step === "confirm" ? "Confirm withdrawal" : "Withdraw funds"}
      description={
        step === "confirm" ? "Check the details: the amount is reserved as soon as you confirm." : (
          <>
            Available: <Money value={available} currency="EUR" className="font-semibold text-navy-950" />
          </>
        )
      }
      dismissible={!busy}
      footer={
        noAccount ? (
          <>
            <Button variant="secondary" onClick={onClose}>
              Close
            </Button>
            <Button
              onClick={() => {
                onClose();
                onAddAccount();
              }}
            >
              Add a bank account
            </Button>
          </>
        ) : step === "form" ? (
          <>
            <Button variant="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" form="withdraw-form">
              Review
            </Button>
          </>
        ) : (
          <>
            <Button variant="secondary" onClick={() => setStep("form")} disabled={busy}>
              Back
            </Button>
            <Button onClick={submit} loading={busy}>
              Confirm withdrawal
            </Button>
          </>
        )
      }
    >
      {noAccount ? (
        <Alert tone="info" title="No verified bank account">
          Withdrawals go only to a bank account in your organisation's name that we have verified. Add one first.
        </Alert>
      ) : step === "form" ? (
        <Form id="withdraw-form" aria-label="Withdraw funds" onSubmit={review}>
          <FormAlert error={Object.keys(apiErrors).length ? null : error} messages={MESSAGES} />
          <div className="flex items-end gap-2">
            <Input
              label="Amount (EUR)"
              inputMode="decimal"
              autoComplete="off"
              placeholder="0.00"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              error={local ?? apiErrors.amount}
              containerClassName="flex-1"
              required
            />
            <Button variant="secondary" onClick={() => setAmount(available)} className="mb-0" aria-label="Max: the whole available balance">
              Max
            </Button>
          </div>
          <Select
            label="To bank account"
            value={accountId}
            onChange={(e) => setAccountId(e.target.value)}
            options={verified.map((a) => ({ value: a.id, label: `${a.account_name} · ${a.iban_formatted}` }))}
            error={apiErrors.bank_account_id}
            required
          />
          <Textarea label="Reason (optional)" rows={2} maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </Form>
      ) : (
        account && (
          <div className="flex flex-col gap-4">
            <DetailList
              items={[
                { label: "Amount", value: <Money value={canonicalAmount(amount)} currency="EUR" className="text-lg font-semibold" /> },
                { label: "To", value: account.account_name },
                { label: "IBAN", value: <span className="font-mono">{account.iban_formatted}</span> },
                { label: "Bank", value: `${account.bank_name} (${account.swift})` },
                ...(reason.trim() ? [{ label: "Reason", value: reason.trim() }] : []),
              ]}
            />
            <Alert tone="info">Two members of our team approve and send every withdrawal. You can cancel it while it is pending.</Alert>
          </div>
        )
      )}
    </Modal>
  );
}
