import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { BankAccount } from "../../../api/fundingTypes";
import { Button, Form, FormAlert, Input, Modal, useFieldErrors, useToast } from "../../../components";
import { checkBic, checkIban, IBAN_PROBLEM_TEXT } from "../../../lib/iban";
import { useDebounced } from "../../../lib/useDebounced";
import { useAction } from "../../../lib/useAction";

export const ACCOUNTS_KEY = ["funding", "bank-accounts"] as const;

export interface AddBankAccountModalProps {
  open: boolean;
  onClose: () => void;
  /** edit this (unverified) account instead of adding one */
  editing?: BankAccount | null;
  /** prefills the holder's name */
  defaultName?: string;
}

const MESSAGES = {
  duplicate_bank_account: "You have already registered this IBAN.",
  bank_account_not_editable: "A verified account can't be changed; add a new one instead.",
};

/** Holder, IBAN (checked as you type, the bank looked up), BIC, bank and country. */
export function AddBankAccountModal({ open, onClose, editing, defaultName = "" }: AddBankAccountModalProps) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [name, setName] = useState("");
  const [iban, setIban] = useState("");
  const [swift, setSwift] = useState("");
  const [bank, setBank] = useState("");
  const [country, setCountry] = useState("");
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const { busy, error, setError, run } = useAction();
  const apiErrors = useFieldErrors(error);

  useEffect(() => {
    if (!open) return;
    setName(editing?.account_name ?? defaultName);
    setIban(editing?.iban_formatted ?? "");
    setSwift(editing?.swift ?? "");
    setBank(editing?.bank_name ?? "");
    setCountry(editing?.country ?? "");
    setTouched({});
    setError(null);
  }, [open, editing, defaultName]);

  const local = checkIban(iban);
  const bic = checkBic(swift);
  // Once the IBAN looks right here, ask the server (national check digits, the bank's name and BIC).
  const debounced = useDebounced(local.problem === null && !local.incomplete ? local.compact : "", 250);
  const server = useQuery({
    queryKey: ["funding", "iban-check", debounced],
    queryFn: () => unwrap(api.POST("/api/v1/funding/bank-accounts/validate-iban", { body: { iban: debounced } })),
    enabled: open && debounced.length > 0,
    staleTime: Infinity,
    retry: false,
  });
  const facts = server.data && server.data.iban === debounced ? server.data : null;

  // Fill in what the bank registry knows, unless the user typed something already.
  useEffect(() => {
    if (!facts?.valid) return;
    if (facts.country) setCountry((c) => c || facts.country!);
    if (facts.bank_name) setBank((b) => b || facts.bank_name!);
    if (facts.bic) setSwift((s) => s || facts.bic!);
  }, [facts]);

  let ibanError: string | null = null;
  if (local.problem && (touched.iban || local.problem !== "empty")) ibanError = IBAN_PROBLEM_TEXT[local.problem];
  else if (local.incomplete && touched.iban) ibanError = "The IBAN is too short for its country.";
  else if (facts && !facts.valid) ibanError = facts.message ?? "This IBAN is not valid.";
  ibanError = ibanError ?? apiErrors.iban ?? null;
  const ibanOk = !local.problem && !local.incomplete && facts?.valid === true;

  let swiftError: string | null = null;
  if (swift && !bic.valid && touched.swift) swiftError = "A BIC has 8 or 11 letters and digits, like DEUTDEFF.";
  else if (bic.valid && local.country && bic.country !== local.country && touched.swift)
    swiftError = `This BIC is of a bank in ${bic.country}, but the IBAN is from ${local.country}.`;
  swiftError = swiftError ?? apiErrors.swift ?? null;

  async function submit() {
    setTouched({ iban: true, swift: true, name: true, bank: true });
    if (!name.trim() || !bank.trim() || local.problem || local.incomplete || !bic.valid || !/^[A-Za-z]{2}$/.test(country.trim())) return;
    const body = {
      account_name: name.trim(),
      iban: local.compact,
      swift: bic.compact,
      bank_name: bank.trim(),
      country: country.trim().toUpperCase(),
    };
    await run(async () => {
      if (editing) {
        await unwrap(api.PUT("/api/v1/funding/bank-accounts/{account_id}", { params: { path: { account_id: editing.id } }, body }));
      } else {
        await unwrap(api.POST("/api/v1/funding/bank-accounts", { body }));
      }
      toast({ title: editing ? "Bank account updated" : "Bank account added", description: "We'll verify it shortly." });
      void qc.invalidateQueries({ queryKey: ACCOUNTS_KEY });
      onClose();
    });
  }

  return (
    <Modal
      open={open}
      onClose={onClose}
      title={editing ? "Edit bank account" : "Add a bank account"}
      description="An account in your organisation's name. Withdrawals can go to it once we have verified it."
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form="bank-account-form" loading={busy}>
            {editing ? "Save changes" : "Add account"}
          </Button>
        </>
      }
    >
      <Form id="bank-account-form" aria-label={editing ? "Edit bank account" : "Add a bank account"} onSubmit={submit}>
        <FormAlert error={Object.keys(apiErrors).length ? null : error} messages={MESSAGES} />
        <Input
          label="Account holder"
          value={name}
          onChange={(e) => setName(e.target.value)}
          onBlur={() => setTouched((t) => ({ ...t, name: true }))}
          error={touched.name && !name.trim() ? "Enter the account holder's name." : apiErrors.account_name}
          maxLength={200}
          required
          autoComplete="off"
        />
        <Input
          label="IBAN"
          value={iban}
          onChange={(e) => setIban(e.target.value.toUpperCase())}
          onBlur={() => {
            setTouched((t) => ({ ...t, iban: true }));
            if (!local.problem) setIban(local.formatted);
          }}
          error={ibanError}
          hint={
            ibanOk
              ? `Valid IBAN${facts?.bank_name ? ` · ${facts.bank_name}` : ""}`
              : local.incomplete && local.country
                ? `${local.country} IBAN…`
                : "e.g. DE89 3704 0044 0532 0130 00"
          }
          className="font-mono"
          spellCheck={false}
          autoComplete="off"
          maxLength={64}
          required
        />
        {ibanOk && (
          <p className="-mt-2 flex items-center gap-1.5 text-xs font-medium text-emerald-700" role="status">
            <svg viewBox="0 0 20 20" className="size-4" aria-hidden="true">
              <path d="M5 10.5l3.2 3L15 7" stroke="currentColor" strokeWidth="2" fill="none" strokeLinecap="round" />
            </svg>
            IBAN checked
          </p>
        )}
        <div className="grid gap-4 sm:grid-cols-2">
          <Input
            label="BIC / SWIFT"
            value={swift}
            onChange={(e) => setSwift(e.target.value.toUpperCase())}
            onBlur={() => setTouched((t) => ({ ...t, swift: true }))}
            error={swiftError}
            className="font-mono"
            spellCheck={false}
            autoComplete="off"
            maxLength={20}
            required
          />
          <Input
            label="Country"
            value={country}
            onChange={(e) => setCountry(e.target.value.toUpperCase())}
            error={apiErrors.country}
            hint="Two letters, e.g. DE"
            maxLength={2}
            autoComplete="off"
            required
          />
        </div>
        <Input
          label="Bank name"
          value={bank}
          onChange={(e) => setBank(e.target.value)}
          onBlur={() => setTouched((t) => ({ ...t, bank: true }))}
          error={touched.bank && !bank.trim() ? "Enter the bank's name." : apiErrors.bank_name}
          maxLength={200}
          required
          autoComplete="off"
        />
      </Form>
    </Modal>
  );
}
