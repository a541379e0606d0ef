/**
 * Pure slot math: weekly wall-clock rules + date overrides -> working intervals (instants)
 * -> bookable start times, free gaps and bookability checks. No database, no GraphQL.
 *
 * Time model. Rules and overrides are wall-clock times ("HH:MM" or "HH:MM:SS"; "24:00" is the
 * end of the day) in the provider's IANA zone. Every result is an instant. Each wall time is
 * converted on its own local date by the one rule in src/time.ts (resolveWallTime), so an
 * interval's length is real elapsed time:
 * - Spring forward (America/New_York, 2026-03-08, 02:00 -> 03:00): a rule 01:00–04:00 runs from
 *   01:00 EST = 06:00Z to 04:00 EDT = 08:00Z, 2 real hours. A wall time that does not exist
 *   (02:30) moves forward by the gap: 03:30 EDT = 07:30Z.
 * - Fall back (2026-11-01, 02:00 -> 01:00): a rule 00:00–03:00 runs from 00:00 EDT = 04:00Z to
 *   03:00 EST = 08:00Z, 4 real hours. A wall time that occurs twice (01:30) is its first
 *   occurrence, in every zone: 01:30 EDT = 05:30Z.
 * - Slot starts lie on a grid of local wall-clock time aligned to local midnight (:00 and :30
 *   for 30 minutes; in Asia/Kolkata, +05:30, that is still :00/:30 local = :30/:00 UTC). On a
 *   spring-forward night the skipped wall times have no starts; on a fall-back night the
 *   repeated hour has starts in both offsets (01:00 EDT and 01:00 EST). Durations are real
 *   minutes.
 * - A local day runs from one local midnight to the next (23 or 25 real hours on DST days).
 *
 * Intervals are half-open [start, end) in epoch milliseconds: back-to-back never overlaps.
 */
import { DateTime, IANAZone } from "luxon";
import {
  isCalendarDate,
  localDateTime,
  MINUTE,
  offsetSegments,
  remember,
  resolveWallTime,
  type OffsetSegment,
} from "../../time.js";

/** [start, end) in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/** A busy interval (a session); `ref` is carried through untouched (id, title, ...). */
export interface BusyInterval<R = unknown> extends Interval {
  ref?: R;
}

export interface FreeInterval extends Interval {
  durationMinutes: number;
}

/** Wall-clock "HH:MM" or "HH:MM:SS" (the DB returns the latter); "24:00" = end of day. */
export type WallTime = string;

/** A weekly rule; only isAvailable rules give working hours. dayOfWeek: 0 = Sunday. */
export interface WeeklyRule {
  dayOfWeek: number;
  startTime: WallTime;
  endTime: WallTime;
  isAvailable: boolean;
}

/** A date override (date YYYY-MM-DD); times are both set or both absent. */
export interface DateOverride {
  date: string;
  startTime?: WallTime | null;
  endTime?: WallTime | null;
  isAvailable: boolean;
}

export interface WallHours {
  start: WallTime;
  end: WallTime;
}

export interface Slot {
  startsAt: Date;
  /** Minutes, ascending. */
  availableDurations: number[];
}

export interface DaySlots {
  date: string;
  slots: Slot[];
}

export interface SlotOptions {
  /** Minutes offered per start; default 30, 60, 90, 120. */
  durations?: readonly number[];
  now: Date;
  /** Starts earlier than now + minNoticeMinutes are never offered. */
  minNoticeMinutes?: number;
  /** Busy intervals are widened by this on both sides. */
  bufferMinutes?: number;
  /** Wall-clock grid step; must divide a day (1440). */
  gridMinutes?: number;
}

export const DEFAULT_DURATIONS: readonly number[] = [30, 60, 90, 120];
/** The fitness API's hours for a provider with no schedule for a date. */
export const DEFAULT_WORKING_HOURS: WallHours = { start: "08:00", end: "20:00" };

// ---------------------------------------------------------------------------------------
// Calendar and zone helpers (luxon does every zone conversion)

function zoneOf(zone: string): IANAZone {
  if (!IANAZone.isValidZone(zone)) throw new RangeError(`invalid time zone "${zone}"`);
  return IANAZone.create(zone);
}

