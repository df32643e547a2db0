/** Test data for the onboarding pages (vitest only). */
import type { Entity, KycDocument, KycStatusReport } from "../../../api/onboarding";
import type { User } from "../../../api/types";
import { clientUser } from "../../../test/utils";

export const ENTITY_ID = "0190a0a0-0000-7000-8000-0000000000e1";

export const newOwner: User = { ...clientUser, entity_id: null, entity_role: "owner", name: "Olivia Owner" };
export const owner: User = { ...newOwner, entity_id: ENTITY_ID };

export function entity(overrides: Partial<Entity> = {}): Entity {
  return {
    id: ENTITY_ID,
    entity_type: "COMPANY",
    legal_name: null,
    registration_number: null,
    jurisdiction: null,
    address_line1: null,
    address_line2: null,
    city: null,
    postal_code: null,
    country: null,
    tax_id: null,
    incorporation_date: null,
    website: null,
    contact_email: null,
    contact_phone: null,
    status: "DRAFT",
    status_updated_at: "2026-01-05T10:00:00Z",
    status_updated_by: owner.id,
    kyc_status: "NOT_STARTED",
    review_comments: null,
    submitted_at: null,
    approved_at: null,
    created_at: "2026-01-05T10:00:00Z",
    updated_at: "2026-01-05T10:00:00Z",
    ...overrides,
  };
}

export function doc(overrides: Partial<KycDocument> = {}): KycDocument {
  return {
    id: "0190a0a0-0000-7000-8000-0000000000d1",
    entity_id: ENTITY_ID,
    document_type: "passport",
    status: "PENDING_REVIEW",
    filename: "passport.pdf",
    content_type: "application/pdf",
    size_bytes: 52_000,
    sha256: "a".repeat(64),
    client_notes: null,
    rejection_reason: null,
    uploaded_by: owner.id,
    created_at: "2026-01-05T10:00:00Z",
    reviewed_by: null,
    reviewed_at: null,
    entity_name: null,
    ...overrides,
  };
}

export function kycStatus(overrides: Partial<KycStatusReport> = {}): KycStatusReport {
  return {
    status: "NOT_STARTED",
    entity_id: ENTITY_ID,
    entity_type: "INDIVIDUAL",
    entity_status: "DRAFT",
    required: ["passport", "proof_of_address"],
    missing: ["passport", "proof_of_address"],
    checklist: [
      { document_type: "passport", state: "missing", accepted_types: ["passport", "national_id"], document_id: null, rejection_reason: null },
      { document_type: "proof_of_address", state: "missing", accepted_types: ["proof_of_address"], document_id: null, rejection_reason: null },
    ],
    documents: [],
    comments: [],
    ...overrides,
  };
}

export const NO_ENTITY: KycStatusReport = {
  status: "NOT_STARTED",
  entity_id: null,
  entity_type: null,
  entity_status: null,
  required: [],
  missing: [],
  checklist: [],
  documents: [],
  comments: [],
};
