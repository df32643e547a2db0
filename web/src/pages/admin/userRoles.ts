import { ENTITY_ROLES, STAFF_ROLES, type User } from "../../api/types";
import { humanize } from "../../lib/format";

export const STAFF_ROLE_OPTIONS = STAFF_ROLES.map((r) => ({ value: r, label: humanize(r) }));
export const ENTITY_ROLE_OPTIONS = ENTITY_ROLES.map((r) => ({ value: r, label: humanize(r) }));

/** "Admin" for staff, "Client · Owner" for entity users. */
export function roleLabel(u: Pick<User, "role" | "entity_role">): string {
  if (u.role) return humanize(u.role);
  if (u.entity_role) return `Client · ${humanize(u.entity_role)}`;
  return "Client";
}
