/**
 * Named API types, derived from the generated `paths` (not from component
 * schema names, which follow the server's model names and may change).
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

export type User = Ok<paths["/api/v1/auth/me"]["get"]>;
export type StaffRole = NonNullable<User["role"]>;
export type EntityRole = NonNullable<User["entity_role"]>;
export type UserStatus = User["status"];

export type TokenResponse = Ok<paths["/api/v1/auth/login"]["post"]>;
export type LoginRequest = Body<paths["/api/v1/auth/login"]["post"]>;
export type TotpEnrollment = Ok<paths["/api/v1/auth/totp/enroll"]["post"]>;
export type InvitationDetails = Ok<paths["/api/v1/auth/invitations/{token}"]["get"]>;

export type UserPage = Ok<paths["/api/v1/admin/users"]["get"]>;
export type UserListQuery = Query<paths["/api/v1/admin/users"]["get"]>;
export type InviteRequest = Body<paths["/api/v1/admin/users/invite"]["post"]>;
export type Invitation = Ok<paths["/api/v1/admin/users/invite"]["post"], 201>;
export type UserUpdate = Body<paths["/api/v1/admin/users/{user_id}"]["patch"]>;

export type Member = Ok<paths["/api/v1/onboarding/entity/{entity_id}/members"]["get"]>[number];
export type MemberInvite = Body<paths["/api/v1/onboarding/entity/{entity_id}/members"]["post"]>;
export type MemberPatch = Body<paths["/api/v1/onboarding/entity/{entity_id}/members/{user_id}"]["patch"]>;

export type AuditPage = Ok<paths["/api/v1/admin/audit-logs"]["get"]>;
export type AuditEntry = AuditPage["items"][number];
export type AuditQuery = Query<paths["/api/v1/admin/audit-logs"]["get"]>;

export const STAFF_ROLES = ["super_admin", "admin", "compliance", "operations"] as const satisfies readonly StaffRole[];
export const ENTITY_ROLES = ["owner", "trader", "viewer"] as const satisfies readonly EntityRole[];
export const USER_STATUSES = ["active", "invited", "disabled"] as const satisfies readonly UserStatus[];
