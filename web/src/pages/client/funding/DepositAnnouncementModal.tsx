import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { BankAccount, Deposit } from "../../../api/fundingTypes";
import { Button, Form, FormAlert, Input, Modal, Select, useFieldErrors } from "../../../components";
import { amountError, canonicalAmount } from "./amount";
import { WireInstructionsPanel } from "./WireInstructionsPanel";
import { useAction } from "../../../lib/useAction";

export interface DepositAnnouncementModalProps {
  open: boolean;
  onClose: () => void;
  accounts: readonly BankAccount[];
}

/** Step 1: the amount (and where it comes from); step 2: the wire instructions. */
export function DepositAnnouncementModal({ open, onClose, accounts }: DepositAnnouncementModalProps) {
  const qc = useQueryClient();
  const [amount, setAmount] = useState("");
  const [from, setFrom] = useState("");
  const [wireRef, setWireRef] = useState("");
  const [local, setLocal] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const [created, setCreated] = useState<Deposit | null>(null);
  const apiErrors = useFieldErrors(error);

  useEffect(() => {
    if (open) {
      setAmount("");
      setFrom(accounts.find((a) => a.is_primary)?.id ?? "");
      setWireRef("");
      setLocal(null);
      setError(null);
      setCreated(null);
    }
  }, [open]); // the accounts are read when the dialog opens only

  async function submit() {
    const problem = amountError(amount);
    setLocal(problem);
    if (problem) return;
    await run(async () => {
      const deposit = await unwrap(
        api.POST("/api/v1/funding/deposits/announce", {
          body: {
            amount: canonicalAmount(amount),
            currency: "EUR",
            ...(wireRef.trim() ? { wire_reference: wireRef.trim() } : {}),
            ...(from ? { bank_account_id: from } : {}),
          },
        }),
      );
      setCreated(deposit);
      void qc.invalidateQueries({ queryKey: ["funding", "deposits"] });
    });
  }

  const usable = accounts.filter((a) => a.status !== "REJECTED");
  return (
    <Modal
      open={open}
      onClose={onClose}
      size="lg"
      title={created ? "Wire instructions" : "Deposit funds"}
      description={
        created
          ? "Send the transfer with this reference. You'll see the deposit here as soon as we receive it."
          : "Tell us how much you are sending; we'll give you the bank details and a reference."
      }
      dismissible={!busy}
      footer={
        created ? (
          <Button onClick={onClose}>Done</Button>
        ) : (
          <>
            <Button variant="secondary" onClick={onClose} disabled={busy}>
              Cancel
            </Button>
            <Button type="submit" form="deposit-form" loading={busy}>
              Continue
            </Button>
          </>
        )
      }
    >
      {created?.wire_instructions ? (
        <WireInstructionsPanel instructions={created.wire_instructions} />
      ) : (
        <Form id="deposit-form" aria-label="Deposit funds" onSubmit={submit}>
          <FormAlert error={Object.keys(apiErrors).length ? null : error} />
          <Input
            label="Amount (EUR)"
            inputMode="decimal"
            autoComplete="off"
            placeholder="10000.00"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            onBlur={() => amount && setLocal(amountError(amount))}
            error={local ?? apiErrors.amount}
            required
          />
          {usable.length > 0 && (
            <Select
              label="Sending from"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              placeholder="Another account"
              options={usable.map((a) => ({ value: a.id, label: `${a.account_name} · ${a.iban_formatted}` }))}
              hint="The account the transfer comes from, if it is one of yours."
            />
          )}
          <Input
            label="Your reference (optional)"
            maxLength={140}
            value={wireRef}
            onChange={(e) => setWireRef(e.target.value)}
            error={apiErrors.wire_reference}
            hint="For your own records, e.g. an invoice number."
          />
        </Form>
      )}
    </Modal>
  );
}
