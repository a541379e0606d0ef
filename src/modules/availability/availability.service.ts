/**
 * Availability: weekly rules, date overrides, provider scheduling settings, bookable slots,
 * free intervals and the client booking rule. Transport-neutral: GraphQL and the REST shims
 * call these functions with plain inputs (raw strings included: everything is validated here).
 *
 * Decisions:
 * - Only available rules (isAvailable true) count for the overlap check: a disabled rule gives
 *   no hours, so it is parked, not scheduled. Re-enabling it is checked like a new rule.
 * - Slots and the booking rule use the provider's rules and overrides only: a provider with no
 *   schedule for a day has no bookable slots that day. freeIntervals (the fitness API's calendar
 *   view) uses the default hours 08:00–20:00 for such a day instead.
 * - freeIntervals is the raw calendar: the provider's own active sessions cut the working hours;
 *   no minimum notice, buffer or "not in the past" applies (those are booking rules).
 * - The buffer widens every busy interval fed to the slot math, the client's sessions included.
 * - Reading rules, overrides and slots is open to everyone in the tenant (clients need them to
 *   book); writing is the provider's own or an ADMIN's.
 */
import { and, eq } from "drizzle-orm";
import { DateTime } from "luxon";
import type { Tx } from "../../db/client.js";
import { availabilityOverrides, availabilityRules, users, type AvailabilityOverrideRow, type AvailabilityRuleRow, type UserRow } from "../../db/schema/index.js";
import { badFields, throwFieldErrors, badInput, forbidden, notFound } from "../../errors.js";
import { checkTextLengths } from "../../text-limits.js";
import { assertTimeZone, isCalendarDate, isLocalTime } from "../../time.js";
import type { RequestContext } from "../context.js";
import { chargeBytes } from "../response-budget.js";
import { requireRole } from "../tenants/permissions.js";
import { userById } from "../tenants/user.loaders.js";
import { forgetUser } from "../tenants/user.visibility.js";
import { overrideById, ruleById } from "./availability.loaders.js";
import * as repo from "./availability.repository.js";
import { recordAvailabilityEvent } from "../events/outbox.js";
import {
  computeSlots,
  DEFAULT_DURATIONS,
  freeIntervals as freeGaps,
  hasScheduleForDay,
  isBookable,
  localDateOf,
  wallTimeToInstant,
  workingIntervalsForDay,
  workingIntervalsForRange,
  type DaySlots,
} from "./slot-math.js";
import { charged } from "../response-budget.js";

export type { DaySlots, Slot } from "./slot-math.js";

/** The longest range availableSlots / slotsForProviders accept, in local days. */
export const MAX_SLOT_RANGE_DAYS = 62;
export const MAX_DURATION_MINUTES = 480;
export const MAX_MIN_NOTICE_MINUTES = 60 * 24 * 30;
export const MAX_BUFFER_MINUTES = 240;
export const NOT_AVAILABLE_MESSAGE = "the therapist is not available at the requested time";

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

// ---------------------------------------------------------------------------------------
// Providers and permissions

/** A provider of the tenant, or NOT_FOUND (unknown id, another tenant's, or not a PROVIDER). */
export async function getProvider(ctx: RequestContext, providerId: number): Promise<UserRow> {
  const user = await ctx.loaders.get(userById).load(providerId);
  if (!user || user.role !== "PROVIDER") throw notFound("Provider");
  return user;
}

/** A client of the tenant, or NOT_FOUND. */
async function getClient(ctx: RequestContext, clientId: number): Promise<UserRow> {
  const user = await ctx.loaders.get(userById).load(clientId);
  if (!user || user.role !== "CLIENT") throw notFound("Client");
  return user;
}

/**
 * The provider whose schedule the caller may change: a PROVIDER their own (the default), an
 * ADMIN anyone's (providerId required); a CLIENT nobody's.
 */
