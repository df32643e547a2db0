import { useState } from "react";
import { Button, FormAlert, Modal, Select, type SelectOption } from "../../components";
import { humanize } from "../../lib/format";
import { useAction } from "../../lib/useAction";

export interface RoleChangeModalProps<R extends string> {
  /** whose role changes; null closes the modal */
  person: { id: string; name: string; email: string; role: R | null } | null;
  options: readonly SelectOption[];
  hint?: string;
  onClose: () => void;
  /** resolves when saved (the caller closes the modal), rejects with the API error (shown) */
  onSave: (role: R) => Promise<unknown>;
}

/** Pick a new role for someone (staff roles in the backoffice, entity roles for an owner's team). */
export function RoleChangeModal<R extends string>({ person, options, hint, onClose, onSave }: RoleChangeModalProps<R>) {
  const [role, setRole] = useState<R | "">("");
  const { busy, error, setError, run } = useAction();
  const [shownFor, setShownFor] = useState<string | null>(null);
  if (person && shownFor !== person.id) {
    setShownFor(person.id);
    setRole(person.role ?? "");
    setError(null);
  }
  const changed = !!person && role !== "" && role !== person.role;

  async function save() {
    if (!changed) return;
    await run(async () => {
      await onSave(role as R);
    });
  }

  return (
    <Modal
      open={!!person}
      onClose={onClose}
      title="Change role"
      description={person ? <>For {person.name} ({person.email})</> : null}
      size="sm"
      dismissible={!busy}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button onClick={() => void save()} disabled={!changed} loading={busy}>
            Change role
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-4">
        <Select label="New role" value={role} onChange={(e) => setRole(e.target.value as R)} options={options} hint={hint} />
        {changed && person?.role && (
          <p className="text-sm text-slate-600">
            {person.name} will change from <strong>{humanize(person.role)}</strong> to <strong>{humanize(role)}</strong>. Their
            permissions change immediately.
          </p>
        )}
        <FormAlert error={error} />
      </div>
    </Modal>
  );
}
