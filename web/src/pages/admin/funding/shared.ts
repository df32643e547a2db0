import { useQueryClient } from "@tanstack/react-query";
import { useChannel } from "../../../lib/useChannel";

export const ADMIN_FUNDING_KEY = ["admin", "funding"] as const;

/** Refresh the backoffice funding queues when the `backoffice` channel says something changed. */
export function useBackofficeRefresh(prefixes: readonly string[], queryKey: readonly unknown[]) {
  const qc = useQueryClient();
  useChannel("backoffice", (e) => {
    if (prefixes.some((p) => e.event.startsWith(p))) void qc.invalidateQueries({ queryKey });
  });
}

/** "2025-03-02T14:05" (a datetime-local value, read as UTC) -> ISO 8601 UTC. */
export function localInputToIso(value: string): string {
  // datetime-local gives "HH:MM", or "HH:MM:SS" when seconds were entered.
  return /T\d\d:\d\d$/.test(value) ? `${value}:00Z` : `${value}Z`;
}

/** Now (UTC) as a datetime-local value: "2025-03-02T14:05". */
export function nowInput(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().slice(0, 16);
}
