import { and, eq, ne, sql } from "drizzle-orm";
import { pgErrorOf, type Tx } from "../../db/client.js";
import { sessions, treatmentPlans, users } from "../../db/schema/index.js";
import { conflict, DomainError, notFound, noun, words } from "../../errors.js";
import { localDate } from "../../time.js";

/**
 * A plan's authorization (issue 17): at most authorizedSessions of its sessions that are not
 * CANCELLED (null: unlimited), none starting after authorizedUntil in its provider's zone. The
 * database decides (drizzle/0009_plan_authorization.sql: triggers on sessions and on plans that
 * lock the plan row and count); this file maps what it raises and gives the series booking the
 * same numbers under the same lock.
 */

/** The constraint names the triggers raise their check violations (23514) with. */
export const SESSION_LIMIT_CONSTRAINT = "treatment_plan_session_limit";
export const AUTHORIZED_UNTIL_CONSTRAINT = "treatment_plan_authorized_until";

/** Which authorization rule a database error is, from its SQLSTATE and constraint name (never its message). */
export function violatedAuthorization(err: unknown): "SESSIONS" | "UNTIL" | undefined {
  const pg = pgErrorOf(err);
  if (pg?.code !== "23514") return undefined;
  if (pg.constraint === SESSION_LIMIT_CONSTRAINT) return "SESSIONS";
  if (pg.constraint === AUTHORIZED_UNTIL_CONSTRAINT) return "UNTIL";
  return undefined;
}

export const PLAN_SESSION_LIMIT = words`Every ${noun("session")} the treatment plan authorizes is already booked; cancel one or extend the authorization`;
export const PLAN_EXPIRED = words`The treatment plan's authorization ends before this ${noun("session")} starts`;

/**
 * A session write refused by the plan's authorization, as the CONFLICT every transport answers
 * (PLAN_SESSION_LIMIT or PLAN_EXPIRED); undefined for any other failure.
 */
export function planAuthorizationConflict(err: unknown): DomainError | undefined {
  switch (violatedAuthorization(err)) {
    case "SESSIONS":
      return conflict("PLAN_SESSION_LIMIT", PLAN_SESSION_LIMIT);
    case "UNTIL":
      return conflict("PLAN_EXPIRED", PLAN_EXPIRED);
    default:
      return undefined;
  }
}

/** Whether a session starting at `startsAt` is within authorizedUntil, read in `timeZone` (the trigger's rule). */
export function startsWithinAuthorization(startsAt: Date, authorizedUntil: string | null, timeZone: string): boolean {
  return authorizedUntil === null || localDate(startsAt, timeZone) <= authorizedUntil;
}

export interface PlanAuthorization {
  /** How many more sessions the plan may have (null: unlimited). */
  remaining: number | null;
  /** No session may start after this date (YYYY-MM-DD), or null. */
  authorizedUntil: string | null;
  /** The zone authorizedUntil is read in for this provider's sessions: the provider's. */
  timeZone: string;
}

/**
 * Locks the plan row until the transaction ends (as the trigger does, FOR NO KEY UPDATE, so
 * sessions of the plan written by others wait) and tells what it still authorizes for sessions
 * of `providerId`: a series books its occurrences against these numbers, and the trigger, which
 * runs for each inserted row under the same lock, agrees with them. NOT_FOUND for a plan the
 * tenant does not have.
 */
export async function lockPlanAuthorization(tx: Tx, planId: number, providerId: number): Promise<PlanAuthorization> {
  const [plan] = await tx
    .select({ authorizedSessions: treatmentPlans.authorizedSessions, authorizedUntil: treatmentPlans.authorizedUntil })
    .from(treatmentPlans)
    .where(eq(treatmentPlans.id, planId))
    .for("no key update");
  if (!plan) throw notFound("Treatment plan");
  // A statement after the lock: at READ COMMITTED it sees sessions committed while we waited.
  const [counted] = await tx
    .select({
      timeZone: users.timeZone,
      booked: sql<number>`(select count(*) from ${sessions} where ${and(
        eq(sessions.treatmentPlanId, planId),
        ne(sessions.status, "CANCELLED"),
      )})`.mapWith(Number),
    })
    .from(users)
    .where(eq(users.id, providerId));
  if (!counted) throw notFound("Provider");
  return {
    remaining: plan.authorizedSessions === null ? null : plan.authorizedSessions - counted.booked,
    authorizedUntil: plan.authorizedUntil,
    timeZone: counted.timeZone,
  };
}

/**
 * Which of several new sessions of a plan (in start order) its authorization refuses, by the
 * trigger's rule: a start after authorizedUntil is PLAN_EXPIRED; of the others, those beyond
 * what the plan still authorizes are PLAN_SESSION_LIMIT. A series books against these, read
 * under the plan's lock, so what it skips is what the database would refuse.
 */
export function refusedByAuthorization<T extends { startsAt: Date }>(
  authorization: PlanAuthorization,
  candidates: readonly T[],
): Map<T, DomainError> {
  const refused = new Map<T, DomainError>();
  let remaining = authorization.remaining ?? Infinity;
  for (const candidate of candidates) {
    if (!startsWithinAuthorization(candidate.startsAt, authorization.authorizedUntil, authorization.timeZone))
      refused.set(candidate, conflict("PLAN_EXPIRED", PLAN_EXPIRED));
    else if (remaining <= 0) refused.set(candidate, conflict("PLAN_SESSION_LIMIT", PLAN_SESSION_LIMIT));
    else remaining--;
  }
  return refused;
}
