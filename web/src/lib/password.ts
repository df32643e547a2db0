/** The password policy the server enforces, checked early for a quick answer. */
export const PASSWORD_MIN_LENGTH = 12;

export const PASSWORD_HINT = `At least ${PASSWORD_MIN_LENGTH} characters, and not your email address.`;

export function passwordProblem(password: string, email?: string | null): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (email && password.trim().toLowerCase() === email.trim().toLowerCase()) {
    return "Your password can't be your email address.";
  }
  return null;
}

/** Only same-site paths are followed after sign-in (no open redirects). */
export function safeNextPath(next: string | null | undefined): string | null {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return null;
  return next;
}
