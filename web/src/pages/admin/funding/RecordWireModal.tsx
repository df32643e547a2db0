import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { api, unwrap } from "../../../api/client";
import { Alert, Badge, Button, Form, FormAlert, Input, Modal, Spinner, useFieldErrors, useToast } from "../../../components";
import { cx } from "../../../lib/cx";
import { errorMessage } from "../../../lib/errors";
import { useAction } from "../../../lib/useAction";
import { useDebounced } from "../../../lib/useDebounced";
import { amountError } from "../../client/funding/amount";
import { ReceiptFields, emptyReceipt, receiptBody, type ReceiptValues } from "./ReceiptFields";
import { ADMIN_FUNDING_KEY } from "./shared";

interface Client {
  id: string;
  name: string;
  status: string;
}

/** Search the client organisations by name and pick one. */
function ClientPicker({ value, onChange, error }: { value: Client | null; onChange: (c: Client | null) => void; error?: string }) {
  const id = useId();
  const [search, setSearch] = useState("");
  const term = useDebounced(search.trim(), 250);
  const found = useQuery({
    queryKey: ["admin", "entities", "pick", term],
    queryFn: () => unwrap(api.GET("/api/v1/admin/entities", { params: { query: { limit: 8, search: term } } })),
    enabled: term.length >= 2 && !value,
  });
  if (value) {
    return (
      <div className="flex flex-col gap-1.5">
        <span className="text-sm font-medium text-navy-900">Client</span>
        <div className="flex items-center justify-between gap-2 rounded-lg border border-slate-200 bg-slate-50 px-3 py-2">
          <span className="flex items-center gap-2 text-sm text-navy-950">
            {value.name}
            <Badge status={value.status.toLowerCase()} />
          </span>
          <Button size="sm" variant="ghost" onClick={() => onChange(null)}>
            Change
          </Button>
        </div>
      </div>
    );
  }
  const items = found.data?.items ?? [];
  return (
    <div className="flex flex-col gap-2">
      <Input
        label="Client"
        placeholder="Search by company name"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        error={error}
        hint={term.length < 2 ? "Type at least 2 letters of the client's name." : undefined}
        aria-controls={`${id}-results`}
        required
      />
      <div id={`${id}-results`} role="listbox" aria-label="Matching clients" className="flex flex-col gap-1">
        {found.isFetching && <Spinner label="Searching" />}
        {found.isError && <Alert tone="error">{errorMessage(found.error)}</Alert>}
        {term.length >= 2 && found.isSuccess && !items.length && <p className="text-sm text-slate-500">No client matches “{term}”.</p>}
        {items.map((e) => (
          <button
            key={e.id}
            type="button"
            role="option"
            aria-selected={false}
            onClick={() => onChange({ id: e.id, name: e.legal_name ?? e.id, status: e.status })}
            className={cx(
              "flex items-center justify-between rounded-lg border border-slate-200 px-3 py-2 text-left text-sm",
              "hover:border-emerald-400 hover:bg-emerald-50/50 focus-visible:outline-2 focus-visible:outline-emerald-500",
            )}
          >
            <span className="text-navy-950">{e.legal_name ?? e.id}</span>
            <Badge status={e.status.toLowerCase()} />
          </button>
        ))}
      </div>
    </div>
  );
}

/** Book a wire that arrived without an announcement: it goes ON_HOLD for the client. */
export function RecordWireModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [client, setClient] = useState<Client | null>(null);
  const [wireReference, setWireReference] = useState("");
  const [receipt, setReceipt] = useState<ReceiptValues>(emptyReceipt());
  const [local, setLocal] = useState<{ client?: string; amount?: string | null }>({});
  const { busy, error, reset, run } = useAction();
  const fe = useFieldErrors(error);

  useEffect(() => {
    if (!open) return;
    setClient(null);
    setWireReference("");
    setReceipt(emptyReceipt());
    setLocal({});
    reset();
  }, [open]);

  async function submit() {
    const problems = { client: client ? undefined : "Choose the client the wire is for.", amount: amountError(receipt.amount) };
    setLocal(problems);
    if (!client || problems.amount) return;
    await run(async () => {
      const done = await unwrap(
        api.POST("/api/v1/admin/deposits/record", {
          body: {
            entity_id: client.id,
            ...receiptBody(receipt, "EUR"),
            ...(wireReference.trim() ? { wire_reference: wireReference.trim() } : {}),
          },
        }),
      );
      toast({
        title: "Wire recorded",
        description: `${done.reference_code} for ${client.name} is on hold${done.hold?.flagged ? " with AML flags" : ""}.`,
      });
      void qc.invalidateQueries({ queryKey: ADMIN_FUNDING_KEY });
      onClose();
    });
  }

  return (
    <Modal
      open={open}
      onClose={onClose}
      title="Record unannounced wire"
      description="A wire that reached the client money account without an announcement. It is booked on hold for the client, like a confirmed deposit."
      dismissible={!busy}
      size="lg"
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form="record-wire-form" loading={busy}>
            Record wire
          </Button>
        </>
      }
    >
      <Form id="record-wire-form" aria-label="Record unannounced wire" onSubmit={submit}>
        <FormAlert error={Object.keys(fe).length ? null : error} />
        <ClientPicker
          value={client}
          onChange={(c) => {
            setClient(c);
            setLocal((l) => ({ ...l, client: undefined }));
          }}
          error={local.client ?? fe.entity_id}
        />
        <ReceiptFields
          values={receipt}
          onChange={(r) => {
            setReceipt(r);
            if (r.amount !== receipt.amount) setLocal((l) => ({ ...l, amount: null })); // said again on submit
          }}
          currency="EUR"
          errors={fe}
          amountError={local.amount}
        />
        <Input
          label="Reference on the wire"
          value={wireReference}
          onChange={(e) => setWireReference(e.target.value)}
          error={fe.wire_reference}
          hint="What the payer wrote, if anything."
          maxLength={140}
        />
      </Form>
    </Modal>
  );
}
