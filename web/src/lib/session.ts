/**
 * The session: access token (in memory only, never in storage) and the user.
 * The refresh token lives in an HttpOnly cookie that JavaScript never sees;
 * refreshSession() trades it for a new access token.
 */
import type { TokenResponse, User } from "../api/types";

export interface Session {
  accessToken: string;
  /** epoch ms at which the access token expires */
  expiresAt: number;
  user: User;
}

export type SessionEndReason = "logout" | "expired";

type Listener = (session: Session | null, reason?: SessionEndReason) => void;

let current: Session | null = null;
const listeners = new Set<Listener>();

export const REFRESH_URL = "/api/v1/auth/refresh";

export function getSession(): Session | null {
  return current;
}

export function getAccessToken(): string | null {
  return current?.accessToken ?? null;
}

export function subscribeSession(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(reason?: SessionEndReason) {
  for (const fn of [...listeners]) fn(current, reason);
}

export function setSession(token: TokenResponse, now: number = Date.now()): Session {
  current = {
    accessToken: token.access_token,
    expiresAt: now + token.expires_in * 1000,
    user: token.user,
  };
  emit();
  return current;
}

export function updateSessionUser(user: User): void {
  if (!current) return;
  current = { ...current, user };
  emit();
}

export function clearSession(reason: SessionEndReason = "logout"): void {
  const had = current !== null;
  current = null;
  if (had) emit(reason);
}

let inflight: Promise<Session | null> | null = null;

/**
 * Trade the refresh cookie for a new access token. Concurrent callers share
 * one request, and tabs take turns through the Web Locks API when the browser
 * has it: a rotating refresh token must never be presented twice.
 * Resolves to null when there is no valid refresh cookie.
 */
export function refreshSession(): Promise<Session | null> {
  if (!inflight) {
    const run = async (): Promise<Session | null> => {
      try {
        const res = await globalThis.fetch(new URL(REFRESH_URL, window.location.origin), {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!res.ok) return null;
        return setSession((await res.json()) as TokenResponse);
      } catch {
        return null;
      }
    };
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const p: Promise<Session | null> = locks?.request
      ? (async () => await locks.request("niha-auth-refresh", run))()
      : run();
    const shared = p.finally(() => {
      inflight = null;
    });
    inflight = shared;
    return shared;
  }
  return inflight;
}

/** For tests. */
export function resetSessionForTests(): void {
  current = null;
  inflight = null;
  listeners.clear();
}
