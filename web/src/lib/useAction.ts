import { useCallback, useRef, useState } from "react";

export interface Action {
  /** True while the action runs (disable the controls, show a spinner). */
  busy: boolean;
  /** What the last run threw (an `ApiError` for a refused request), or null. */
  error: unknown;
  setError: (error: unknown) => void;
  /**
   * Runs `work` unless a run is already under way: clears the last error, sets `busy`
   * until `work` settles and keeps what it threw in `error`. Resolves to whether `work`
   * completed (false: it threw, or another run was under way).
   */
  run: (work: () => Promise<unknown>) => Promise<boolean>;
  /** Forget the last error and the busy flag (a dialog opened again). */
  reset: () => void;
}

/** The busy flag and error of something a user starts: a dialog's confirm, a form's submit. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const running = useRef(false);

  const run = useCallback(async (work: () => Promise<unknown>) => {
    if (running.current) return false;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);

  const reset = useCallback(() => {
    setError(null);
    setBusy(false);
  }, []);

  return { busy, error, setError, run, reset };
}
