/**
 * What a staff role may do in onboarding, mirroring the server's permissions
 * (contacts:manage, entities:review, kyc:review, kyc:files). The server
 * enforces them; this only hides buttons that would be refused.
 */
import type { User } from "../../../api/types";

const REVIEWERS = ["super_admin", "admin", "compliance"];

export function canManageContacts(user: User | null | undefined): boolean {
  return !!user?.role && ["super_admin", "admin", "operations"].includes(user.role);
}

/** Approve or reject entities and KYC documents, and open KYC files. */
export function canReviewKyc(user: User | null | undefined): boolean {
  return !!user?.role && REVIEWERS.includes(user.role);
}
