/**
 * Named types of onboarding and KYC (contact requests, entities, documents),
 * derived from the generated `paths` like api/types.ts.
 */
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op, Code extends number = 200> = Op extends { responses: infer Rs }
  ? Code extends keyof Rs
    ? JsonOf<Rs[Code]>
    : never
  : never;
type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type ContactRequestInput = Body<paths["/api/v1/contact-requests"]["post"]>;
export type ContactInterest = ContactRequestInput["interest"];
export type ContactRequestPage = Ok<paths["/api/v1/admin/contact-requests"]["get"]>;
export type ContactRequest = ContactRequestPage["items"][number];
export type ContactStatus = ContactRequest["status"];
export type ContactRequestQuery = Query<paths["/api/v1/admin/contact-requests"]["get"]>;

export type Entity = Ok<paths["/api/v1/onboarding/entity"]["get"]>;
export type EntityInput = Body<paths["/api/v1/onboarding/entity"]["post"]>;
export type EntityType = Entity["entity_type"];
export type EntityStatus = Entity["status"];
export type EntityPage = Ok<paths["/api/v1/admin/entities"]["get"]>;
export type EntityQuery = Query<paths["/api/v1/admin/entities"]["get"]>;
export type EntityDetail = Ok<paths["/api/v1/admin/entities/{entity_id}"]["get"]>;
export type EntityHistoryEntry = EntityDetail["history"][number];
export type Member = Ok<paths["/api/v1/onboarding/entity/{entity_id}/members"]["get"]>[number];

export type KycStatusReport = Ok<paths["/api/v1/kyc/status"]["get"]>;
export type KycStatus = KycStatusReport["status"];
export type ChecklistItem = KycStatusReport["checklist"][number];
export type KycDocument = Ok<paths["/api/v1/kyc/documents/my-documents"]["get"]>[number];
export type DocumentType = KycDocument["document_type"];
export type DocumentStatus = KycDocument["status"];
export type DocumentPage = Ok<paths["/api/v1/admin/kyc/documents"]["get"]>;
export type DocumentQuery = Query<paths["/api/v1/admin/kyc/documents"]["get"]>;

export const CONTACT_INTERESTS = [
  "EUA",
  "CEA",
  "EUA_AND_CEA",
  "SWAPS",
  "MARKET_MAKING",
  "OTHER",
] as const satisfies readonly ContactInterest[];
export const CONTACT_STATUSES = ["NEW", "CONTACTED", "CONVERTED", "CLOSED"] as const satisfies readonly ContactStatus[];
export const ENTITY_STATUSES = [
  "DRAFT",
  "PENDING_REVIEW",
  "CHANGES_REQUESTED",
  "APPROVED",
  "SUSPENDED",
] as const satisfies readonly EntityStatus[];
export const KYC_STATUSES = ["NOT_STARTED", "IN_PROGRESS", "SUBMITTED", "APPROVED", "REJECTED"] as const satisfies readonly KycStatus[];
export const DOCUMENT_TYPES = [
  "passport",
  "national_id",
  "proof_of_address",
  "company_registration",
  "articles_of_association",
  "shareholder_register",
  "ubo_declaration",
] as const satisfies readonly DocumentType[];
export const DOCUMENT_STATUSES = ["PENDING_REVIEW", "APPROVED", "REJECTED"] as const satisfies readonly DocumentStatus[];

/** The server's upload limit (settings.kyc_max_upload_bytes). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const UPLOAD_ACCEPT = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg";
