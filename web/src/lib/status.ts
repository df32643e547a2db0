/**
 * The single map from a status value to its colour. Every status badge in the
 * app goes through STATUS_TONE, so "pending" looks the same everywhere.
 */
export type Tone = "emerald" | "amber" | "red" | "sky" | "slate" | "navy" | "violet";

export const STATUS_TONE: Readonly<Record<string, Tone>> = {
  // users and invitations
  active: "emerald",
  invited: "sky",
  disabled: "slate",
  // reviews (KYC, entities, withdrawals, bank accounts)
  pending: "amber",
  pending_verification: "amber",
  in_review: "violet",
  approved: "emerald",
  verified: "emerald",
  rejected: "red",
  // money movements and settlement
  on_hold: "amber",
  processing: "sky",
  cleared: "emerald",
  completed: "emerald",
  confirmed: "emerald",
  delivered: "emerald",
  returned: "red",
  failed: "red",
  cancelled: "slate",
  expired: "slate",
  // onboarding: contact requests, entities, KYC
  new: "sky",
  contacted: "violet",
  converted: "emerald",
  closed: "slate",
  draft: "slate",
  pending_review: "amber",
  submitted: "amber",
  changes_requested: "violet",
  suspended: "red",
  not_started: "slate",
  in_progress: "sky",
  // orders
  open: "sky",
  partially_filled: "violet",
  filled: "emerald",
};

export const TONE_CLASSES: Readonly<Record<Tone, string>> = {
  emerald: "bg-emerald-50 text-emerald-800 ring-emerald-600/20",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/25",
  red: "bg-red-50 text-red-700 ring-red-600/20",
  sky: "bg-sky-50 text-sky-800 ring-sky-600/20",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/20",
  navy: "bg-navy-50 text-navy-800 ring-navy-600/20",
  violet: "bg-violet-50 text-violet-800 ring-violet-600/20",
};

export const TONE_DOT: Readonly<Record<Tone, string>> = {
  emerald: "bg-emerald-500",
  amber: "bg-amber-500",
  red: "bg-red-500",
  sky: "bg-sky-500",
  slate: "bg-slate-400",
  navy: "bg-navy-500",
  violet: "bg-violet-500",
};

export function statusTone(status: string): Tone {
  return STATUS_TONE[status.toLowerCase()] ?? "slate";
}
