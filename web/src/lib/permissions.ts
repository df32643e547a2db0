/**
 * Which backoffice pages each staff role may open, mirroring the server's
 * role -> permission map (users:read for all staff, audit:read for super
 * admins, admins and compliance, market:read for the market page). The server enforces permissions; this only
 * keeps the navigation to pages that will work.
 */
import type { StaffRole, User } from "../api/types";

export type StaffPage = "users" | "contacts" | "entities" | "kyc" | "funding" | "market" | "audit" | "security" | "styleguide";

const ALL_STAFF: readonly StaffRole[] = ["super_admin", "admin", "compliance", "operations"];

export const STAFF_PAGE_ROLES: Readonly<Record<StaffPage, readonly StaffRole[]>> = {
  users: ALL_STAFF,
  contacts: ALL_STAFF,
  entities: ALL_STAFF,
  kyc: ["super_admin", "admin", "compliance"],
  funding: ALL_STAFF,
  // market:read (every staff role today; compliance reads, the others also manage)
  market: ["super_admin", "admin", "compliance", "operations"],
  audit: ["super_admin", "admin", "compliance"],
  security: ALL_STAFF,
  styleguide: ALL_STAFF,
};

export const STAFF_PAGE_PATH: Readonly<Record<StaffPage, string>> = {
  users: "/admin/users",
  contacts: "/admin/contact-requests",
  entities: "/admin/entities",
  kyc: "/admin/kyc",
  funding: "/admin/funding",
  market: "/admin/market",
  audit: "/admin/audit",
  security: "/admin/security",
  styleguide: "/admin/styleguide",
};

/** Invite users, change roles, disable and enable (the server's users:manage). */
export function canManageUsers(user: User | null | undefined): boolean {
  return user?.role === "super_admin" || user?.role === "admin";
}

/** Confirm, reject and record incoming wires (the server's deposits:manage). */
export function canManageDeposits(user: User | null | undefined): boolean {
  return user?.role === "super_admin" || user?.role === "admin" || user?.role === "operations";
}

export function isStaff(user: User | null | undefined): boolean {
  return !!user?.role;
}

export function canOpen(user: User | null | undefined, page: StaffPage): boolean {
  return !!user?.role && STAFF_PAGE_ROLES[page].includes(user.role);
}

/** Where a user lands after signing in. */
export function homePath(user: User): string {
  if (!user.role) return "/app";
  const first = (Object.keys(STAFF_PAGE_PATH) as StaffPage[]).find((p) => canOpen(user, p));
  return first ? STAFF_PAGE_PATH[first] : "/admin/security";
}

/** Whether a path (e.g. the one a user wanted before signing in) suits this user. */
export function pathAllowed(user: User, path: string): boolean {
  if (path.startsWith("/admin")) {
    if (!user.role) return false;
    const page = (Object.entries(STAFF_PAGE_PATH) as [StaffPage, string][]).find(([, p]) => path.startsWith(p));
    return page ? canOpen(user, page[0]) : path === "/admin" || path === "/admin/";
  }
  if (path.startsWith("/app")) return !user.role;
  return false;
}