async function manageableProvider(ctx: RequestContext, providerId: number | null | undefined): Promise<UserRow> {
  requireRole(ctx, "PROVIDER", "ADMIN");
  const me = ctx.viewer;
  const id = providerId ?? (me.role === "PROVIDER" ? me.id : undefined);
  if (id === undefined) throw badInput("providerId", "providerId is required");
  if (me.role === "PROVIDER" && id !== me.id) throw forbidden("A provider can only manage their own availability");
  return getProvider(ctx, id);
}

/** The provider to read: the given one, or the caller when the caller is a PROVIDER. */
async function readableProvider(ctx: RequestContext, providerId: number | null | undefined): Promise<UserRow> {
  const id = providerId ?? (ctx.viewer.role === "PROVIDER" ? ctx.viewer.id : undefined);
  if (id === undefined) throw badInput("providerId", "providerId is required");
  return getProvider(ctx, id);
}

// ---------------------------------------------------------------------------------------
// Validation helpers (raw strings welcome: the REST shims pass them through)

function checkLocalTime(errors: Record<string, string>, field: string, value: unknown): void {
  if (typeof value !== "string" || !isLocalTime(value)) errors[field] = `${field} must be a 24-hour time HH:MM, got ${JSON.stringify(value)}`;
}

function checkDate(field: string, value: unknown): string {
  if (typeof value !== "string" || !isCalendarDate(value)) throw badInput(field, `${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}

function checkIntRange(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function throwIfAny(errors: Record<string, string>): void {
  throwFieldErrors(errors);
}

/** "09:00:00" (the DB) -> "09:00". */
const hhmm = (time: string) => time.slice(0, 5);

function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: "UTC" }).plus({ days }).toISODate()!;
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
  const errors: Record<string, string> = {};
  const { dayOfWeek, startTime, endTime } = rule;
  if (typeof dayOfWeek !== "number" || !Number.isInteger(dayOfWeek) || dayOfWeek < 0 || dayOfWeek > 6) {
    errors.dayOfWeek = `dayOfWeek must be 0 (Sunday) to 6 (Saturday), got ${JSON.stringify(dayOfWeek)}`;
  }
  checkLocalTime(errors, "startTime", startTime);
  checkLocalTime(errors, "endTime", endTime);
  // Valid HH:MM strings compare like the times they name.
  if (!errors.startTime && !errors.endTime && !((startTime as string) < (endTime as string))) {
    errors.endTime = `endTime (${endTime}) must be after startTime (${startTime})`;
  }
  throwIfAny(errors);
}

/** BAD_USER_INPUT naming the other available rule this one would overlap. */
async function assertNoOverlap(
  tx: Tx,
  rule: { providerId: number; dayOfWeek: number; startTime: string; endTime: string; exceptId?: number },
): Promise<void> {
  const other = await repo.overlappingRule(tx, rule);
  if (!other) return;
  const message =
    `${hhmm(rule.startTime)}–${hhmm(rule.endTime)} overlaps availability rule ${other.id} ` +
    `(${DAY_NAMES[other.dayOfWeek]} ${hhmm(other.startTime)}–${hhmm(other.endTime)})`;
  throw badInput("startTime", message);
}

/** The provider's weekly rules (default: the caller's own when a PROVIDER; an ADMIN without providerId gets every provider's). */
export async function listAvailabilityRules(ctx: RequestContext, providerId?: number | null): Promise<AvailabilityRuleRow[]> {
  if (providerId == null && ctx.viewer.role === "ADMIN") return ctx.db.run((tx) => repo.listAllRules(tx)).then(charged(ctx));
  const provider = await readableProvider(ctx, providerId);
  return ctx.db.run((tx) => repo.listRules(tx, provider.id)).then(charged(ctx));
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
    await repo.lockProviderSchedule(tx, provider.id);
    if (isAvailable) await assertNoOverlap(tx, { providerId: provider.id, dayOfWeek: input.dayOfWeek, startTime: input.startTime, endTime: input.endTime });
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
export async function updateAvailabilityRule(ctx: RequestContext, id: number, patch: RulePatch): Promise<AvailabilityRuleRow> {
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
    await repo.lockProviderSchedule(tx, rule.providerId);
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
  const errors: Record<string, string> = {};
  if (typeof input.date !== "string" || !isCalendarDate(input.date)) errors.date = `date must be a calendar date YYYY-MM-DD, got ${JSON.stringify(input.date)}`;
  if (typeof input.isAvailable !== "boolean") errors.isAvailable = "isAvailable must be true (extra hours) or false (time off)";
  const { startTime, endTime } = input;
  if (startTime != null) checkLocalTime(errors, "startTime", startTime);
  if (endTime != null) checkLocalTime(errors, "endTime", endTime);
  if ((startTime == null) !== (endTime == null)) {
    errors[startTime == null ? "startTime" : "endTime"] = "startTime and endTime must be given together (or both left out for the whole day)";
  } else if (startTime == null && input.isAvailable === true) {
    errors.startTime = "extra hours (isAvailable true) need startTime and endTime";
  } else if (startTime != null && !errors.startTime && !errors.endTime && !(startTime < endTime!)) {
    errors.endTime = `endTime (${endTime}) must be after startTime (${startTime})`;
  }
  throwIfAny(errors);
}

/** A provider's overrides, optionally only those dated from..to (inclusive). */
export async function listAvailabilityOverrides(
  ctx: RequestContext,
  input: { providerId?: number | null; from?: string | null; to?: string | null },
): Promise<AvailabilityOverrideRow[]> {
  const from = input.from == null ? undefined : checkDate("from", input.from);
  const to = input.to == null ? undefined : checkDate("to", input.to);
  if (from && to && to < from) throw badInput("to", `to (${to}) must not be before from (${from})`);
  const provider = await readableProvider(ctx, input.providerId);
  return ctx.db.run((tx) => repo.listOverrides(tx, provider.id, from, to)).then(charged(ctx));
}

export async function getAvailabilityOverride(ctx: RequestContext, id: number): Promise<AvailabilityOverrideRow> {
  const override = await ctx.loaders.get(overrideById).load(id);
  if (!override) throw notFound("AvailabilityOverride");
  return override;
}

export async function createAvailabilityOverride(ctx: RequestContext, input: OverrideInput): Promise<AvailabilityOverrideRow> {
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

export async function getProviderSchedulingSettings(ctx: RequestContext, providerId?: number | null): Promise<SchedulingSettings> {
  return settingsOf(await readableProvider(ctx, providerId));
}

/** Changes what is given (null/undefined: unchanged). A PROVIDER their own, an ADMIN anyone's. */
export async function updateProviderSchedulingSettings(
  ctx: RequestContext,
  input: { providerId?: number | null; minNoticeMinutes?: number | null; bufferMinutes?: number | null; timeZone?: string | null },
): Promise<SchedulingSettings> {
  const provider = await manageableProvider(ctx, input.providerId);
  const set: Partial<Pick<UserRow, "minNoticeMinutes" | "bufferMinutes" | "timeZone">> = {};
  if (input.minNoticeMinutes != null) set.minNoticeMinutes = checkIntRange("minNoticeMinutes", input.minNoticeMinutes, 0, MAX_MIN_NOTICE_MINUTES);
  if (input.bufferMinutes != null) set.bufferMinutes = checkIntRange("bufferMinutes", input.bufferMinutes, 0, MAX_BUFFER_MINUTES);
  if (input.timeZone != null) set.timeZone = assertTimeZone(input.timeZone, "timeZone");
  if (Object.keys(set).length === 0) return settingsOf(provider);
  const row = await ctx.db.atomic(async (tx) => {
    const [updated] = await tx
      .update(users)
      .set({ ...set, updatedAt: ctx.deps.now() })
      .where(and(eq(users.id, provider.id), eq(users.role, "PROVIDER")))
      .returning();
    await recordAvailabilityEvent(tx, ctx, provider.id, "all");
    return updated;
  });
  forgetUser(ctx, row.id);
  ctx.loaders.get(userById).prime(row.id, row);
  return settingsOf(row);
}

// ---------------------------------------------------------------------------------------
// Slots

export interface SlotQueryOptions {
  /** Default 30, 60, 90, 120; each 1..480. */
  durations?: readonly number[] | null;
  /** Also exclude times when this client has an active session. */
  clientId?: number | null;
}

export interface ProviderSlots {
  providerId: number;
  timeZone: string;
  days: DaySlots[];
}

/**
 * How many distinct durations one slots request may ask for: every slot lists the ones that fit,
 * so each extra duration is paid for by every slot of every day of every provider.
 */
export const MAX_DURATIONS = 8;

/** The durations asked for, each once (duplicates collapse); 1 to 8 distinct whole minutes. */
function validateDurations(durations: readonly number[] | null | undefined): readonly number[] {
  if (durations == null) return DEFAULT_DURATIONS;
  if (!Array.isArray(durations) || durations.length === 0) throw badInput("durations", "durations must list at least one duration in minutes");
  for (const d of durations) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1 || d > MAX_DURATION_MINUTES) {
      throw badInput("durations", `durations must be whole minutes from 1 to ${MAX_DURATION_MINUTES}, got ${JSON.stringify(d)}`);
    }
  }
  const distinct = [...new Set(durations)];
  if (distinct.length > MAX_DURATIONS) throw badInput("durations", `durations may list at most ${MAX_DURATIONS} distinct values, got ${distinct.length}`);
  return distinct;
}

/** from..to (to defaults to from), valid dates, from <= to, at most maxDays local days. */
export function validateRange(from: unknown, to: unknown, maxDays = MAX_SLOT_RANGE_DAYS): { from: string; to: string } {
  const f = checkDate("from", from);
  const t = to == null ? f : checkDate("to", to);
  if (t < f) throw badInput("to", `to (${t}) must not be before from (${f})`);
  if (t > addDays(f, maxDays - 1)) throw badInput("to", `the range ${f}..${t} is longer than ${maxDays} days`);
  return { from: f, to: t };
}

/**
 * Bookable slots of many providers over the local dates from..to (each provider's own zone),
 * with ONE query for all rules + overrides and ONE for all busy sessions (plus one batched
 * user lookup). Result in providerIds order. Never a start before now + min notice.
 */
export async function slotsForProviders(
  ctx: RequestContext,
  providerIds: readonly number[],
  from: string,
  to?: string | null,
  options: SlotQueryOptions = {},
): Promise<ProviderSlots[]> {
  const range = validateRange(from, to);
  const durations = validateDurations(options.durations);
  const ids = [...new Set(providerIds)];
  const [providers, client] = await Promise.all([
    Promise.all(ids.map((id) => getProvider(ctx, id))),
    options.clientId != null ? getClient(ctx, options.clientId) : undefined,
  ]);
  if (providers.length === 0) return [];
  const maxBuffer = Math.max(...providers.map((p) => p.bufferMinutes)) * MINUTE;
  // Generous instants around the local dates: zones lie within UTC-12..+14, durations may run
  // into the day after `to`, and buffers reach a little further.
  const windowFrom = new Date(Date.parse(`${range.from}T00:00:00Z`) - DAY - maxBuffer);
  const windowTo = new Date(Date.parse(`${addDays(range.to, 2)}T00:00:00Z`) + DAY + maxBuffer);
  const [schedules, busy] = await ctx.db.run(async (tx) => [
    await repo.schedulesOf(tx, ids, range.from, addDays(range.to, 1)),
    await repo.busySessions(tx, { providerIds: ids, clientId: client?.id, from: windowFrom, to: windowTo }),
  ] as const);
  const now = ctx.deps.now();
  const bySlots = new Map(
    providers.map((p) => {
      const schedule = schedules.get(p.id)!;
      const mine = busy.filter((s) => s.providerId === p.id || (client !== undefined && s.clientId === client.id));
      const days = computeSlots({
        from: range.from,
        to: range.to,
        zone: p.timeZone,
        rules: schedule.rules,
        overrides: schedule.overrides,
        busy: mine.map((s) => ({ start: s.startsAt.getTime(), end: s.endsAt.getTime() })),
        durations,
        now,
        minNoticeMinutes: p.minNoticeMinutes,
        bufferMinutes: p.bufferMinutes,
        maxDays: MAX_SLOT_RANGE_DAYS,
      });
      // Charged provider by provider: a request over its response budget stops computing here.
      chargeBytes(ctx, slotBytes(days));
      return [p.id, { providerId: p.id, timeZone: p.timeZone, days }] as const;
    }),
  );
  return providerIds.map((id) => bySlots.get(id)!);
}

/** What a provider's days of slots print as: a date per day, a start and its durations per slot. */
function slotBytes(days: readonly DaySlots[]): number {
  let bytes = 40;
  for (const day of days) {
    bytes += 40;
    for (const slot of day.slots) bytes += 60 + 5 * slot.availableDurations.length;
  }
  return bytes;
}

/** How many providers one slots request may name. */
export const MAX_PROVIDERS_PER_SLOTS_REQUEST = 100;

/**
 * Several providers' bookable slots per local day (each in their own zone), in the order given,
 * each provider once (at its first mention).
 * A CLIENT caller's own sessions always count as busy (clientId defaults to them; another
 * client's id is FORBIDDEN).
 */
export async function availableSlotsByProvider(
  ctx: RequestContext,
  input: { providerIds: readonly number[]; from: string; to?: string | null; durations?: readonly number[] | null; clientId?: number | null },
): Promise<ProviderSlots[]> {
  // A provider named twice is answered once: the limit (and the work) is per distinct provider.
  const providerIds = [...new Set(input.providerIds)];
  if (providerIds.length === 0 || providerIds.length > MAX_PROVIDERS_PER_SLOTS_REQUEST) {
    throw badInput("providerIds", `providerIds must name 1 to ${MAX_PROVIDERS_PER_SLOTS_REQUEST} distinct providers, got ${providerIds.length}`);
  }
  const me = ctx.viewer;
  let clientId = input.clientId ?? undefined;
  if (me.role === "CLIENT") {
    if (clientId !== undefined && clientId !== me.id) throw forbidden("A client can only ask for slots that fit their own calendar");
    clientId = me.id;
  }
  return slotsForProviders(ctx, providerIds, input.from, input.to, { durations: input.durations, clientId });
}

/** One provider's bookable slots per local day (see availableSlotsByProvider). */
export async function availableSlots(
  ctx: RequestContext,
  input: { providerId: number; from: string; to?: string | null; durations?: readonly number[] | null; clientId?: number | null },
): Promise<DaySlots[]> {
  const [result] = await availableSlotsByProvider(ctx, { ...input, providerIds: [input.providerId] });
  return result.days;
}

// ---------------------------------------------------------------------------------------
// Free intervals (the fitness API's availability view)

export interface FreeIntervalResult {
  startsAt: Date;
  endsAt: Date;
  durationMinutes: number;
}

export interface BookedSession {
  sessionId: number;
  startsAt: Date;
  endsAt: Date;
  /** Only for ADMIN, the provider and the session's client; null for anyone else. */
  title: string | null;
}

export interface DayAvailability {
  date: string;
  timeZone: string;
  /** True when the provider had no rules or overrides for the date (default hours 08:00–20:00 used). */
  defaultHours: boolean;
  free: FreeIntervalResult[];
  booked: BookedSession[];
}

/**
 * The maximal free gaps (at least minDurationMinutes long, default 30) in the provider's working
 * hours of a local date, and the active sessions booked that day, from one computation.
 */
export async function dayAvailability(
  ctx: RequestContext,
  input: { providerId: number; date: string; minDurationMinutes?: number | null },
): Promise<DayAvailability> {
  const date = checkDate("date", input.date);
  const minDurationMinutes = input.minDurationMinutes == null ? 30 : checkIntRange("minDurationMinutes", input.minDurationMinutes, 1, 1440);
  const provider = await getProvider(ctx, input.providerId);
  const zone = provider.timeZone;
  const dayStart = new Date(wallTimeToInstant(date, "00:00", zone));
  const dayEnd = new Date(wallTimeToInstant(date, "24:00", zone));
  const [schedules, busy] = await ctx.db.run(async (tx) => [
    await repo.schedulesOf(tx, [provider.id], date, date),
    await repo.busySessions(tx, { providerIds: [provider.id], from: dayStart, to: dayEnd }),
  ] as const);
  const { rules, overrides } = schedules.get(provider.id)!;
  const scheduled = hasScheduleForDay(date, rules, overrides);
  const result = freeGaps({
    date,
    zone,
    working: scheduled ? workingIntervalsForDay(date, zone, rules, overrides) : null,
    busy: busy.map((s) => ({ start: s.startsAt.getTime(), end: s.endsAt.getTime(), ref: s })),
    minDurationMinutes,
  });
  const me = ctx.viewer;
  return {
    date,
    timeZone: zone,
    defaultHours: !scheduled,
    free: result.free.map((f) => ({ startsAt: new Date(f.start), endsAt: new Date(f.end), durationMinutes: f.durationMinutes })),
    booked: result.busy.map(({ ref: s }) => ({
      sessionId: s!.id,
      startsAt: s!.startsAt,
      endsAt: s!.endsAt,
      title: me.role === "ADMIN" || me.id === s!.providerId || me.id === s!.clientId ? s!.title : null,
    })),
  };
}

export async function freeIntervals(
  ctx: RequestContext,
  input: { providerId: number; date: string; minDurationMinutes?: number | null },
): Promise<FreeIntervalResult[]> {
  return (await dayAvailability(ctx, input)).free;
}

// ---------------------------------------------------------------------------------------
// The client booking rule (called by the sessions service)

export interface BookableInput {
  providerId: number;
  clientId: number;
  startsAt: Date;
  endsAt: Date;
  /** The session being rescheduled: it does not block itself. */
  excludeSessionId?: number;
}

/**
 * Whether [startsAt, endsAt) lies inside the provider's availability (weekly rules + overrides),
 * starts after now + min notice, and keeps the buffer to every active session of the provider
 * AND the client (except excludeSessionId). No 30-minute grid check. Two statements.
 */
export async function isBookableForClient(ctx: RequestContext, input: BookableInput): Promise<boolean> {
  const provider = await getProvider(ctx, input.providerId);
  const start = input.startsAt.getTime();
  const end = input.endsAt.getTime();
  if (!Number.isFinite(start) || !Number.isFinite(end) || !(end > start)) return false;
  // Working hours never cross a local midnight, so a booking longer than a day never fits.
  if (end - start > DAY) return false;
  const zone = provider.timeZone;
  const firstDate = localDateOf(start, zone);
  const lastDate = localDateOf(end, zone);
  const buffer = provider.bufferMinutes * MINUTE;
  const [schedules, busy] = await ctx.db.run(async (tx) => [
    await repo.schedulesOf(tx, [provider.id], firstDate, lastDate),
    await repo.busySessions(tx, {
      providerIds: [provider.id],
      clientId: input.clientId,
      from: new Date(start - buffer),
      to: new Date(end + buffer),
      excludeSessionId: input.excludeSessionId,
    }),
  ] as const);
  const { rules, overrides } = schedules.get(provider.id)!;
  return isBookable({
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    working: workingIntervalsForRange(firstDate, lastDate, zone, rules, overrides),
    busy: busy.map((s) => ({ start: s.startsAt.getTime(), end: s.endsAt.getTime() })),
    now: ctx.deps.now(),
    minNoticeMinutes: provider.minNoticeMinutes,
    bufferMinutes: provider.bufferMinutes,
  });
}

/** BAD_USER_INPUT "the therapist is not available at the requested time" (field startsAt) unless isBookableForClient. */
export async function assertBookableForClient(
  ctx: RequestContext,
  input: { providerId: number; clientId: number; startsAt: Date; endsAt: Date; excludeSessionId?: number },
): Promise<void> {
  if (!(await isBookableForClient(ctx, input))) throw badInput("startsAt", NOT_AVAILABLE_MESSAGE);
}
