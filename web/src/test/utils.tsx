import { render, type RenderResult } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";
import type { TokenResponse, User } from "../api/types";
import { makeQueryClient, Providers } from "../providers";

export type Handler = (req: Request) => Response | Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });
}

export function problem(status: number, code: string, extra: Record<string, unknown> = {}): Response {
  return json({ type: "about:blank", title: code, status, code, ...extra }, status);
}

/**
 * Replace global fetch with a router keyed by "METHOD /path". Each key may map
 * to one handler or a list used in order (the last one repeats).
 * Returns the mock so tests can inspect calls.
 */
export function mockFetch(routes: Record<string, Handler | Handler[]>) {
  const counters = new Map<string, number>();
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(new URL(String(input), window.location.origin), init);
    const url = new URL(req.url);
    const key = `${req.method} ${url.pathname}`;
    const route = routes[key];
    if (!route) return problem(404, "not_mocked", { detail: key });
    if (Array.isArray(route)) {
      const i = counters.get(key) ?? 0;
      counters.set(key, i + 1);
      return route[Math.min(i, route.length - 1)]!(req);
    }
    return route(req);
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}

/** The Request objects passed to the fetch mock for one "METHOD /path". */
export function callsTo(fetchMock: ReturnType<typeof mockFetch>, key: string): Request[] {
  return fetchMock.mock.calls
    .map(([input, init]) => (input instanceof Request ? input : new Request(new URL(String(input), window.location.origin), init)))
    .filter((r) => `${r.method} ${new URL(r.url).pathname}` === key);
}

export const staffUser: User = {
  id: "0190a0a0-0000-7000-8000-000000000001",
  email: "ada@niha.example",
  name: "Ada Admin",
  role: "admin",
  entity_id: null,
  entity_role: null,
  status: "active",
  totp_enabled: true,
  created_at: "2025-01-02T10:00:00Z",
  last_login_at: "2025-03-01T09:00:00Z",
};

export const clientUser: User = {
  ...staffUser,
  id: "0190a0a0-0000-7000-8000-000000000002",
  email: "carl@client.example",
  name: "Carl Client",
  role: null,
  entity_id: "0190a0a0-0000-7000-8000-0000000000e1",
  entity_role: "trader",
};

export function tokenFor(user: User, token = "access-1"): TokenResponse {
  return { access_token: token, token_type: "bearer", expires_in: 900, user };
}

export function renderApp(ui: ReactElement, { route = "/" }: { route?: string } = {}): RenderResult {
  const queryClient = makeQueryClient();
  queryClient.setDefaultOptions({ queries: { retry: false, staleTime: 0 } });
  return render(
    <MemoryRouter initialEntries={[route]}>
      <Providers queryClient={queryClient}>{ui}</Providers>
    </MemoryRouter>,
  );
}
