import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../../api/client";
import type { paths } from "../../../api/schema";
import type { User } from "../../../api/types";
import { Button, Card, EmptyState, FormAlert, Input, Modal, RelativeTime, Select, Skeleton, Textarea, useFieldErrors, useToast } from "../../../components";
import { useUser } from "../../../lib/auth";
import { useChannel } from "../../../lib/useChannel";
import { useAction } from "../../../lib/useAction";

type FeeOverridePage = paths["/api/v1/admin/fee-overrides"]["get"]["responses"][200]["content"]["application/json"];
export type FeeOverride = FeeOverridePage["items"][number];
type Instrument = paths["/api/v1/admin/instruments"]["get"]["responses"][200]["content"]["application/json"][number];

const MAX_BPS = 1000;
const ALL = "";

/** Change fees: the server's market:manage (reading needs market:read, every staff role). */
export function canManageFees(user: User | null | undefined): boolean {
  return !!user?.role && ["super_admin", "admin", "operations"].includes(user.role);
}

function scopeLabel(instrument: string | null | undefined): string {
  return instrument ? instrument : "All instruments";
}

/** "12" -> 12; anything but a whole number from 0 to 1000 -> an error message. */
function parseBps(raw: string): number | string {
  const text = raw.trim();
  if (!/^\d{1,4}$/.test(text)) return "Enter a whole number of basis points";
  const n = Number(text);
  return n > MAX_BPS ? `At most ${MAX_BPS} bps (10 %)` : n;
}

function FeeModal({
  entityId,
  entityName,
  editing,
  open,
  instruments,
  taken,
  onClose,
  onSaved,
}: {
  entityId: string;
  entityName: string;
  /** the override being edited, or null to add one */
  editing: FeeOverride | null;
  open: boolean;
  instruments: readonly Instrument[];
  /** scopes that already have an override (adding one there replaces it) */
  taken: ReadonlySet<string>;
  onClose: () => void;
  onSaved: (o: FeeOverride) => void;
}) {
  const [scope, setScope] = useState(ALL);
  const [maker, setMaker] = useState("");
  const [taker, setTaker] = useState("");
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<Record<string, string>>({});
  const { busy, error, setError, run } = useAction();
  const [shownFor, setShownFor] = useState<string | null>(null);
  const key = open ? (editing?.id ?? "new") : null;
  if (key !== shownFor) {
    setShownFor(key);
    setScope(editing?.instrument ?? ALL);
    setMaker(editing ? String(editing.maker_fee_bps) : "");
    setTaker(editing ? String(editing.taker_fee_bps) : "");
    setReason("");
    setLocal({});
    setError(null);
  }
  const server = useFieldErrors(error);
  const errors = { ...server, ...local };

  async function save() {
    const m = parseBps(maker);
    const t = parseBps(taker);
    const found: Record<string, string> = {};
    if (typeof m === "string") found.maker_fee_bps = m;
    if (typeof t === "string") found.taker_fee_bps = t;
    if (reason.trim().length < 3) found.reason = "Say why (at least 3 characters)";
    setLocal(found);
    if (Object.keys(found).length || typeof m === "string" || typeof t === "string") return;
    await run(async () => {
      const saved = await unwrap(
        api.PUT("/api/v1/admin/entities/{entity_id}/fees", {
          params: { path: { entity_id: entityId } },
          body: { instrument: scope === ALL ? null : scope, maker_fee_bps: m, taker_fee_bps: t, reason: reason.trim() },
        }),
      );
      onSaved(saved);
    });
  }

  const replaces = !editing && taken.has(scope);
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={editing ? `Edit fees: ${scopeLabel(editing.instrument)}` : "Add fee override"}
      description={entityName}
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button onClick={save} loading={busy}>
            {editing ? "Save fees" : "Add override"}
          </Button>
        </>
      }
    >
      <form
        noValidate
        className="flex flex-col gap-4"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Select
          label="Applies to"
          value={scope}
          onChange={(e) => setScope(e.target.value)}
          disabled={!!editing}
          options={[{ value: ALL, label: "All instruments" }, ...instruments.map((i) => ({ value: i.symbol, label: `${i.symbol} — ${i.name}` }))]}
          hint={replaces ? "This entity already has an override here; saving replaces it." : "An instrument's own override beats the all-instruments one."}
          error={errors.instrument}
        />
        <div className="grid grid-cols-2 gap-4">
          <Input
            label="Maker fee (bps)"
            inputMode="numeric"
            value={maker}
            onChange={(e) => setMaker(e.target.value)}
            error={errors.maker_fee_bps}
            hint="0 to 1000; 1 bps = 0.01 %"
            required
          />
          <Input label="Taker fee (bps)" inputMode="numeric" value={taker} onChange={(e) => setTaker(e.target.value)} error={errors.taker_fee_bps} hint="0 to 1000" required />
        </div>
        <Textarea label="Reason (kept in the audit trail)" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} error={errors.reason} required />
        <FormAlert error={Object.keys(server).length ? null : error} />
        <button type="submit" hidden />
      </form>
    </Modal>
  );
}