// Every result below is memoized: building luxon DateTimes and asking Intl for offsets costs
// microseconds each, and the same (zone, date, time) comes back for every provider and every
// request. The caches are invisible to callers (same inputs, same outputs) and are simply
// dropped when they grow large (remember).
const calendarCache = new Map<string, CalendarDay>();
const instantCache = new Map<string, number>();
const dayCache = new Map<string, LocalDay>();

interface CalendarDay {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  next: string;
}

/** A validated calendar date (no zone involved). */
function calendarDay(date: string): CalendarDay {
  const hit = calendarCache.get(date);
  if (hit) return hit;
  if (!isCalendarDate(date)) throw new RangeError(`invalid date "${date}" (YYYY-MM-DD)`);
  const d = DateTime.fromISO(date, { zone: "UTC" });
  const info = {
    year: d.year,
    month: d.month,
    day: d.day,
    weekday: d.weekday % 7,
    next: d.plus({ days: 1 }).toISODate()!,
  };
  return remember(calendarCache, date, info);
}

function parseWallTime(time: WallTime): { hour: number; minute: number; second: number } {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  const [hour, minute, second] = m ? [+m[1], +m[2], +(m[3] ?? 0)] : [NaN, NaN, NaN];
  const endOfDay = hour === 24 && minute === 0 && second === 0;
  if (!(endOfDay || (hour < 24 && minute < 60 && second < 60)))
    throw new RangeError(`invalid time "${time}" (HH:MM or HH:MM:SS)`);
  return { hour, minute, second };
}

/** Local dates from..to inclusive (YYYY-MM-DD); at most maxDays of them. */
export function localDaysInRange(from: string, to: string, maxDays = 366): string[] {
  calendarDay(from);
  calendarDay(to);
  if (to < from) throw new RangeError(`date range ${from}..${to} ends before it starts`);
  const days: string[] = [];
  // YYYY-MM-DD strings compare like the dates they name.
  for (let d = from; d <= to; d = calendarDay(d).next) {
    if (days.length === maxDays) throw new RangeError(`date range ${from}..${to} is longer than ${maxDays} days`);
    days.push(d);
  }
  return days;
}

/** 0 = Sunday ... 6 = Saturday, like the rules. */
export function weekdayOf(date: string): number {
  return calendarDay(date).weekday;
}

/** The local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(instant: Date | number, zone: string): string {
  zoneOf(zone);
  return localDateTime(instant, zone).date;
}

/** The instant of a wall time on a local date (see the DST rules at the top of the file). */
export function wallTimeToInstant(date: string, time: WallTime, zone: string): number {
  const key = `${zone}|${date}|${time}`;
  const hit = instantCache.get(key);
  if (hit !== undefined) return hit;
  zoneOf(zone);
  const { hour, minute, second } = parseWallTime(time);
  // 24:00 is midnight of the next local date, not 24 hours after this one's midnight.
  const day = hour === 24 ? calendarDay(calendarDay(date).next) : calendarDay(date);
  const wall = Date.UTC(day.year, day.month - 1, day.day, hour % 24, minute, second);
  return remember(instantCache, key, resolveWallTime(wall, zone).instant);
}

function wallRange(date: string, start: WallTime, end: WallTime, zone: string): Interval {
  return { start: wallTimeToInstant(date, start, zone), end: wallTimeToInstant(date, end, zone) };
}

interface LocalDay extends Interval {
  date: string;
  segments: OffsetSegment[];
}

/** [local midnight, next local midnight) split where the UTC offset changes. */
function localDay(date: string, zone: string): LocalDay {
  const key = `${zone}|${date}`;
  const hit = dayCache.get(key);
  if (hit) return hit;
  zoneOf(zone);
  const start = wallTimeToInstant(date, "00:00", zone);
  const end = wallTimeToInstant(date, "24:00", zone);
  const segments = offsetSegments(start, end, zone);
  return remember(dayCache, key, { date, start, end, segments });
}

// ---------------------------------------------------------------------------------------
// Interval algebra (inputs in any order; outputs sorted, merged, non-empty)

