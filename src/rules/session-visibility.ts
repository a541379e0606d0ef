import { eq, type SQL } from "drizzle-orm";
import { sessions, type Role, type SessionRow, type UserRow } from "../db/schema/index.js";

/**
 * Who may see a session, the one definition: an ADMIN every session of the tenant (row-level
 * security keeps other tenants out), a PROVIDER the sessions they give, a CLIENT the sessions
 * they attend. `canSeeSession` and `visibleSessionsWhere` are the same rule in TypeScript and SQL.
 */
const OWN_COLUMN = { PROVIDER: "providerId", CLIENT: "clientId" } as const satisfies Record<
  Exclude<Role, "ADMIN">,
  keyof SessionRow
>;

type Viewer = Pick<UserRow, "id" | "role">;

export function canSeeSession(viewer: Viewer, session: Pick<SessionRow, "providerId" | "clientId">): boolean {
  return viewer.role === "ADMIN" || session[OWN_COLUMN[viewer.role]] === viewer.id;
}

/** The same rule as a condition on `sessions`; undefined (no condition) for an ADMIN. */
export function visibleSessionsWhere(viewer: Viewer): SQL | undefined {
  return viewer.role === "ADMIN" ? undefined : eq(sessions[OWN_COLUMN[viewer.role]], viewer.id);
}

/** Who may manage a session (change its people, its details, its treatment details): an ADMIN or the session's provider. */
export function canManageSession(viewer: Viewer, session: Pick<SessionRow, "providerId">): boolean {
  return viewer.role === "ADMIN" || session.providerId === viewer.id;
}
