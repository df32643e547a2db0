import { useId, useRef, useState, type DragEvent } from "react";
import { cx } from "../lib/cx";

export interface FileDropProps {
  label: string;
  /** e.g. "application/pdf,image/*" */
  accept?: string;
  multiple?: boolean;
  /** files larger than this are refused with a message */
  maxSizeBytes?: number;
  hint?: string;
  error?: string | null;
  disabled?: boolean;
  onFiles: (files: File[]) => void;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
}

function accepts(file: File, accept?: string): boolean {
  if (!accept) return true;
  return accept.split(",").some((raw) => {
    const a = raw.trim().toLowerCase();
    if (!a) return false;
    if (a.startsWith(".")) return file.name.toLowerCase().endsWith(a);
    if (a.endsWith("/*")) return file.type.toLowerCase().startsWith(a.slice(0, -1));
    return file.type.toLowerCase() === a;
  });
}

/** A drop zone that is also a keyboard-accessible file picker. */
export function FileDrop({ label, accept, multiple, maxSizeBytes, hint, error, disabled, onFiles }: FileDropProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);

  function take(list: FileList | null) {
    if (!list || disabled) return;
    const files = [...list].slice(0, multiple ? undefined : 1);
    const wrongType = files.find((f) => !accepts(f, accept));
    if (wrongType) return setLocalError(`${wrongType.name} is not an accepted file type.`);
    const tooBig = maxSizeBytes ? files.find((f) => f.size > maxSizeBytes) : undefined;
    if (tooBig && maxSizeBytes) return setLocalError(`${tooBig.name} is larger than ${formatBytes(maxSizeBytes)}.`);
    setLocalError(null);
    if (files.length) onFiles(files);
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    take(e.dataTransfer.files);
  }

  const shown = error ?? localError;
  return (
    <div className="flex flex-col gap-1.5">
      <label
        htmlFor={id}
        onDragOver={(e) => {
          e.preventDefault();
          if (!disabled) setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        className={cx(
          "flex cursor-pointer flex-col items-center gap-2 rounded-xl border-2 border-dashed px-6 py-8 text-center transition-colors",
          over ? "border-emerald-500 bg-emerald-50/60" : shown ? "border-red-300 bg-red-50/30" : "border-slate-300 bg-white hover:border-navy-300",
          disabled && "cursor-not-allowed opacity-60",
        )}
      >
        <svg viewBox="0 0 24 24" className="size-8 text-navy-400" aria-hidden="true" fill="none">
          <path d="M12 16V4m0 0l-4 4m4-4l4 4M4 16v2a2 2 0 002 2h12a2 2 0 002-2v-2" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <span className="text-sm font-medium text-navy-900">{label}</span>
        <span className="text-xs text-slate-500">Drag and drop, or click to choose{multiple ? " files" : " a file"}</span>
        <input
          ref={input}
          id={id}
          type="file"
          className="sr-only"
          accept={accept}
          multiple={multiple}
          disabled={disabled}
          aria-invalid={shown ? true : undefined}
          aria-describedby={shown ? `${id}-error` : hint ? `${id}-hint` : undefined}
          onChange={(e) => {
            take(e.target.files);
            e.target.value = "";
          }}
        />
      </label>
      {hint && !shown && (
        <p id={`${id}-hint`} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
      {shown && (
        <p id={`${id}-error`} className="text-xs font-medium text-red-700">
          {shown}
        </p>
      )}
    </div>
  );
}
