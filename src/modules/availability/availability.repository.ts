/**
 * The availability queries. Slot computations read everything they need in two statements,
 * for any number of providers: one for weekly rules + date overrides, one for busy sessions.
 */
import { and, asc, eq, gt, gte, inArray, lt, lte, ne, or, sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../../db/client.js";
import { availabilityOverrides, availabilityRules, sessions, type AvailabilityOverrideRow, type AvailabilityRuleRow } from "../../db/schema/index.js";
import { ACTIVE_STATUSES } from "../sessions/session.access.js";
import type { DateOverride, WeeklyRule } from "./slot-math.js";
import { anyId } from "../../db/any-id.js";

export interface Schedule {
  rules: WeeklyRule[];
  overrides: DateOverride[];
}

/**
 * The weekly rules and the overrides dated fromDate..toDate of each provider, in ONE statement
 * (a union of both tables). Every requested provider gets an entry, possibly empty.
 */
export async function schedulesOf(tx: Tx, providerIds: readonly number[], fromDate: string, toDate: string): Promise<Map<number, Schedule>> {
  const schedules = new Map<number, Schedule>(providerIds.map((id) => [id, { rules: [], overrides: [] }]));
  if (providerIds.length === 0) return schedules;
  const ids = sql`(${sql.join(providerIds.map((id) => sql`${id}::int`), sql`, `)})`;
  // Everything as text/int: the drivers would otherwise parse `date` differently.
  const rows = rowsOf<{ kind: "rule" | "override"; provider_id: number; day_of_week: number | null; date: string | null; start_time: string | null; end_time: string | null; is_available: boolean }>(
    await tx.execute(sql`
      select 'rule' as kind, provider_id, day_of_week::int as day_of_week, null::text as date,
             start_time::text as start_time, end_time::text as end_time, is_available
        from availability_rules where provider_id in ${ids}
      union all
      select 'override', provider_id, null::int, date::text, start_time::text, end_time::text, is_available
        from availability_overrides where provider_id in ${ids} and date between ${fromDate}::date and ${toDate}::date`),
  );
  for (const r of rows) {
    const schedule = schedules.get(Number(r.provider_id))!;
    if (r.kind === "rule") {
      schedule.rules.push({ dayOfWeek: Number(r.day_of_week), startTime: r.start_time!, endTime: r.end_time!, isAvailable: r.is_available });
    } else {
      schedule.overrides.push({ date: r.date!, startTime: r.start_time, endTime: r.end_time, isAvailable: r.is_available });
    }
  }
  return schedules;
}

export interface BusySession {
  id: number;
  providerId: number;
  clientId: number;
  title: string | null;
  startsAt: Date;
  endsAt: Date;
}

/**
 * Active sessions overlapping [from, to) of the providers, and of the client when given, in ONE
 * statement, ordered by start. excludeSessionId leaves out a session being rescheduled.
 */
export async function busySessions(
  tx: Tx,
  input: { providerIds: readonly number[]; clientId?: number; from: Date; to: Date; excludeSessionId?: number },
): Promise<BusySession[]> {
  const { providerIds, clientId, from, to, excludeSessionId } = input;
  if (providerIds.length === 0 && clientId === undefined) return [];
  return tx
    .select({ id: sessions.id, providerId: sessions.providerId, clientId: sessions.clientId, title: sessions.title, startsAt: sessions.startsAt, endsAt: sessions.endsAt })
    .from(sessions)
    .where(
      and(
        or(
          providerIds.length ? anyId(sessions.providerId, providerIds) : undefined,
          clientId !== undefined ? eq(sessions.clientId, clientId) : undefined,
        ),
        inArray(sessions.status, [...ACTIVE_STATUSES]),
        lt(sessions.startsAt, to),
        gt(sessions.endsAt, from),
        excludeSessionId !== undefined ? ne(sessions.id, excludeSessionId) : undefined,
      ),
    )
    .orderBy(asc(sessions.startsAt), asc(sessions.id));
}

// ---------------------------------------------------------------------------------------
// Rules and overrides (CRUD)

export function listRules(tx: Tx, providerId: number): Promise<AvailabilityRuleRow[]> {
  return tx
    .select()
    .from(availabilityRules)
    .where(eq(availabilityRules.providerId, providerId))
    .orderBy(asc(availabilityRules.dayOfWeek), asc(availabilityRules.startTime), asc(availabilityRules.id));
}

export function listAllRules(tx: Tx): Promise<AvailabilityRuleRow[]> {
  return tx
    .select()
    .from(availabilityRules)
    .orderBy(asc(availabilityRules.providerId), asc(availabilityRules.dayOfWeek), asc(availabilityRules.startTime), asc(availabilityRules.id));
}

export async function findRule(tx: Tx, id: number): Promise<AvailabilityRuleRow | undefined> {
  const [row] = await tx.select().from(availabilityRules).where(eq(availabilityRules.id, id));
  return row;
}

/** The provider's available rules on a weekday overlapping [start, end) (half-open: back-to-back is fine). */
export async function overlappingRule(
  tx: Tx,
  input: { providerId: number; dayOfWeek: number; startTime: string; endTime: string; exceptId?: number },
): Promise<AvailabilityRuleRow | undefined> {
  const [row] = await tx
    .select()
    .from(availabilityRules)
    .where(
      and(
        eq(availabilityRules.providerId, input.providerId),
        eq(availabilityRules.dayOfWeek, input.dayOfWeek),
        eq(availabilityRules.isAvailable, true),
        sql`${availabilityRules.startTime} < ${input.endTime}::time and ${availabilityRules.endTime} > ${input.startTime}::time`,
        input.exceptId !== undefined ? ne(availabilityRules.id, input.exceptId) : undefined,
      ),
    )
    .orderBy(asc(availabilityRules.startTime), asc(availabilityRules.id))
    .limit(1);
  return row;
}

/**
 * Serializes schedule changes of one provider until the transaction ends, so two concurrent
 * writes cannot both pass the overlap check. (A separate lock space: other modules' locks on
 * the same id do not collide.)
 */
export async function lockProviderSchedule(tx: Tx, providerId: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('availability'), ${providerId}::int)`);
}

export function listOverrides(tx: Tx, providerId: number, fromDate?: string, toDate?: string): Promise<AvailabilityOverrideRow[]> {
  return tx
    .select()
    .from(availabilityOverrides)
    .where(
      and(
        eq(availabilityOverrides.providerId, providerId),
        fromDate ? gte(availabilityOverrides.date, fromDate) : undefined,
        toDate ? lte(availabilityOverrides.date, toDate) : undefined,
      ),
    )
    .orderBy(asc(availabilityOverrides.date), asc(availabilityOverrides.startTime), asc(availabilityOverrides.id));
}

export async function findOverride(tx: Tx, id: number): Promise<AvailabilityOverrideRow | undefined> {
  const [row] = await tx.select().from(availabilityOverrides).where(eq(availabilityOverrides.id, id));
  return row;
}

export async function rulesByIds(tx: Tx, ids: readonly number[]): Promise<AvailabilityRuleRow[]> {
  return tx.select().from(availabilityRules).where(anyId(availabilityRules.id, ids));
}

export async function overridesByIds(tx: Tx, ids: readonly number[]): Promise<AvailabilityOverrideRow[]> {
  return tx.select().from(availabilityOverrides).where(anyId(availabilityOverrides.id, ids));
}
