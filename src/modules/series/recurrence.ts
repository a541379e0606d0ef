import { RRuleTemporal } from "rrule-temporal";
import { Temporal } from "temporal-polyfill";
import { badInput, field, words, type Words } from "../../errors.js";
import { DAY, resolveWallTime, wallClockMs } from "../../time.js";

/** At most this many occurrences in one series. */
export const MAX_OCCURRENCES = 200;
/** A series spans at most two years from its first start (UNTIL, or the last occurrence). */
export const MAX_SPAN_YEARS = 2;

/** The supported subset of RFC 5545 (3.3.10), part by part; anything else is INVALID_RECURRENCE. */
const WEEKDAY = "(?:MO|TU|WE|TH|FR|SA|SU)";
const PART_VALUES: Record<string, RegExp> = {
  FREQ: /^(?:DAILY|WEEKLY|MONTHLY)$/,
  INTERVAL: /^[1-9]\d{0,2}$/,
  COUNT: /^[1-9]\d{0,5}$/,
  UNTIL: /^\d{8}(?:T\d{6}Z?)?$/,
  BYDAY: new RegExp(`^[+-]?(?:[1-5]?${WEEKDAY})(?:,[+-]?[1-5]?${WEEKDAY})*$`),
  BYMONTHDAY: /^-?(?:[1-9]|[12]\d|3[01])(?:,-?(?:[1-9]|[12]\d|3[01]))*$/,
  BYSETPOS: /^-?[1-9]\d{0,2}(?:,-?[1-9]\d{0,2})*$/,
};

export interface Recurrence {
  /** The rule as written (normalised: upper case, no "RRULE:" prefix). */
  rule: string;
  parts: Map<string, string>;
}

const invalid = (message: Words) => badInput("recurrence", message, "INVALID_RECURRENCE");

/**
 * Checks a rule against the supported subset, naming the first part that is not: FREQ
 * DAILY|WEEKLY|MONTHLY, INTERVAL, BYDAY (ordinals only in MONTHLY), BYMONTHDAY, BYSETPOS, and
 * exactly one of COUNT (at most 200) or UNTIL.
 */
export function parseRecurrence(text: string): Recurrence {
  const rule = text
    .trim()
    .replace(/^RRULE:/i, "")
    .toUpperCase();
  const parts = new Map<string, string>();
  for (const part of rule.split(";")) {
    const [name, value, ...rest] = part.split("=");
    if (!name || value === undefined || rest.length)
      throw invalid(words`${field("recurrence")}: "${part}" is not NAME=VALUE`);
    if (!(name in PART_VALUES)) throw invalid(words`${field("recurrence")}: ${name} is not supported`);
    if (parts.has(name)) throw invalid(words`${field("recurrence")}: ${name} is given twice`);
    if (!PART_VALUES[name].test(value)) throw invalid(words`${field("recurrence")}: ${name}=${value} is not supported`);
    parts.set(name, value);
  }
  if (!parts.has("FREQ")) throw invalid(words`${field("recurrence")}: FREQ is required`);
  if (parts.has("COUNT") === parts.has("UNTIL"))
    throw invalid(words`${field("recurrence")}: exactly one of COUNT or UNTIL is required`);
  if (Number(parts.get("COUNT") ?? 0) > MAX_OCCURRENCES)
    throw invalid(words`${field("recurrence")}: COUNT must be at most ${MAX_OCCURRENCES}`);
  if (parts.get("FREQ") !== "MONTHLY" && /\d/.test(parts.get("BYDAY") ?? ""))
    throw invalid(words`${field("recurrence")}: BYDAY with an ordinal (1MO, -1FR) needs FREQ=MONTHLY`);
  if (parts.get("FREQ") !== "MONTHLY" && parts.has("BYMONTHDAY"))
    throw invalid(words`${field("recurrence")}: BYMONTHDAY needs FREQ=MONTHLY`);
  if (parts.has("BYSETPOS") && !parts.has("BYDAY") && !parts.has("BYMONTHDAY"))
    throw invalid(words`${field("recurrence")}: BYSETPOS needs BYDAY or BYMONTHDAY`);
  return { rule: [...parts].map(([k, v]) => `${k}=${v}`).join(";"), parts };
}

/** A wall time (epoch ms read as if the zone were UTC) as a Temporal value in UTC: the rule runs on wall-clock time. */
const wallZdt = (wall: number) => Temporal.Instant.fromEpochMilliseconds(wall).toZonedDateTimeISO("UTC");

/** UNTIL as a wall time in the zone: a UTC instant converted, a date alone the end of that local day. */
function untilWall(value: string, zone: string): number {
  const [y, mo, d] = [value.slice(0, 4), value.slice(4, 6), value.slice(6, 8)];
  if (value.length === 8) return Date.parse(`${y}-${mo}-${d}T23:59:59Z`);
  const [h, mi, s] = [value.slice(9, 11), value.slice(11, 13), value.slice(13, 15)];
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
  // A floating UNTIL (no Z) is already a wall time; a UTC one is converted to the zone's.
  return value.endsWith("Z") ? wallClockMs(new Date(iso), zone) : Date.parse(iso);
}