/** Sorted union; overlapping and touching intervals become one, empty ones are dropped. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const { start, end } of sorted) {
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else out.push({ start, end });
  }
  return out;
}

/** base minus busy, walking both sorted lists once. */
export function subtractIntervals(base: readonly Interval[], busy: readonly Interval[]): Interval[] {
  const cuts = mergeIntervals(busy);
  const out: Interval[] = [];
  let c = 0;
  for (const { start, end } of mergeIntervals(base)) {
    let s = start;
    while (c < cuts.length && cuts[c].end <= s) c++;
    for (let k = c; k < cuts.length && cuts[k].start < end; k++) {
      if (cuts[k].start > s) out.push({ start: s, end: cuts[k].start });
      s = Math.max(s, cuts[k].end);
    }
    if (s < end) out.push({ start: s, end });
  }
  return out;
}

/** Busy intervals widened by bufferMinutes on both sides, merged. */
export function expandIntervals(busy: readonly Interval[], bufferMinutes: number): Interval[] {
  const pad = bufferMinutes * MINUTE;
  return mergeIntervals(busy.map((b) => ({ start: b.start - pad, end: b.end + pad })));
}

// ---------------------------------------------------------------------------------------
// Working hours

/**
 * The working intervals of one local date, merged (adjacent rules make one interval).
 *
 * Overrides dated `date` replace that date's weekly rules, in this order:
 * 1. an unavailable override without times makes the whole day off (the weekly hours go);
 * 2. available overrides (always with times) ADD extra hours: the day's hours are the union
 *    of the remaining weekly hours and the extra hours (so "extra hours" never shortens a
 *    normal day; a day off plus extra hours is just the extra hours);
 * 3. unavailable overrides with times remove that time off from the result (time off wins).
 * `overrides` may hold other dates too; only those dated `date` are used.
 */
export function workingIntervalsForDay(
  date: string,
  zone: string,
  rules: readonly WeeklyRule[],
  overrides: readonly DateOverride[] = [],
): Interval[] {
  const weekday = weekdayOf(date);
  const weekly = rules
    .filter((r) => r.isAvailable && r.dayOfWeek === weekday)
    .map((r) => wallRange(date, r.startTime, r.endTime, zone));
  const today = overrides.filter((o) => o.date === date);
  if (today.length === 0) return mergeIntervals(weekly);
  const ranged = (available: boolean) =>
    today
      .filter((o) => o.isAvailable === available && o.startTime && o.endTime)
      .map((o) => wallRange(date, o.startTime!, o.endTime!, zone));
  const dayOff = today.some((o) => !o.isAvailable && !o.startTime);
  return subtractIntervals([...(dayOff ? [] : weekly), ...ranged(true)], ranged(false));
}

/** Working intervals for the local dates from..to inclusive, merged across midnight. */
export function workingIntervalsForRange(
  from: string,
  to: string,
  zone: string,
  rules: readonly WeeklyRule[],
  overrides: readonly DateOverride[] = [],
  maxDays = 366,
): Interval[] {
  return mergeIntervals(
    localDaysInRange(from, to, maxDays).flatMap((d) => workingIntervalsForDay(d, zone, rules, overrides)),
  );
}

/** True when the provider has an available weekly rule for the weekday or any override for the date. */
export function hasScheduleForDay(
  date: string,
  rules: readonly WeeklyRule[],
  overrides: readonly DateOverride[] = [],
): boolean {
  const weekday = weekdayOf(date);
  return rules.some((r) => r.isAvailable && r.dayOfWeek === weekday) || overrides.some((o) => o.date === date);
}

/** Default hours (08:00–20:00 unless given) on a local date. */
function defaultWorkingIntervals(date: string, zone: string, hours: WallHours = DEFAULT_WORKING_HOURS): Interval[] {
  return mergeIntervals([wallRange(date, hours.start, hours.end, zone)]);
}

