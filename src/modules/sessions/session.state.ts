import type { SessionRow, SessionStatus } from "../../db/schema/index.js";
import { badInput } from "../../errors.js";

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

export const FINAL_STATUSES: readonly SessionStatus[] = ["COMPLETED", "CANCELLED"];

const DESCRIBED: Record<SessionStatus, string> = {
  SCHEDULED: "scheduled",
  CONFIRMED: "already confirmed",
  COMPLETED: "already completed",
  CANCELLED: "already cancelled",
  NO_SHOW: "marked as a no-show",
};

/** "Cannot cancel this session: it is already completed, and completed sessions are final" */
function refusal(session: Pick<SessionRow, "status">, action: string, why?: string): string {
  const final = FINAL_STATUSES.includes(session.status) ? `, and ${session.status.toLowerCase()} sessions are final` : "";
  return `Cannot ${action} this session: it is ${DESCRIBED[session.status]}${final}${why ? `; ${why}` : ""}`;
}

/** Throws BAD_USER_INPUT (field "status") unless `to` is allowed from the session's status. */
export function assertTransition(session: Pick<SessionRow, "status">, to: SessionStatus, action: string): void {
  if (TRANSITIONS[session.status].includes(to)) return;
  const from = (Object.keys(TRANSITIONS) as SessionStatus[]).filter((s) => TRANSITIONS[s].includes(to));
  const why = FINAL_STATUSES.includes(session.status)
    ? undefined
    : from.length
      ? `only ${from.map((s) => s.toLowerCase()).join(" or ")} sessions can become ${to.toLowerCase()}`
      : `no session can go back to ${to.toLowerCase()}`;
  throw badInput("status", refusal(session, action, why));
}

/** Final sessions cannot be edited at all. */
export function assertEditable(session: Pick<SessionRow, "status">, action = "update"): void {
  if (FINAL_STATUSES.includes(session.status)) throw badInput("status", refusal(session, action));
}

/** Only sessions that hold their slot (SCHEDULED, CONFIRMED) can move to another time. */
export function assertReschedulable(session: Pick<SessionRow, "status">): void {
  if (session.status === "SCHEDULED" || session.status === "CONFIRMED") return;
  const why = FINAL_STATUSES.includes(session.status) ? undefined : "only scheduled or confirmed sessions can be rescheduled";
  throw badInput("startsAt", refusal(session, "reschedule", why));
}