function RemoveModal({
  entityId,
  target,
  onClose,
  onRemoved,
}: {
  entityId: string;
  target: FeeOverride | null;
  onClose: () => void;
  onRemoved: (o: FeeOverride) => void;
}) {
  const [reason, setReason] = useState("");
  const { busy, error, setError, run } = useAction();
  const [shownFor, setShownFor] = useState<string | null>(null);
  if ((target?.id ?? null) !== shownFor) {
    setShownFor(target?.id ?? null);
    setReason("");
    setError(null);
  }

  async function remove() {
    if (!target || reason.trim().length < 3) return;
    await run(async () => {
      await unwrap(
        api.DELETE("/api/v1/admin/entities/{entity_id}/fees", {
          params: { path: { entity_id: entityId }, query: target.instrument ? { instrument: target.instrument } : {} },
          body: { reason: reason.trim() },
        }),
      );
      onRemoved(target);
    });
  }

  return (
    <Modal
      open={!!target}
      onClose={onClose}
      role="alertdialog"
      size="sm"
      title="Remove fee override"
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button variant="danger" onClick={remove} loading={busy} disabled={reason.trim().length < 3}>
            Remove override
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4 text-sm text-slate-700">
        <p>
          From the entity&apos;s next order, {target?.maker_fee_bps} / {target?.taker_fee_bps} bps on {target?.instrument ?? "all instruments"} no longer
          apply: it pays{" "}
          {target?.instrument ? "its all-instruments override, if it has one, or the instrument's standard fees" : "each instrument's standard fees, or an instrument's own override"}.
        </p>
        <Textarea label="Reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} required />
        <FormAlert error={error} />
      </div>
    </Modal>
  );
}

/** Backoffice: an entity's negotiated maker/taker fees (per instrument or for all). */
export function EntityFeesCard({ entityId, entityName }: { entityId: string; entityName: string }) {
  const me = useUser();
  const canManage = canManageFees(me);
  const qc = useQueryClient();
  const { toast } = useToast();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<FeeOverride | null>(null);
  const [removing, setRemoving] = useState<FeeOverride | null>(null);
  const key = ["admin", "fee-overrides", entityId];
  const overrides = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/v1/admin/fee-overrides", { params: { query: { entity_id: entityId, limit: 200 } } })),
    retry: false,
  });
  const instruments = useQuery({
    queryKey: ["admin", "instruments"],
    queryFn: () => unwrap(api.GET("/api/v1/admin/instruments")),
    retry: false,
  });
  useChannel("backoffice", (e) => {
    const data = e.data as { entity_id?: string };
    if (e.event.startsWith("fee_override.") && data?.entity_id === entityId) void qc.invalidateQueries({ queryKey: key });
    if (e.event === "instrument.updated") void qc.invalidateQueries({ queryKey: ["admin", "instruments"] });
  });

  const items = [...(overrides.data?.items ?? [])].sort((a, b) => (a.instrument ?? "").localeCompare(b.instrument ?? ""));
  const taken = new Set(items.map((o) => o.instrument ?? ALL));
  const done = (message: string) => {
    void qc.invalidateQueries({ queryKey: key });
    toast({ title: message, description: entityName });
  };

  return (
    <Card
      title="Trading fees"
      description="Negotiated maker / taker fees in basis points"
      actions={
        canManage && overrides.isSuccess ? (
          <Button size="sm" variant="secondary" onClick={() => setAdding(true)}>
            Add override
          </Button>
        ) : undefined
      }
    >
      {overrides.isPending ? (
        <Skeleton className="h-16 w-full" />
      ) : overrides.isError ? (
        <FormAlert error={overrides.error} title="Couldn't load the fee overrides" />
      ) : items.length ? (
        <ul className="-my-3 divide-y divide-slate-100" aria-label="Fee overrides">
          {items.map((o) => (
            <li key={o.id} className="flex flex-col gap-1 py-3 text-sm">
              <div className="flex items-center justify-between gap-2">
                <span className="font-medium text-navy-950">{scopeLabel(o.instrument)}</span>
                {canManage && (
                  <span className="flex gap-1">
                    <Button size="sm" variant="ghost" onClick={() => setEditing(o)} aria-label={`Edit fees for ${scopeLabel(o.instrument)}`}>
                      Edit
                    </Button>
                    <Button
                      size="sm"
                      variant="ghost"
                      className="text-red-700 hover:bg-red-50"
                      onClick={() => setRemoving(o)}
                      aria-label={`Remove fees for ${scopeLabel(o.instrument)}`}
                    >
                      Remove
                    </Button>
                  </span>
                )}
              </div>
              <p className="tabular-nums text-slate-700">
                Maker {o.maker_fee_bps} bps · Taker {o.taker_fee_bps} bps
              </p>
              <p className="text-xs text-slate-500">
                “{o.reason}” · <RelativeTime value={o.updated_at} />
              </p>
            </li>
          ))}
        </ul>
      ) : (
        <EmptyState title="No override" description="This entity pays each instrument's standard fees." />
      )}
      {instruments.data && instruments.data.length > 0 && (
        <p className="mt-4 border-t border-slate-100 pt-3 text-xs text-slate-500">
          Standard fees (maker / taker):{" "}
          {instruments.data.map((i) => `${i.symbol} ${i.maker_fee_bps} / ${i.taker_fee_bps} bps`).join(" · ")}
        </p>
      )}
      <FeeModal
        entityId={entityId}
        entityName={entityName}
        editing={editing}
        open={adding || !!editing}
        instruments={instruments.data ?? []}
        taken={taken}
        onClose={() => {
          setAdding(false);
          setEditing(null);
        }}
        onSaved={(o) => {
          setAdding(false);
          setEditing(null);
          done(`Fees saved for ${scopeLabel(o.instrument)}`);
        }}
      />
      <RemoveModal
        entityId={entityId}
        target={removing}
        onClose={() => setRemoving(null)}
        onRemoved={(o) => {
          setRemoving(null);
          done(`Fee override removed for ${scopeLabel(o.instrument)}`);
        }}
      />
    </Card>
  );
}
