import { DateTime, IANAZone } from "luxon";
import { badInput, field, words } from "./errors.js";

/** Strict formats shared by the GraphQL scalars and the REST shims. */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * The years a date or an instant may fall in. No schedule needs others, and near the ends of
 * 0001..9999 a zone offset, a session's length or a range of days reaches year 0 or 10000,
 * which neither PostgreSQL nor a 4-digit ISO date can hold.
 */
const FIRST_YEAR = 1900;
const LAST_YEAR = 2999;
export const SUPPORTED_DATES = `between ${FIRST_YEAR}-01-01 and ${LAST_YEAR}-12-31`;
/** The same years in a JSON-schema pattern (the REST shims' date, month and year parameters). */
export const SUPPORTED_YEAR_PATTERN = "(19\\d{2}|2\\d{3})";

export function isSupportedYear(year: number): boolean {
  return year >= FIRST_YEAR && year <= LAST_YEAR;
}

const zoneValidity = new Map<string, boolean>();

/** An IANA zone name this runtime knows (asked of Intl once per name: it costs a formatter each time). */
export function isTimeZone(value: string): boolean {
  return zoneValidity.get(value) ?? remember(zoneValidity, value, IANAZone.isValidZone(value));
}

export function assertTimeZone(value: string, name: string): string {
  if (!isTimeZone(value))
    throw badInput(name, words`${field(name)} must be an IANA time zone such as America/New_York, got "${value}"`);
  return value;
}

/** A real calendar day written YYYY-MM-DD (2026-02-30 is not one), in the supported years. */
export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  return (
    !!m &&
    isSupportedYear(+m[1]) &&
    DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3] }, { zone: "UTC" }).isValid
  );
}

/** HH:MM on a 24-hour clock, 00:00 to 23:59. */
export function isLocalTime(value: string): boolean {
  return LOCAL_TIME.test(value);
}

/** An instant in ISO 8601 with a date, a time and an offset (Z or ±HH:MM), in the supported years. */
export function parseInstant(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) return undefined;
  const dt = DateTime.fromISO(value, { setZone: true });
  return dt.isValid && isSupportedYear(dt.year) ? dt.toJSDate() : undefined;
}

// Zone offsets. Luxon asks Intl for every offset (microseconds each, the REST shims' main cost
// when they print a page of local times), so they are looked up once per zone and day and kept.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Whole minutes from start to end (a session's length): the one rounding every adapter shows. */
export const minutesBetween = (start: Date, end: Date): number =>
  Math.round((end.getTime() - start.getTime()) / MINUTE);

const CACHE_LIMIT = 20_000;

/** A memo that is simply dropped when it grows large (same inputs, same outputs). */
export function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** A stretch of time during which a zone's UTC offset is constant. */
export interface OffsetSegment {
  start: number;
  end: number;
  offsetMs: number;
}

/**
 * [start, end) (at most a day) split where the zone's UTC offset changes. A change is found by
 * comparing the offsets at both ends: a zone never changes and changes back within a day.
 */
export function offsetSegments(start: number, end: number, zone: string): OffsetSegment[] {
  const tz = IANAZone.create(zone);
  const segments: OffsetSegment[] = [];
  for (let s = start; s < end;) {
    const offset = tz.offset(s);
    let e = end;
    if (tz.offset(end - 1) !== offset) {
      // Binary search for the first millisecond with another offset (the DST change).
      let lo = s;
      let hi = end - 1;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (tz.offset(mid) === offset) lo = mid;
        else hi = mid;
      }
      e = hi;
    }
    segments.push({ start: s, end: e, offsetMs: offset * MINUTE });
    s = e;
  }
  return segments;
}

const utcDayOffsets = new Map<string, OffsetSegment[]>();

/** A valid zone's UTC offset at an instant, in milliseconds (looked up once per zone and UTC day). */
export function utcOffsetMs(instant: number, zone: string): number {
  const dayStart = Math.floor(instant / DAY) * DAY;
  const key = `${zone}|${dayStart}`;
  const segments =
    utcDayOffsets.get(key) ?? remember(utcDayOffsets, key, offsetSegments(dayStart, dayStart + DAY, zone));
  return segments.find((segment) => instant < segment.end)!.offsetMs;
}

/** The local wall date (YYYY-MM-DD) and time (HH:MM:SS) of an instant in a valid zone. */
export function localDateTime(instant: Date | number, zone: string): { date: string; time: string } {
  const iso = new Date(+instant + utcOffsetMs(+instant, zone)).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/**
 * An instant's wall-clock time in a zone, to the second, as epoch ms read as if the zone were
 * UTC: what resolveWallTime takes back, and what wall-clock arithmetic (a series' occurrences,
 * their shift) adds to.
 */
export function wallClockMs(instant: Date | number, zone: string): number {
  return Math.floor((+instant + utcOffsetMs(+instant, zone)) / 1000) * 1000;
}

/** The local calendar date of an instant in a zone. */
export function localDate(instant: Date, zone: string): string {
  return localDateTime(instant, zone).date;
}

// ---- Local wall time -> instant: the one rule -------------------------------------------------
//
// A wall time (a date and a time on the clocks of a zone) names zero, one or two instants:
// - one, nearly always;
// - two inside the repeated hour after the clocks fall back: the FIRST occurrence counts, in every
//   zone (luxon alone picks the second in some zones and the first in others);
// - none inside the gap when the clocks spring forward: localToInstant (the REST shims' naive
//   times) answers undefined; wallTimeToInstant (weekly rules, overrides, slots) moves the time
//   forward by the gap (02:30 on a New York spring-forward night is 03:30 EDT).

/**
 * The instant of a wall time given as epoch milliseconds read as if the zone were UTC (a valid
 * zone). `exists` is false for a time the clocks skip; `instant` is then that time moved forward by
 * the gap. Offsets are read a day before and after: a zone never changes twice within two days.
 */
export function resolveWallTime(wall: number, zone: string): { instant: number; exists: boolean } {
  const before = utcOffsetMs(wall - DAY, zone);
  const after = utcOffsetMs(wall + DAY, zone);
  // The first occurrence has the earlier instant: the offset before a fall-back is the larger one.
  const candidates = [wall - Math.max(before, after), wall - Math.min(before, after)];
  for (const instant of candidates) {
    if (instant - wall + utcOffsetMs(instant, zone) === 0) return { instant, exists: true };
  }
  // Skipped: read with the offset from before the change, the time lands after it, moved forward by the gap.
  return { instant: wall - before, exists: false };
}

/** Wall-clock hours, minutes and seconds of a local time written HH:MM, HH:MM:SS or HH:MM:SS.ffffff. */
const WALL_TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * A naive local date-time (YYYY-MM-DD + HH:MM[:SS[.fff]]) in a zone, as an instant: the first
 * occurrence of a repeated time; undefined when the clocks skip it, when it is malformed, or
 * outside the supported years or a valid zone.
 */
export function localToInstant(date: string, time: string, zone: string): Date | undefined {
  const m = WALL_TIME.exec(time);
  if (!m || !isCalendarDate(date) || !isTimeZone(zone)) return undefined;
  const [hour, minute, second] = [+m[1], +m[2], +(m[3] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millisecond = Math.floor(+`0.${m[4] ?? 0}` * 1000);
  const [y, mo, d] = date.split("-").map(Number);
  const wall = Date.UTC(y, mo - 1, d, hour, minute, second, millisecond);
  // Date.UTC maps years 0..99 to 1900..1999; isCalendarDate has already refused those years.
  const { instant, exists } = resolveWallTime(wall, zone);
  return exists ? new Date(instant) : undefined;
}
