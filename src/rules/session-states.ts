import { inArray, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { sessions, type SessionRow, type SessionStatus } from "../db/schema/index.js";
import { badInput, noun, words, type Words } from "../errors.js";

/**
 * The one place that knows what a session's status means: which statuses hold a slot, which
 * are final, which are clinical records, and which transitions the state machine allows, in
 * TypeScript and (isActiveSql) in SQL. The statuses themselves are the database enum's
 * (sessionStatusEnum), from which the GraphQL enum is registered.
 */

/** A session is active (holds its slot) while SCHEDULED or CONFIRMED. */
export const ACTIVE_STATUSES = ["SCHEDULED", "CONFIRMED"] as const satisfies readonly SessionStatus[];
export const isActive = (session: Pick<SessionRow, "status">): boolean =>
  (ACTIVE_STATUSES as readonly SessionStatus[]).includes(session.status);

/**
 * The same rule as an SQL condition, `status in ($1, $2)`: a fixed list, so one statement text.
 * Not anyOf's array parameter: the embedded PGlite server (src/main.ts) sends a JS array of
 * enum values as "SCHEDULED,CONFIRMED", a malformed array literal (test/http/shutdown.test.ts).
 */
export const isActiveSql = (column: PgColumn = sessions.status): SQL => inArray(column, [...ACTIVE_STATUSES]);

/** No change leads out of these. */
export const FINAL_STATUSES: readonly SessionStatus[] = ["COMPLETED", "CANCELLED"];

/** Sessions that took place (or were missed) are clinical records: never deleted. */
export const RECORD_STATUSES: readonly SessionStatus[] = ["COMPLETED", "NO_SHOW"];

/**
 * The one session state machine. SCHEDULED may go straight to COMPLETED / NO_SHOW as well:
 * the fitness and scheduler APIs have no confirmation step. COMPLETED and CANCELLED are final;
 * NO_SHOW has no way out but its notes may still be edited.
 */
export const TRANSITIONS: Readonly<Record<SessionStatus, readonly SessionStatus[]>> = {
  SCHEDULED: ["CONFIRMED", "COMPLETED", "NO_SHOW", "CANCELLED"],
  CONFIRMED: ["COMPLETED", "NO_SHOW", "CANCELLED"],
  NO_SHOW: [],
  COMPLETED: [],
  CANCELLED: [],
};

const DESCRIBED: Record<SessionStatus, string> = {
  SCHEDULED: "scheduled",
  CONFIRMED: "already confirmed",
  COMPLETED: "already completed",
  CANCELLED: "already cancelled",
  NO_SHOW: "marked as a no-show",
};

/** "Cannot cancel this session: it is already completed, and completed sessions are final" */
function refusal(session: Pick<SessionRow, "status">, action: string, why?: Words): Words {
  const final = FINAL_STATUSES.includes(session.status)
    ? words`, and ${session.status.toLowerCase()} ${noun("sessions")} are final`
    : [];
  return [
    ...words`Cannot ${action} this ${noun("session")}: it is ${DESCRIBED[session.status]}`,
    ...final,
    ...(why ? ["; ", ...why] : []),
  ];
}

/** Throws INVALID_TRANSITION (field "status") unless `to` is allowed from the session's status. */
export function assertTransition(session: Pick<SessionRow, "status">, to: SessionStatus, action: string): void {
  if (TRANSITIONS[session.status].includes(to)) return;
  const from = (Object.keys(TRANSITIONS) as SessionStatus[]).filter((s) => TRANSITIONS[s].includes(to));
  const why = FINAL_STATUSES.includes(session.status)
    ? undefined
    : from.length
      ? words`only ${from.map((s) => s.toLowerCase()).join(" or ")} ${noun("sessions")} can become ${to.toLowerCase()}`
      : words`no ${noun("session")} can go back to ${to.toLowerCase()}`;
  throw badInput("status", refusal(session, action, why), "INVALID_TRANSITION");
}

/** Final sessions cannot be edited at all (INVALID_TRANSITION). */
export function assertEditable(session: Pick<SessionRow, "status">, action = "update"): void {
  if (FINAL_STATUSES.includes(session.status)) throw badInput("status", refusal(session, action), "INVALID_TRANSITION");
}

/** Only active sessions (SCHEDULED, CONFIRMED) can move to another time, or to other people (INVALID_TRANSITION). */
export function assertActive(session: Pick<SessionRow, "status">, action = "reschedule", field = "startsAt"): void {
  if (isActive(session)) return;
  const why = FINAL_STATUSES.includes(session.status)
    ? undefined
    : words`only scheduled or confirmed ${noun("sessions")} can be ${action === "reschedule" ? "rescheduled" : "reassigned"}`;
  throw badInput(field, refusal(session, action, why), "INVALID_TRANSITION");
}

/** Only sessions that hold their slot (SCHEDULED, CONFIRMED) can move to another time. */
export const assertReschedulable = (session: Pick<SessionRow, "status">): void =>
  assertActive(session, "reschedule", "startsAt");