/** The last instant a series starting at `start` may reach. */
export function spanEnd(start: Date): Date {
  const end = new Date(start);
  end.setUTCFullYear(end.getUTCFullYear() + MAX_SPAN_YEARS);
  return end;
}

/**
 * The starts of a rule's occurrences, first to last. The rule is expanded by rrule-temporal on
 * the series zone's wall-clock time (so a Tuesday 15:00 stays 15:00 across DST), and each wall
 * time is resolved to an instant by the rule availability and slots follow (resolveWallTime): a
 * time the clocks skip moves forward by the gap, a repeated one takes its first occurrence.
 * (rrule-temporal itself drops a skipped time, as RFC 5545 says; a course keeps its session.)
 * Unbounded, over 200 occurrences, past two years or UNTIL before the start: INVALID_RECURRENCE.
 */
export function expandRecurrence(recurrence: Recurrence, startsAt: Date, zone: string): Date[] {
  const { parts } = recurrence;
  const startWall = wallClockMs(startsAt, zone);
  const until = parts.has("UNTIL") ? untilWall(parts.get("UNTIL")!, zone) : undefined;
  if (until !== undefined && until < startWall)
    throw invalid(words`${field("recurrence")}: UNTIL is before ${field("startsAt")}`);
  const lastAllowed = spanEnd(startsAt).getTime();
  if (until !== undefined && until - DAY > wallClockMs(new Date(lastAllowed), zone))
    throw invalid(words`${field("recurrence")}: a series may span at most ${MAX_SPAN_YEARS} years`);
  const ruleString = [...parts]
    .filter(([name]) => name !== "UNTIL")
    .map(([k, v]) => `${k}=${v}`)
    .join(";");
  let rule: RRuleTemporal;
  try {
    rule = new RRuleTemporal({
      rruleString: `RRULE:${ruleString}`,
      dtstart: wallZdt(startWall),
      until: until !== undefined ? wallZdt(until) : undefined,
      tzid: "UTC",
      cache: false,
    });
  } catch (err) {
    throw invalid(words`${field("recurrence")}: ${(err as Error).message}`);
  }
  // Bounded already (COUNT at most 200, UNTIL within two years: at most 731 daily starts). all()
  // without an iterator keeps the library's fast path (with one it costs ~16x the CPU: 10 ms for 52).
  const walls = rule.all().map((d) => d.epochMilliseconds);
  if (walls.length > MAX_OCCURRENCES)
    throw invalid(words`${field("recurrence")}: a series has at most ${MAX_OCCURRENCES} occurrences`);
  if (walls.length === 0) throw invalid(words`${field("recurrence")}: the rule has no occurrence`);
  const starts = walls.map((wall) => new Date(resolveWallTime(wall, zone).instant));
  if (starts[starts.length - 1].getTime() > lastAllowed)
    throw invalid(words`${field("recurrence")}: a series may span at most ${MAX_SPAN_YEARS} years`);
  return starts;
}

/** The rule ended just before `before` (an UNTIL one second earlier, in UTC), COUNT dropped. */
export function endRuleBefore(recurrence: string, before: Date): string {
  const until = new Date(before.getTime() - 1000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const kept = parseRecurrence(recurrence)
    .rule.split(";")
    .filter((part) => !part.startsWith("COUNT=") && !part.startsWith("UNTIL="));
  return [...kept, `UNTIL=${until}`].join(";");
}

const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/**
 * The rule of occurrences moved by `days` calendar days: BYDAY weekdays move with them. A
 * monthly rule's days (BYMONTHDAY, an ordinal weekday) cannot be moved and stay true (the day
 * after the last Friday is no RRULE): INVALID_RECURRENCE, move them one by one (THIS) instead.
 */
export function shiftRule(recurrence: string, days: number): string {
  const { parts } = parseRecurrence(recurrence);
  if (days === 0) return recurrence;
  if (parts.get("FREQ") === "MONTHLY" && (parts.has("BYMONTHDAY") || parts.has("BYDAY")))
    throw invalid(
      words`${field("startsAt")}: a monthly course on set days cannot move to another day as a whole; move its occurrences one by one (scope THIS)`,
    );
  const byDay = parts.get("BYDAY");
  if (byDay)
    parts.set(
      "BYDAY",
      byDay
        .split(",")
        .map((d) => WEEKDAYS[(((WEEKDAYS.indexOf(d) + days) % 7) + 7) % 7])
        .join(","),
    );
  return [...parts].map(([k, v]) => `${k}=${v}`).join(";");
}
