/**
 * What a provider's schedule leaves bookable: slots, a day's free intervals and booked sessions,
 * and the client booking rule. Transport-neutral, like schedule.service.ts.
 *
 * Decisions:
 * - Slots and the booking rule use the provider's rules and overrides only: a provider with no
 *   schedule for a day has no bookable slots that day. dayAvailability (the fitness API's calendar
 *   view) uses the default hours 08:00–20:00 for such a day instead.
 * - dayAvailability is the raw calendar: the provider's own active sessions cut the working hours;
 *   no minimum notice, buffer or "not in the past" applies (those are booking rules).
 * - The buffer widens every busy interval fed to the slot math, the client's sessions included.
 *
 * Database: these are the hot reads (every slots request, every client booking), so they are plain
 * SQL, decoded as drizzle would (db/rows.ts): one statement for the rules and overrides of any
 * number of providers, one for their busy time (sessions, live holds, group sessions).
 * - Slots and the client booking rule treat as busy what provider_time_is_free() (drizzle/0011)
 *   refuses: live holds (expiry by the database clock) and active group sessions. dayAvailability
 *   stays the raw calendar of sessions.
 */
import { and, gt, lt, ne, or, sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../../db/client.js";
import { anyId } from "../../db/any-id.js";
import { decodeRow } from "../../db/rows.js";
import { availabilityOverrides, availabilityRules, groupSessions, sessions, slotHolds } from "../../db/schema/index.js";
import { badInput, field, forbidden, noun, words, type ErrorReason } from "../../errors.js";
import { DAY, MINUTE } from "../../time.js";
import type { RequestContext } from "../context.js";
import { chargeBytes } from "../response-budget.js";
import { isActiveSql } from "../../rules/session-states.js";
import { isLiveHoldSql } from "../../rules/provider-time.js";
import { canSeeSession } from "../../rules/session-visibility.js";
import {
  addDays,
  checkDate,
  checkDateOrder,
  checkIntRange,
  getClient,
  getProvider,
  MAX_BUFFER_MINUTES,
} from "./schedule.service.js";
import {
  computeSlots,
  DEFAULT_DURATIONS,
  freeIntervals as freeGaps,
  hasScheduleForDay,
  localDateOf,
  wallTimeToInstant,
  whyNotBookable,
  workingIntervalsForRange,
  workingIntervalsOrDefault,
  type DateOverride,
  type DaySlots,
  type WeeklyRule,
} from "./slot-math.js";

export type { DaySlots, Slot } from "./slot-math.js";

/** The longest range availableSlots / slotsForProviders accept, in local days. */
export const MAX_SLOT_RANGE_DAYS = 62;
export const MAX_DURATION_MINUTES = 480;
/** How many providers one slots request may name. */
export const MAX_PROVIDERS_PER_SLOTS_REQUEST = 100;
/**
 * How many distinct durations one slots request may ask for: every slot lists the ones that fit,
 * so each extra duration is paid for by every slot of every day of every provider.
 */
export const MAX_DURATIONS = 8;

/** The client booking rule's one message, whatever the reason (legacy APIs document this text). */
const NOT_AVAILABLE = words`the therapist is not available at the requested time`;

// ---------------------------------------------------------------------------------------
// The reads

interface Schedule {
  rules: WeeklyRule[];
  overrides: DateOverride[];
}

/**
 * The weekly rules and the overrides dated fromDate..toDate of each provider, in ONE statement
 * (a union of both tables). Every requested provider gets an entry, possibly empty.
 */
async function schedulesOf(
  tx: Tx,
  providerIds: readonly number[],
  fromDate: string,
  toDate: string,
): Promise<Map<number, Schedule>> {
  const schedules = new Map<number, Schedule>(providerIds.map((id) => [id, { rules: [], overrides: [] }]));
  if (providerIds.length === 0) return schedules;
  // Everything as text/int: the drivers would otherwise parse `date` differently.
  const rows = rowsOf<{
    kind: "rule" | "override";
    provider_id: number;
    day_of_week: number | null;
    date: string | null;
    start_time: string | null;
    end_time: string | null;
    is_available: boolean;
  }>(
    await tx.execute(sql`
      select 'rule' as kind, provider_id, day_of_week::int as day_of_week, null::text as date,
             start_time::text as start_time, end_time::text as end_time, is_available
        from ${availabilityRules} where ${anyId(availabilityRules.providerId, providerIds)}
      union all
      select 'override', provider_id, null::int, date::text, start_time::text, end_time::text, is_available
        from ${availabilityOverrides} where ${anyId(availabilityOverrides.providerId, providerIds)}
         and date between ${fromDate}::date and ${toDate}::date`),
  );
  for (const r of rows) {
    const schedule = schedules.get(Number(r.provider_id))!;
    if (r.kind === "rule") {
      schedule.rules.push({
        dayOfWeek: Number(r.day_of_week),
        startTime: r.start_time!,
        endTime: r.end_time!,
        isAvailable: r.is_available,
      });
    } else {
      schedule.overrides.push({
        date: r.date!,
        startTime: r.start_time,
        endTime: r.end_time,
        isAvailable: r.is_available,
      });
    }
  }
  return schedules;
}

interface BusySession {
  id: number;
  providerId: number;
  clientId: number;
  title: string | null;
  startsAt: Date;
  endsAt: Date;
}

interface BusyInput {
  providerIds: readonly number[];
  clientId?: number;
  from: Date;
  to: Date;
  excludeSessionId?: number;
}

/** Active sessions of the providers (and of the client when given) overlapping [from, to). */
function busySessionsWhere(input: BusyInput) {
  const { providerIds, clientId, from, to, excludeSessionId } = input;
  return and(
    or(
      providerIds.length ? anyId(sessions.providerId, providerIds) : undefined,
      clientId !== undefined ? sql`${sessions.clientId} = ${clientId}` : undefined,
    ),
    isActiveSql(),
    lt(sessions.startsAt, to),
    gt(sessions.endsAt, from),
    excludeSessionId !== undefined ? ne(sessions.id, excludeSessionId) : undefined,
  );
}

const BUSY_COLUMNS = ["id", "provider_id", "client_id", "title", "starts_at", "ends_at"];

/** Busy time: a session, or time held by a hold or a group (id theirs, clientId null: the provider's alone). */
type BusyTime = Omit<BusySession, "clientId"> & { clientId: number | null };

function busyOf(r: Record<string, unknown>): BusyTime {
  const s = decodeRow(sessions, r);
  return {
    id: s.id,
    providerId: s.providerId,
    clientId: s.clientId,
    title: s.title,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
  };
}

/** What a booking may not overlap: the sessions of busySessions, and the providers' held time. */
interface BusyTimeInput extends BusyInput {
  /** The hold a booking goes through: it does not block its own booking. */
  excludeHoldId?: number;
  /** The group a client joins: its own time (and its other seats) do not refuse the seat. */
  excludeGroupSessionId?: number;
}

/**
 * Everything that makes time unbookable, in ONE statement: the active sessions of busySessions
 * (but the seats of excludeGroupSessionId), and the providers' time held by live holds
 * (group_session_id null: a seat hold keeps a seat, not the provider's time) and taken by active
 * group sessions, as provider_time_is_free() (drizzle/0011) judges them. Held time belongs to
 * the provider only: its clientId is null, so it never blocks the client with another provider.
 */
async function busyTime(tx: Tx, input: BusyTimeInput): Promise<BusyTime[]> {
  const { providerIds, from, to, excludeHoldId, excludeGroupSessionId } = input;
  if (providerIds.length === 0 && input.clientId === undefined) return [];
  const notThisGroup =
    excludeGroupSessionId !== undefined
      ? sql`and ${sessions.groupSessionId} is distinct from ${excludeGroupSessionId}`
      : sql``;
  const providers = sql.param([...providerIds]);
  const raw = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      select ${sql.raw(BUSY_COLUMNS.map((c) => `"sessions"."${c}"`).join(", "))}
        from ${sessions} where ${busySessionsWhere(input)} ${notThisGroup}
      union all
      select id, provider_id, null, null, starts_at, ends_at from ${slotHolds}
       where provider_id = any(${providers}::int[]) and group_session_id is null and ${isLiveHoldSql()}
         and starts_at < ${to.toISOString()}::timestamptz and ends_at > ${from.toISOString()}::timestamptz
         ${excludeHoldId !== undefined ? sql`and id <> ${excludeHoldId}` : sql``}
      union all
      select id, provider_id, null, null, starts_at, ends_at from ${groupSessions}
       where provider_id = any(${providers}::int[]) and cancelled_at is null
         and starts_at < ${to.toISOString()}::timestamptz and ends_at > ${from.toISOString()}::timestamptz
         ${excludeGroupSessionId !== undefined ? sql`and id <> ${excludeGroupSessionId}` : sql``}
       order by starts_at, id`),
  );
  return raw.map(busyOf);
}

const intervalOf = (s: BusyTime) => ({ start: s.startsAt.getTime(), end: s.endsAt.getTime() });

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

/** The durations asked for, each once (duplicates collapse); 1 to 8 distinct whole minutes. */
function validateDurations(durations: readonly number[] | null | undefined): readonly number[] {
  if (durations == null) return DEFAULT_DURATIONS;
  if (!Array.isArray(durations) || durations.length === 0)
    throw badInput("durations", words`${field("durations")} must list at least one duration in minutes`);
  for (const d of durations) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1 || d > MAX_DURATION_MINUTES) {
      throw badInput(
        "durations",
        words`${field("durations")} must be whole minutes from 1 to ${MAX_DURATION_MINUTES}, got ${JSON.stringify(d)}`,
      );
    }
  }
  const distinct = [...new Set(durations)];
  if (distinct.length > MAX_DURATIONS) {
    throw badInput(
      "durations",
      words`${field("durations")} may list at most ${MAX_DURATIONS} distinct values, got ${distinct.length}`,
      "TOO_MUCH_WORK",
    );
  }
  return distinct;
}

/** from..to (to defaults to from), valid dates, from <= to, at most maxDays local days. */
export function validateRange(from: unknown, to: unknown, maxDays = MAX_SLOT_RANGE_DAYS): { from: string; to: string } {
  const f = checkDate("from", from);
  const t = to == null ? f : checkDate("to", to);
  checkDateOrder(f, t);
  if (t > addDays(f, maxDays - 1))
    throw badInput("to", words`the range ${f}..${t} is longer than ${maxDays} days`, "TOO_MUCH_WORK");
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
  if (ids.length === 0) return [];
  const clientId = options.clientId ?? undefined;
  // Generous instants around the local dates: zones lie within UTC-12..+14, durations may run
  // into the day after `to`, and buffers (at most MAX_BUFFER_MINUTES) reach a little further.
  const windowFrom = new Date(Date.parse(`${range.from}T00:00:00Z`) - DAY - MAX_BUFFER_MINUTES * MINUTE);
  const windowTo = new Date(Date.parse(`${addDays(range.to, 2)}T00:00:00Z`) + DAY + MAX_BUFFER_MINUTES * MINUTE);
  // The users, the schedules and the busy sessions at once: the statements go out pipelined, in
  // one round trip. The sessions read before the ids are checked are only used once they are.
  const [providers, client, [schedules, busy]] = await Promise.all([
    Promise.all(ids.map((id) => getProvider(ctx, id))),
    clientId !== undefined ? getClient(ctx, clientId) : undefined,
    ctx.db.run((tx) =>
      Promise.all([
        schedulesOf(tx, ids, range.from, addDays(range.to, 1)),
        busyTime(tx, { providerIds: ids, clientId, from: windowFrom, to: windowTo }),
      ]),
    ),
  ]);
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
        busy: mine.map(intervalOf),
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

/**
 * Several providers' bookable slots per local day (each in their own zone), in the order given,
 * each provider once (at its first mention).
 * A CLIENT caller's own sessions always count as busy (clientId defaults to them; another
 * client's id is FORBIDDEN).
 */
export async function availableSlotsByProvider(
  ctx: RequestContext,
  input: {
    providerIds: readonly number[];
    from: string;
    to?: string | null;
    durations?: readonly number[] | null;
    clientId?: number | null;
  },
): Promise<ProviderSlots[]> {
  // A provider named twice is answered once: the limit (and the work) is per distinct provider.
  const providerIds = [...new Set(input.providerIds)];
  if (providerIds.length === 0 || providerIds.length > MAX_PROVIDERS_PER_SLOTS_REQUEST) {
    throw badInput(
      "providerIds",
      words`${field("providerIds")} must name 1 to ${MAX_PROVIDERS_PER_SLOTS_REQUEST} distinct ${noun("providers")}, got ${providerIds.length}`,
      providerIds.length === 0 ? "VALIDATION" : "TOO_MUCH_WORK",
    );
  }
  const me = ctx.viewer;
  let clientId = input.clientId ?? undefined;
  if (me.role === "CLIENT") {
    if (clientId !== undefined && clientId !== me.id)
      throw forbidden(words`A ${noun("client")} can only ask for slots that fit their own calendar`);
    clientId = me.id;
  }
  return slotsForProviders(ctx, providerIds, input.from, input.to, { durations: input.durations, clientId });
}

/** One provider's bookable slots per local day (see availableSlotsByProvider). */
export async function availableSlots(
  ctx: RequestContext,
  input: {
    providerId: number;
    from: string;
    to?: string | null;
    durations?: readonly number[] | null;
    clientId?: number | null;
  },
): Promise<DaySlots[]> {
  const [result] = await availableSlotsByProvider(ctx, { ...input, providerIds: [input.providerId] });
  return result.days;
}

// ---------------------------------------------------------------------------------------
// A day's free intervals and booked sessions (the fitness API's availability view)

export interface FreeIntervalResult {
  startsAt: Date;
  endsAt: Date;
  durationMinutes: number;
}

export interface BookedSession {
  sessionId: number;
  startsAt: Date;
  endsAt: Date;
  /** Only for those who may see the session (session.visibility.ts); null for anyone else. */
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
  const minDurationMinutes =
    input.minDurationMinutes == null ? 30 : checkIntRange("minDurationMinutes", input.minDurationMinutes, 1, 1440);
  const provider = await getProvider(ctx, input.providerId);
  const zone = provider.timeZone;
  const dayStart = new Date(wallTimeToInstant(date, "00:00", zone));
  const dayEnd = new Date(wallTimeToInstant(date, "24:00", zone));
  const [schedules, busy] = await ctx.db.run(
    async (tx) =>
      [
        await schedulesOf(tx, [provider.id], date, date),
        // Held and group time is not free either; only sessions are listed as booked.
        await busyTime(tx, { providerIds: [provider.id], from: dayStart, to: dayEnd }),
      ] as const,
  );
  const { rules, overrides } = schedules.get(provider.id)!;
  const result = freeGaps({
    date,
    zone,
    working: workingIntervalsOrDefault(date, zone, rules, overrides),
    busy: busy.map((s) => ({ ...intervalOf(s), ref: s })),
    minDurationMinutes,
  });
  return {
    date,
    timeZone: zone,
    defaultHours: !hasScheduleForDay(date, rules, overrides),
    free: result.free.map((f) => ({
      startsAt: new Date(f.start),
      endsAt: new Date(f.end),
      durationMinutes: f.durationMinutes,
    })),
    booked: result.busy.flatMap(({ ref: s }) =>
      s!.clientId === null
        ? []
        : [
            {
              sessionId: s!.id,
              startsAt: s!.startsAt,
              endsAt: s!.endsAt,
              title: canSeeSession(ctx.viewer, { providerId: s!.providerId, clientId: s!.clientId }) ? s!.title : null,
            },
          ],
    ),
  };
}

/**
 * The provider's working hours on the local dates from..to (their zone): the weekly rules with
 * that range's date overrides applied, merged, as instants. A calendar shades them; what is
 * bookable inside them is availableSlots' answer.
 */
export async function workingHours(
  ctx: RequestContext,
  input: { providerId: number; from: string; to?: string | null },
): Promise<FreeIntervalResult[]> {
  const range = validateRange(input.from, input.to);
  const provider = await getProvider(ctx, input.providerId);
  const schedules = await ctx.db.run((tx) => schedulesOf(tx, [provider.id], range.from, range.to));
  const { rules, overrides } = schedules.get(provider.id)!;
  return workingIntervalsForRange(range.from, range.to, provider.timeZone, rules, overrides).map((i) => ({
    startsAt: new Date(i.start),
    endsAt: new Date(i.end),
    durationMinutes: Math.round((i.end - i.start) / MINUTE),
  }));
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
  /** The hold the client books through: their own hold does not refuse them. */
  excludeHoldId?: number;
  /** The group session the client joins: its time (and its other seats) do not refuse the seat. */
  excludeGroupSessionId?: number;
}

/**
 * Why a client may not book [startsAt, endsAt) with the provider, or undefined when they may: it
 * must lie inside the provider's availability (weekly rules + overrides), start after now + min
 * notice, and keep the buffer to every active session of the provider AND the client (except
 * excludeSessionId). No 30-minute grid check. Two statements.
 */
export async function whyNotBookableForClient(
  ctx: RequestContext,
  input: BookableInput,
): Promise<ErrorReason | undefined> {
  const provider = await getProvider(ctx, input.providerId);
  const start = input.startsAt.getTime();
  const end = input.endsAt.getTime();
  if (!Number.isFinite(start) || !Number.isFinite(end) || !(end > start)) return "OUTSIDE_AVAILABILITY";
  // Working hours never cross a local midnight, so a booking longer than a day never fits.
  if (end - start > DAY) return "OUTSIDE_AVAILABILITY";
  const zone = provider.timeZone;
  const firstDate = localDateOf(start, zone);
  const lastDate = localDateOf(end, zone);
  const buffer = provider.bufferMinutes * MINUTE;
  const [schedules, busy] = await ctx.db.run(
    async (tx) =>
      [
        await schedulesOf(tx, [provider.id], firstDate, lastDate),
        await busyTime(tx, {
          providerIds: [provider.id],
          clientId: input.clientId,
          from: new Date(start - buffer),
          to: new Date(end + buffer),
          excludeSessionId: input.excludeSessionId,
          excludeHoldId: input.excludeHoldId,
          excludeGroupSessionId: input.excludeGroupSessionId,
        }),
      ] as const,
  );
  const { rules, overrides } = schedules.get(provider.id)!;
  return whyNotBookable({
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    working: workingIntervalsForRange(firstDate, lastDate, zone, rules, overrides),
    busy: busy.map(intervalOf),
    now: ctx.deps.now(),
    minNoticeMinutes: provider.minNoticeMinutes,
    bufferMinutes: provider.bufferMinutes,
  });
}

/**
 * BAD_USER_INPUT "the therapist is not available at the requested time" (field startsAt) unless
 * the client may book: reason IN_THE_PAST, OUTSIDE_AVAILABILITY (outside the hours or too close to
 * another session) or MIN_NOTICE (bookable but too soon); the message is the same for all three.
 */
export async function assertBookableForClient(ctx: RequestContext, input: BookableInput): Promise<void> {
  const reason = await whyNotBookableForClient(ctx, input);
  if (reason) throw notBookableForClient(reason);
}

/** The error of a slot a client may not book, for a reason whyNotBookableForClient gave. */
export const notBookableForClient = (reason: ErrorReason) => badInput("startsAt", NOT_AVAILABLE, reason);
