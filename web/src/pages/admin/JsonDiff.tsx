import { cx } from "../../lib/cx";

type Obj = Record<string, unknown> | null | undefined;

function changedKeys(before: Obj, after: Obj): Set<string> {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const out = new Set<string>();
  for (const k of keys) {
    if (JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k])) out.add(k);
  }
  return out;
}

/** Top-level keys whose values differ between two snapshots. */
export function diffKeys(before: Obj, after: Obj): string[] {
  return [...changedKeys(before, after)].sort();
}

function Side({ title, value, changed, tone }: { title: string; value: Obj; changed: Set<string>; tone: "before" | "after" }) {
  const entries = value ? Object.entries(value).sort(([a], [b]) => a.localeCompare(b)) : [];
  return (
    <section aria-label={title} className="min-w-0 flex-1">
      <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-slate-500 uppercase">{title}</h3>
      <pre className="overflow-x-auto rounded-lg border border-slate-200 bg-slate-50 p-3 font-mono text-xs leading-5 text-slate-800">
        {value === null || value === undefined ? (
          <span className="text-slate-500">(none)</span>
        ) : (
          <>
            {"{\n"}
            {entries.map(([k, v], i) => {
              const text = JSON.stringify(v, null, 2).replace(/\n/g, "\n  ");
              return (
                <span
                  key={k}
                  data-changed={changed.has(k) || undefined}
                  className={cx(
                    "block",
                    changed.has(k) && (tone === "before" ? "-mx-3 bg-red-50 px-3 text-red-900" : "-mx-3 bg-emerald-50 px-3 text-emerald-900"),
                  )}
                >
                  {`  ${JSON.stringify(k)}: ${text}${i < entries.length - 1 ? "," : ""}`}
                </span>
              );
            })}
            {"}"}
          </>
        )}
      </pre>
    </section>
  );
}

/** Before and after snapshots side by side, changed keys highlighted. */
export function JsonDiff({ before, after }: { before: Obj; after: Obj }) {
  const changed = changedKeys(before, after);
  return (
    <div className="flex flex-col gap-4 md:flex-row">
      <Side title="Before" value={before} changed={changed} tone="before" />
      <Side title="After" value={after} changed={changed} tone="after" />
    </div>
  );
}
