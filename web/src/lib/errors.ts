/** RFC 9457 problem+json errors from the API, as one error class. */

export interface FieldError {
  field: string;
  message: string;
  code?: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string | null;
  code?: string;
  errors?: FieldError[];
  /** domain errors name the one field they are about at the top level */
  field?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | null;
  readonly errors: FieldError[];
  /** seconds from the Retry-After header (locked accounts, rate limits), when the server sent one */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem = {}, retryAfter: number | null = null) {
    const title = problem.title ?? defaultTitle(status);
    super(problem.detail || title);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code ?? (status === 0 ? "network_error" : `http_${status}`);
    this.title = title;
    this.detail = problem.detail ?? null;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    if (!this.errors.length && typeof problem.field === "string" && problem.field) {
      // A domain error about one field (`{code, detail, field}`) shows under that field too.
      const message = (problem.detail ?? title).replace(new RegExp(`^${problem.field}: `), "");
      this.errors = [{ field: problem.field, message, code: problem.code }];
    }
    this.retryAfter = retryAfter;
  }
}

function defaultTitle(status: number): string {
  if (status === 0) return "Can't reach the server";
  if (status === 401) return "Not signed in";
  if (status === 403) return "You don't have access to this";
  if (status === 404) return "Not found";
  if (status === 429) return "Too many requests";
  if (status >= 500) return "Something went wrong on our side";
  return "Request failed";
}

function retryAfterSeconds(headers: Headers | undefined): number | null {
  const raw = headers?.get("Retry-After")?.trim();
  if (!raw || !/^\d+$/.test(raw)) return null;
  const seconds = Number(raw);
  return seconds > 0 ? seconds : null;
}

/** Build an ApiError from whatever openapi-fetch gave us as `error` (and the reply's headers). */
export function toApiError(status: number, body: unknown, headers?: Headers): ApiError {
  const retry = retryAfterSeconds(headers);
  if (body && typeof body === "object") return new ApiError(status, body as Problem, retry);
  return new ApiError(status, typeof body === "string" && body && body.length < 300 ? { detail: body } : {}, retry);
}

/** 899 -> "15 minutes", 40 -> "a minute", 7200 -> "2 hours". */
export function waitText(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  if (minutes <= 1) return "a minute";
  if (minutes < 120) return `${minutes} minutes`;
  return `${Math.ceil(minutes / 60)} hours`;
}

export function isApiError(e: unknown, code?: string): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

/** Messages for the codes the UI knows; anything else shows the server's detail. */
const KNOWN: Record<string, string> = {
  network_error: "Can't reach the server. Check your connection and try again.",
  invalid_credentials: "Email or password is incorrect.",
  account_locked: "This account is temporarily locked after too many failed attempts.",
  rate_limited: "Too many attempts. Wait a moment and try again.",
  totp_invalid: "That code is not valid. Check your authenticator app and try again.",
  totp_required: "Enter the code from your authenticator app.",
  weak_password: "Choose a stronger password.",
  invalid_token: "This link is invalid or has expired. Request a new one.",
  invitation_not_found: "This invitation link is not valid. Ask your contact at Niha for a new invitation.",
  invitation_expired: "This invitation has expired. Ask your contact at Niha to send a new one.",
  invitation_used: "This invitation has already been used. Sign in with your email and password.",
  invitation_revoked: "This invitation was withdrawn. Ask your contact at Niha for a new one.",
  cannot_modify_self: "You can't change your own account here.",
  super_admin_required: "Only a super admin can do this.",
  totp_already_enabled: "Two-factor authentication is already on for this account.",
  forbidden: "You don't have permission to do this.",
};

export function errorMessage(e: unknown, overrides: Record<string, string> = {}): string {
  if (e instanceof ApiError) {
    const known = overrides[e.code] ?? KNOWN[e.code];
    if (known) {
      // A lock lasts a while: say how long (the server's Retry-After), not just "later".
      if (e.code === "account_locked") return `${known} ${e.retryAfter ? `Try again in ${waitText(e.retryAfter)}.` : "Try again later."}`;
      return known;
    }
    if (e.status >= 500) return "Something went wrong on our side. Try again in a moment.";
    return e.detail || e.title;
  }
  if (e instanceof Error) return e.message;
  return "Something went wrong.";
}

/**
 * Field errors of a validation problem, keyed by the last segment of the
 * field path ("body.email" and "email" both become "email").
 */
export function fieldErrors(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const fe of e.errors) {
    const key = String(fe.field ?? "").split(/[.[\]/]+/).filter(Boolean).pop() ?? "";
    if (key && !out[key]) out[key] = fe.message;
  }
  return out;
}

/** The server's explanation of a weak_password problem, or a generic one. */
export function weakMessage(e: unknown): string {
  return e instanceof ApiError && e.detail && e.detail !== e.title ? e.detail : "Choose a stronger password.";
}
