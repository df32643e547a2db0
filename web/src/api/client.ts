/** The typed API client (openapi-fetch over the generated schema). */
import createClient from "openapi-fetch";
import { ApiError, toApiError } from "../lib/errors";
import { authFetch } from "../lib/http";
import type { paths } from "./schema";

export const api = createClient<paths>({
  baseUrl: typeof window !== "undefined" ? window.location.origin : "http://localhost",
  fetch: authFetch,
  credentials: "same-origin",
});

// POSTs outside /auth carry an Idempotency-Key (architecture §7), so a request
// retried after a silent token refresh, or replayed by the network, applies once.
api.use({
  onRequest({ request }) {
    const path = new URL(request.url).pathname;
    if (request.method === "POST" && !path.startsWith("/api/v1/auth/")) {
      if (!request.headers.has("Idempotency-Key")) request.headers.set("Idempotency-Key", crypto.randomUUID());
    }
    return undefined;
  },
});

interface Result<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/**
 * Await an openapi-fetch call and return its data, or throw an ApiError
 * (problem+json) — the shape TanStack Query wants.
 */
export async function unwrap<D>(call: Promise<Result<D>>): Promise<D> {
  let result: Result<D>;
  try {
    result = await call;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(0, {});
  }
  if (!result.response.ok) throw toApiError(result.response.status, result.error, result.response.headers);
  return result.data as D;
}