/** The date's working intervals, or the default hours when the provider has no schedule for it (the fitness API's calendar). */
export function workingIntervalsOrDefault(
  date: string,
  zone: string,
  rules: readonly WeeklyRule[],
  overrides: readonly DateOverride[] = [],
  hours: WallHours = DEFAULT_WORKING_HOURS,
): Interval[] {
  return hasScheduleForDay(date, rules, overrides)
    ? workingIntervalsForDay(date, zone, rules, overrides)
    : defaultWorkingIntervals(date, zone, hours);
}

// ---------------------------------------------------------------------------------------
// Slots

interface Prepared {
  durationsMs: number[];
  gridMs: number;
  earliest: number;
  busy: Interval[];
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number >= 0`);
  return value;
}

function prepare(options: SlotOptions, busy: readonly Interval[]): Prepared {
  const { durations = DEFAULT_DURATIONS, now, minNoticeMinutes = 0, bufferMinutes = 0, gridMinutes = 30 } = options;
  if (durations.some((d) => !Number.isInteger(d) || d <= 0))
    throw new RangeError("durations must be positive whole minutes");
  if (!Number.isInteger(gridMinutes) || gridMinutes <= 0 || 1440 % gridMinutes !== 0) {
    throw new RangeError("gridMinutes must be a whole number of minutes dividing 1440");
  }
  return {
    durationsMs: [...new Set(durations)].sort((a, b) => a - b).map((d) => d * MINUTE),
    gridMs: gridMinutes * MINUTE,
    earliest: now.getTime() + nonNegative(minNoticeMinutes, "minNoticeMinutes") * MINUTE,
    busy: expandIntervals(busy, nonNegative(bufferMinutes, "bufferMinutes")),
  };
}

/** Positions in the sorted working and busy lists; they only move forward. */
interface Cursor {
  w: number;
  b: number;
}

/**
 * The slots starting on one local day. `working` and `p.busy` are merged and sorted; every
 * candidate start is later than the previous one, so both cursors only move forward.
 */
function walkDay(day: LocalDay, working: readonly Interval[], p: Prepared, cursor: Cursor): Slot[] {
  const slots: Slot[] = [];
  const from = Math.max(day.start, p.earliest);
  while (cursor.w < working.length && working[cursor.w].end <= from) cursor.w++;
  for (let w = cursor.w; w < working.length && working[w].start < day.end; w++) {
    const work = working[w];
    for (const seg of day.segments) {
      const lo = Math.max(work.start, seg.start, from);
      const hi = Math.min(work.end, seg.end);
      // First instant >= lo whose local wall time is on the grid. The grid divides a day and
      // local midnights are whole days in local time, so "on the grid" = (t + offset) % grid == 0.
      let t = Math.ceil((lo + seg.offsetMs) / p.gridMs) * p.gridMs - seg.offsetMs;
      for (; t < hi; t += p.gridMs) {
        while (cursor.b < p.busy.length && p.busy[cursor.b].end <= t) cursor.b++;
        const next = p.busy[cursor.b];
        if (next && next.start <= t) continue; // t itself is busy
        const limit = next ? Math.min(work.end, next.start) : work.end;
        const availableDurations: number[] = [];
        for (const d of p.durationsMs) {
          if (t + d > limit) break;
          availableDurations.push(d / MINUTE);
        }
        if (availableDurations.length > 0) slots.push({ startsAt: new Date(t), availableDurations });
      }
    }
  }
  return slots;
}

/**
 * Bookable starts for one provider over the local dates from..to inclusive, one entry per
 * date (possibly with no slots). Busy intervals are sorted once and walked with a cursor.
 */
export function computeSlots(
  input: {
    from: string;
    to: string;
    zone: string;
    rules: readonly WeeklyRule[];
    overrides?: readonly DateOverride[];
    busy: readonly Interval[];
    maxDays?: number;
  } & SlotOptions,
): DaySlots[] {
  const { from, to, zone, rules, overrides = [], maxDays = 366 } = input;
  const dates = localDaysInRange(from, to, maxDays);
  // The day after `to` too: working hours running past midnight let late starts fit longer durations.
  const dayAfter = calendarDay(to).next;
  const working = mergeIntervals(
    [...dates, dayAfter].flatMap((d) => workingIntervalsForDay(d, zone, rules, overrides)),
  );
  const p = prepare(input, input.busy);
  const cursor: Cursor = { w: 0, b: 0 };
  return dates.map((date) => ({ date, slots: walkDay(localDay(date, zone), working, p, cursor) }));
}

// ---------------------------------------------------------------------------------------
// Free gaps and bookability

/**
 * The maximal free gaps of at least minDurationMinutes inside the date's working hours (see
 * workingIntervalsOrDefault), and the busy intervals of that local day (sorted, `ref` carried
 * through) — the fitness API's available_slots and booked_sessions.
 */
export function freeIntervals<R = unknown>(input: {
  date: string;
  zone: string;
  working: readonly Interval[];
  busy: readonly BusyInterval<R>[];
  minDurationMinutes?: number;
}): { date: string; free: FreeInterval[]; busy: BusyInterval<R>[] } {
  const { date, zone, working, busy, minDurationMinutes = 0 } = input;
  const day = localDay(date, zone);
  const inDay = working.map((w) => ({ start: Math.max(w.start, day.start), end: Math.min(w.end, day.end) }));
  const minMs = nonNegative(minDurationMinutes, "minDurationMinutes") * MINUTE;
  const free = subtractIntervals(inDay, busy)
    .filter((i) => i.end - i.start >= minMs)
    .map((i) => ({ ...i, durationMinutes: Math.floor((i.end - i.start) / MINUTE) }));
  const booked = busy.filter((b) => b.start < day.end && b.end > day.start).sort((a, b) => a.start - b.start);
  return { date, free, busy: booked };
}

/** Why a booking is refused: the reasons of the client booking rule (src/errors.ts). */
export type BookingRefusal = "IN_THE_PAST" | "OUTSIDE_AVAILABILITY" | "MIN_NOTICE";

/**
 * Why a client may not book [startsAt, endsAt), or undefined when they may: it must lie inside
 * one working interval, overlap no busy interval widened by bufferMinutes, and start at or after
 * now + minNoticeMinutes. No grid alignment is required. In this order: a start before now is
 * IN_THE_PAST; outside the hours or too close to a session (or an empty range) is
 * OUTSIDE_AVAILABILITY; an otherwise bookable time that is too soon is MIN_NOTICE.
 * `working` must cover the local dates the booking touches (use workingIntervalsForRange with
 * localDateOf(startsAt) and localDateOf(endsAt)); `busy` must not contain the session being
 * rescheduled.
 */
export function whyNotBookable(input: {
  startsAt: Date;
  endsAt: Date;
  working: readonly Interval[];
  busy: readonly Interval[];
  now: Date;
  minNoticeMinutes?: number;
  bufferMinutes?: number;
}): BookingRefusal | undefined {
  const start = input.startsAt.getTime();
  const end = input.endsAt.getTime();
  const { minNoticeMinutes = 0, bufferMinutes = 0 } = input;
  const now = input.now.getTime();
  const notice = nonNegative(minNoticeMinutes, "minNoticeMinutes") * MINUTE;
  const buffer = nonNegative(bufferMinutes, "bufferMinutes");
  if (start < now) return "IN_THE_PAST";
  if (!(end > start)) return "OUTSIDE_AVAILABILITY";
  if (!mergeIntervals(input.working).some((w) => w.start <= start && end <= w.end)) return "OUTSIDE_AVAILABILITY";
  if (expandIntervals(input.busy, buffer).some((b) => b.start < end && start < b.end)) return "OUTSIDE_AVAILABILITY";
  if (start < now + notice) return "MIN_NOTICE";
  return undefined;
}

/**
 * The local dates whose slots a busy interval can change: a slot may start up to `beforeMs`
 * earlier (the longest duration plus the buffer) and the buffer reaches `afterMs` past its end.
 */
export function datesTouchedBy(
  intervals: readonly Interval[],
  zone: string,
  beforeMs: number,
  afterMs: number,
): string[] {
  const dates = new Set<string>();
  for (const { start, end } of intervals) {
    const last = localDateOf(end + afterMs - 1, zone);
    for (let d = localDateOf(start - beforeMs, zone); d <= last; d = calendarDay(d).next) dates.add(d);
  }
  return [...dates].sort();
}
