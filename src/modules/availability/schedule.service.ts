/**
 * A provider's schedule: weekly rules, date overrides and the scheduling settings (zone, minimum
 * notice, buffer). Transport-neutral: GraphQL and the REST shims call these functions with plain
 * inputs (raw strings included: everything is validated here).
 *
 * Decisions:
 * - Only available rules (isAvailable true) count for the overlap check: a disabled rule gives
 *   no hours, so it is parked, not scheduled. Re-enabling it is checked like a new rule.
 * - Reading rules, overrides and settings is open to everyone in the tenant (clients need them to
 *   book); writing is the provider's own or an ADMIN's.
 *
 * Database: Drizzle's query builder (CRUD of single records and one provider's lists).
 */
import { and, asc, eq, gte, lte, ne, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import {
  availabilityOverrides,
  availabilityRules,
  users,
  type AvailabilityOverrideRow,
  type AvailabilityRuleRow,
  type UserRow,
} from "../../db/schema/index.js";
import { badInput, field, forbidden, notFound, noun, throwFieldErrors, words, type Words } from "../../errors.js";
import { checkTextLengths } from "../../text-limits.js";
import { assertTimeZone, DAY, isCalendarDate, isLocalTime } from "../../time.js";
import type { RequestContext } from "../context.js";
import { recordAvailabilityEvent, recordUserEvent } from "../events/index.js";
import { charged } from "../response-budget.js";
import { providerOrCaller, requireRole } from "../tenants/index.js";
import { userById } from "../tenants/index.js";
import { forgetUser } from "../tenants/index.js";
import { overrideById, ruleById } from "./availability.loaders.js";

export const MAX_MIN_NOTICE_MINUTES = 60 * 24 * 30;
export const MAX_BUFFER_MINUTES = 240;

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

// ---------------------------------------------------------------------------------------
// Providers and permissions

/** A provider of the tenant, or NOT_FOUND (unknown id, another tenant's, or not a PROVIDER). */
export async function getProvider(ctx: RequestContext, providerId: number): Promise<UserRow> {
  const user = await ctx.loaders.get(userById).load(providerId);
  if (!user || user.role !== "PROVIDER") throw notFound("Provider");
  return user;
}

/** A client of the tenant, or NOT_FOUND. */
export async function getClient(ctx: RequestContext, clientId: number): Promise<UserRow> {
  const user = await ctx.loaders.get(userById).load(clientId);
  if (!user || user.role !== "CLIENT") throw notFound("Client");
  return user;
}

/** The provider the input names, else the caller when a PROVIDER; else providerId is required. */
function providerIdOf(ctx: RequestContext, providerId: number | null | undefined): number {
  const id = providerOrCaller(ctx, providerId);
  if (id === undefined) throw badInput("providerId", words`${field("providerId")} is required`);
  return id;
}

/**
 * The provider whose schedule the caller may change: a PROVIDER their own (the default), an
 * ADMIN anyone's (providerId required); a CLIENT nobody's.
 */
async function manageableProvider(ctx: RequestContext, providerId: number | null | undefined): Promise<UserRow> {
  requireRole(ctx, "PROVIDER", "ADMIN");
  const id = providerIdOf(ctx, providerId);
  if (ctx.viewer.role === "PROVIDER" && id !== ctx.viewer.id)
    throw forbidden(words`A ${noun("provider")} can only manage their own availability`);
  return getProvider(ctx, id);
}

/** The provider to read: the given one, or the caller when the caller is a PROVIDER. */
async function readableProvider(ctx: RequestContext, providerId: number | null | undefined): Promise<UserRow> {
  return getProvider(ctx, providerIdOf(ctx, providerId));
}

// ---------------------------------------------------------------------------------------
// Validation helpers (raw strings welcome: the REST shims pass them through)

function checkLocalTime(errors: Record<string, Words>, name: string, value: unknown): void {
  if (typeof value !== "string" || !isLocalTime(value))
    errors[name] = words`${field(name)} must be a 24-hour time HH:MM, got ${JSON.stringify(value)}`;
}

export function checkDate(name: string, value: unknown): string {
  if (typeof value !== "string" || !isCalendarDate(value)) {
    throw badInput(name, words`${field(name)} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkIntRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw badInput(
      name,
      words`${field(name)} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** from..to (either may be absent): `to` not before `from`. */
export function checkDateOrder(from: string | undefined, to: string | undefined): void {
  if (from && to && to < from)
    throw badInput("to", words`${field("to")} (${to}) must not be before ${field("from")} (${from})`);
}

/** "09:00:00" (the DB) -> "09:00". */
const hhmm = (time: string) => time.slice(0, 5);

/** A calendar date plus whole days (YYYY-MM-DD; dates of the supported years). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------
// Weekly rules

export interface RuleInput {
  providerId?: number | null;
  dayOfWeek: number;
  startTime: string;
  endTime: string;
  isAvailable?: boolean | null;
  notes?: string | null;
}

export interface RulePatch {
  dayOfWeek?: number | null;
  startTime?: string | null;
  endTime?: string | null;
  isAvailable?: boolean | null;
  /** undefined: unchanged; null: cleared. */
  notes?: string | null;
}

function validateRule(rule: { dayOfWeek: unknown; startTime: unknown; endTime: unknown }): void {
  const errors: Record<string, Words> = {};
  const { dayOfWeek, startTime, endTime } = rule;
  if (typeof dayOfWeek !== "number" || !Number.isInteger(dayOfWeek) || dayOfWeek < 0 || dayOfWeek > 6) {
    errors.dayOfWeek = words`${field("dayOfWeek")} must be 0 (Sunday) to 6 (Saturday), got ${JSON.stringify(dayOfWeek)}`;
  }
  checkLocalTime(errors, "startTime", startTime);
  checkLocalTime(errors, "endTime", endTime);
  // Valid HH:MM strings compare like the times they name.
  if (!errors.startTime && !errors.endTime && !((startTime as string) < (endTime as string))) {
    errors.endTime = endsAfterStarts(endTime as string, startTime as string);
  }
  throwFieldErrors(errors);
}

const endsAfterStarts = (endTime: string, startTime: string): Words =>
  words`${field("endTime")} (${endTime}) must be after ${field("startTime")} (${startTime})`;

/** The provider's available rule on a weekday overlapping [start, end) (half-open: back-to-back is fine). */
async function overlappingRule(
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

/** BAD_USER_INPUT naming the other available rule this one would overlap. */
async function assertNoOverlap(
  tx: Tx,
  rule: { providerId: number; dayOfWeek: number; startTime: string; endTime: string; exceptId?: number },
): Promise<void> {
  const other = await overlappingRule(tx, rule);
  if (!other) return;
  throw badInput(
    "startTime",
    words`${hhmm(rule.startTime)}–${hhmm(rule.endTime)} overlaps ${noun("availability rule")} ${other.id} (${DAY_NAMES[other.dayOfWeek]} ${hhmm(other.startTime)}–${hhmm(other.endTime)})`,
  );
}

/**
 * Serializes schedule changes of one provider until the transaction ends, so two concurrent
 * writes cannot both pass the overlap check. (A separate lock space: other modules' locks on
 * the same id do not collide.)
 */
async function lockProviderSchedule(tx: Tx, providerId: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('availability'), ${providerId}::int)`);
}

/** The provider's weekly rules (default: the caller's own when a PROVIDER; an ADMIN without providerId gets every provider's). */
export async function listAvailabilityRules(
  ctx: RequestContext,
  providerId?: number | null,
): Promise<AvailabilityRuleRow[]> {
  const byDay = [asc(availabilityRules.dayOfWeek), asc(availabilityRules.startTime), asc(availabilityRules.id)];
  if (providerId == null && ctx.viewer.role === "ADMIN") {
    return ctx.db
      .run((tx) =>
        tx
          .select()
          .from(availabilityRules)
          .orderBy(asc(availabilityRules.providerId), ...byDay),
      )
      .then(charged(ctx));
  }
  const provider = await readableProvider(ctx, providerId);
  return ctx.db
    .run((tx) =>
      tx
        .select()
        .from(availabilityRules)
        .where(eq(availabilityRules.providerId, provider.id))
        .orderBy(...byDay),
    )
    .then(charged(ctx));
}

export async function getAvailabilityRule(ctx: RequestContext, id: number): Promise<AvailabilityRuleRow> {
  const rule = await ctx.loaders.get(ruleById).load(id);
  if (!rule) throw notFound("AvailabilityRule");
  return rule;
}

export async function createAvailabilityRule(ctx: RequestContext, input: RuleInput): Promise<AvailabilityRuleRow> {
  checkTextLengths(input);
  const provider = await manageableProvider(ctx, input.providerId);
  validateRule(input);
  const isAvailable = input.isAvailable ?? true;
  return ctx.db.atomic(async (tx) => {
    await lockProviderSchedule(tx, provider.id);
    if (isAvailable)
      await assertNoOverlap(tx, {
        providerId: provider.id,
        dayOfWeek: input.dayOfWeek,
        startTime: input.startTime,
        endTime: input.endTime,
      });
    const [row] = await tx
      .insert(availabilityRules)
      .values({
        tenantId: ctx.tenant.id,
        providerId: provider.id,
        dayOfWeek: input.dayOfWeek,
        startTime: input.startTime,
        endTime: input.endTime,
        isAvailable,
        notes: input.notes ?? null,
      })
      .returning();
    await recordAvailabilityEvent(tx, ctx, provider.id, "all");
    return row;
  });
}

/** Changes a rule; the result is validated as a whole (e.g. a new endTime against the old startTime). */
export async function updateAvailabilityRule(
  ctx: RequestContext,
  id: number,
  patch: RulePatch,
): Promise<AvailabilityRuleRow> {
  checkTextLengths(patch);
  requireRole(ctx, "PROVIDER", "ADMIN");
  const rule = await getAvailabilityRule(ctx, id);
  await manageableProvider(ctx, rule.providerId);
  const next = {
    dayOfWeek: patch.dayOfWeek ?? rule.dayOfWeek,
    startTime: patch.startTime ?? hhmm(rule.startTime),
    endTime: patch.endTime ?? hhmm(rule.endTime),
    isAvailable: patch.isAvailable ?? rule.isAvailable,
    notes: patch.notes === undefined ? rule.notes : patch.notes,
  };
  validateRule(next);
  const updated = await ctx.db.atomic(async (tx) => {
    await lockProviderSchedule(tx, rule.providerId);
    if (next.isAvailable) await assertNoOverlap(tx, { providerId: rule.providerId, ...next, exceptId: rule.id });
    const [row] = await tx
      .update(availabilityRules)
      .set({ ...next, updatedAt: ctx.deps.now() })
      .where(eq(availabilityRules.id, rule.id))
      .returning();
    await recordAvailabilityEvent(tx, ctx, rule.providerId, "all");
    return row;
  });
  ctx.loaders.get(ruleById).clear(id).prime(id, updated);
  return updated;
}

export async function deleteAvailabilityRule(ctx: RequestContext, id: number): Promise<boolean> {
  requireRole(ctx, "PROVIDER", "ADMIN");
  const rule = await getAvailabilityRule(ctx, id);
  await manageableProvider(ctx, rule.providerId);
  await ctx.db.atomic(async (tx) => {
    await tx.delete(availabilityRules).where(eq(availabilityRules.id, rule.id));
    await recordAvailabilityEvent(tx, ctx, rule.providerId, "all");
  });
  ctx.loaders.get(ruleById).clear(id);
  return true;
}

// ---------------------------------------------------------------------------------------
// Date overrides

export interface OverrideInput {
  providerId?: number | null;
  date: string;
  /** Both or neither; required for extra hours (isAvailable true). Without them: the whole day off. */
  startTime?: string | null;
  endTime?: string | null;
  isAvailable: boolean;
  reason?: string | null;
}

function validateOverride(input: OverrideInput): void {
  const errors: Record<string, Words> = {};
  if (typeof input.date !== "string" || !isCalendarDate(input.date)) {
    errors.date = words`${field("date")} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(input.date)}`;
  }
  if (typeof input.isAvailable !== "boolean")
    errors.isAvailable = words`${field("isAvailable")} must be true (extra hours) or false (time off)`;
  const { startTime, endTime } = input;
  if (startTime != null) checkLocalTime(errors, "startTime", startTime);
  if (endTime != null) checkLocalTime(errors, "endTime", endTime);
  if ((startTime == null) !== (endTime == null)) {
    errors[startTime == null ? "startTime" : "endTime"] =
      words`${field("startTime")} and ${field("endTime")} must be given together (or both left out for the whole day)`;
  } else if (startTime == null && input.isAvailable === true) {
    errors.startTime = words`extra hours (${field("isAvailable")} true) need ${field("startTime")} and ${field("endTime")}`;
  } else if (startTime != null && !errors.startTime && !errors.endTime && !(startTime < endTime!)) {
    errors.endTime = endsAfterStarts(endTime!, startTime);
  }
  throwFieldErrors(errors);
}

/** A provider's overrides, optionally only those dated from..to (inclusive). */
export async function listAvailabilityOverrides(
  ctx: RequestContext,
  input: { providerId?: number | null; from?: string | null; to?: string | null },
): Promise<AvailabilityOverrideRow[]> {
  const from = input.from == null ? undefined : checkDate("from", input.from);
  const to = input.to == null ? undefined : checkDate("to", input.to);
  checkDateOrder(from, to);
  const provider = await readableProvider(ctx, input.providerId);
  return ctx.db
    .run((tx) =>
      tx
        .select()
        .from(availabilityOverrides)
        .where(
          and(
            eq(availabilityOverrides.providerId, provider.id),
            from ? gte(availabilityOverrides.date, from) : undefined,
            to ? lte(availabilityOverrides.date, to) : undefined,
          ),
        )
        .orderBy(asc(availabilityOverrides.date), asc(availabilityOverrides.startTime), asc(availabilityOverrides.id)),
    )
    .then(charged(ctx));
}

export async function getAvailabilityOverride(ctx: RequestContext, id: number): Promise<AvailabilityOverrideRow> {
  const override = await ctx.loaders.get(overrideById).load(id);
  if (!override) throw notFound("AvailabilityOverride");
  return override;
}

export async function createAvailabilityOverride(
  ctx: RequestContext,
  input: OverrideInput,
): Promise<AvailabilityOverrideRow> {
  checkTextLengths(input);
  const provider = await manageableProvider(ctx, input.providerId);
  validateOverride(input);
  return ctx.db.atomic(async (tx) => {
    const [row] = await tx
      .insert(availabilityOverrides)
      .values({
        tenantId: ctx.tenant.id,
        providerId: provider.id,
        date: input.date,
        startTime: input.startTime ?? null,
        endTime: input.endTime ?? null,
        isAvailable: input.isAvailable,
        reason: input.reason ?? null,
      })
      .returning();
    await recordAvailabilityEvent(tx, ctx, provider.id, [input.date]);
    return row;
  });
}

export async function deleteAvailabilityOverride(ctx: RequestContext, id: number): Promise<boolean> {
  requireRole(ctx, "PROVIDER", "ADMIN");
  const override = await getAvailabilityOverride(ctx, id);
  await manageableProvider(ctx, override.providerId);
  await ctx.db.atomic(async (tx) => {
    await tx.delete(availabilityOverrides).where(eq(availabilityOverrides.id, override.id));
    await recordAvailabilityEvent(tx, ctx, override.providerId, [override.date]);
  });
  ctx.loaders.get(overrideById).clear(id);
  return true;
}

// ---------------------------------------------------------------------------------------
// Scheduling settings (users.time_zone, min_notice_minutes, buffer_minutes)

export interface SchedulingSettings {
  providerId: number;
  timeZone: string;
  minNoticeMinutes: number;
  bufferMinutes: number;
}

const settingsOf = (p: UserRow): SchedulingSettings => ({
  providerId: p.id,
  timeZone: p.timeZone,
  minNoticeMinutes: p.minNoticeMinutes,
  bufferMinutes: p.bufferMinutes,
});

export async function getProviderSchedulingSettings(
  ctx: RequestContext,
  providerId?: number | null,
): Promise<SchedulingSettings> {
  return settingsOf(await readableProvider(ctx, providerId));
}

/** Changes what is given (null/undefined: unchanged). A PROVIDER their own, an ADMIN anyone's. */
export async function updateProviderSchedulingSettings(
  ctx: RequestContext,
  input: {
    providerId?: number | null;
    minNoticeMinutes?: number | null;
    bufferMinutes?: number | null;
    timeZone?: string | null;
  },
): Promise<SchedulingSettings> {
  const provider = await manageableProvider(ctx, input.providerId);
  const set: Partial<Pick<UserRow, "minNoticeMinutes" | "bufferMinutes" | "timeZone">> = {};
  if (input.minNoticeMinutes != null)
    set.minNoticeMinutes = checkIntRange("minNoticeMinutes", input.minNoticeMinutes, 0, MAX_MIN_NOTICE_MINUTES);
  if (input.bufferMinutes != null)
    set.bufferMinutes = checkIntRange("bufferMinutes", input.bufferMinutes, 0, MAX_BUFFER_MINUTES);
  if (input.timeZone != null) set.timeZone = assertTimeZone(input.timeZone, "timeZone");
  if (Object.keys(set).length === 0) return settingsOf(provider);
  const row = await ctx.db.atomic(async (tx) => {
    const [updated] = await tx
      .update(users)
      .set({ ...set, updatedAt: ctx.deps.now() })
      .where(and(eq(users.id, provider.id), eq(users.role, "PROVIDER")))
      .returning();
    await recordAvailabilityEvent(tx, ctx, provider.id, "all");
    // The provider's row changed: their cached viewer (time zone) is read again.
    await recordUserEvent(tx, ctx, provider.id, Object.keys(set));
    return updated;
  });
  forgetUser(ctx, row.id);
  ctx.loaders.get(userById).prime(row.id, row);
  return settingsOf(row);
}
