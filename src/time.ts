import { DateTime, IANAZone } from "luxon";
import { badInput } from "./errors.js";

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

export function isTimeZone(value: string): boolean {
  return IANAZone.isValidZone(value);
}

export function assertTimeZone(value: string, field: string): string {
  if (!isTimeZone(value)) throw badInput(field, `${field} must be an IANA time zone such as America/New_York, got "${value}"`);
  return value;
}

/** A real calendar day written YYYY-MM-DD (2026-02-30 is not one), in the supported years. */
export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  return !!m && isSupportedYear(+m[1]) && DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3] }, { zone: "UTC" }).isValid;
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
export const minutesBetween = (start: Date, end: Date): number => Math.round((end.getTime() - start.getTime()) / MINUTE);

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
  for (let s = start; s < end; ) {
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
  const segments = utcDayOffsets.get(key) ?? remember(utcDayOffsets, key, offsetSegments(dayStart, dayStart + DAY, zone));
  return segments.find((segment) => instant < segment.end)!.offsetMs;
}

/** The local wall date (YYYY-MM-DD) and time (HH:MM:SS) of an instant in a valid zone. */
export function localDateTime(instant: Date | number, zone: string): { date: string; time: string } {
  const iso = new Date(+instant + utcOffsetMs(+instant, zone)).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/** The local calendar date of an instant in a zone. */
export function localDate(instant: Date, zone: string): string {
  return localDateTime(instant, zone).date;
}

/** A naive local date-time (YYYY-MM-DD + HH:MM[:SS]) in a zone, as an instant; undefined when it does not exist, is malformed or is outside the supported years. */
export function localToInstant(date: string, time: string, zone: string): Date | undefined {
  const dt = DateTime.fromISO(`${date}T${time}`, { zone });
  if (!dt.isValid || !isSupportedYear(dt.year)) return undefined;
  // A wall-clock time skipped by a DST change does not exist: luxon would silently shift it.
  const [h, m] = time.split(":").map(Number);
  if (dt.hour !== h || dt.minute !== m) return undefined;
  return dt.toJSDate();
}
