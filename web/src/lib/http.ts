/**
 * fetch with the access token attached. On a 401 from an authenticated call
 * it refreshes the session once (shared by concurrent callers) and retries
 * once; when the refresh fails the session ends as "expired".
 */
import { clearSession, getAccessToken, getSession, refreshSession } from "./session";

/** Endpoints whose 401 means "wrong credentials", not "token expired". */
const NO_REFRESH = [
  "/api/v1/auth/login",
  "/api/v1/auth/refresh",
  "/api/v1/auth/logout",
  "/api/v1/auth/password",
  "/api/v1/auth/password-reset/",
  "/api/v1/auth/invitations/",
];
const CREDENTIAL_CODES = new Set(["invalid_credentials", "totp_required", "totp_invalid"]);

function withAuth(request: Request, token: string | null): Request {
  if (!token) return request;
  const headers = new Headers(request.headers);
  headers.set("Authorization", `Bearer ${token}`);
  return new Request(request, { headers });
}

function isNoRefresh(url: string): boolean {
  const path = new URL(url, window.location.origin).pathname;
  return NO_REFRESH.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p));
}

async function problemCode(res: Response): Promise<string | undefined> {
  try {
    const body: unknown = await res.clone().json();
    if (body && typeof body === "object" && "code" in body) return String(body.code);
  } catch {
    /* not JSON */
  }
  return undefined;
}

export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const sentToken = getAccessToken();
  const res = await globalThis.fetch(withAuth(input, sentToken));
  if (res.status !== 401 || isNoRefresh(input.url)) return res;
  if (CREDENTIAL_CODES.has((await problemCode(res)) ?? "")) return res;

  // Another request may have refreshed while this one was in flight.
  const latest = getAccessToken();
  const session = latest && latest !== sentToken ? getSession() : await refreshSession();
  if (!session) {
    if (sentToken || getSession()) clearSession("expired");
    return res;
  }
  const second = await globalThis.fetch(withAuth(retry, session.accessToken));
  if (second.status === 401) clearSession("expired");
  return second;
}

/** fetch a path under /api with auth + refresh, for calls outside the typed client (downloads). */
export function authFetchPath(path: string, init: RequestInit = {}): Promise<Response> {
  return authFetch(new Request(new URL(path, window.location.origin), init));
}
