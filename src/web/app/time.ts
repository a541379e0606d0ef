/**
 * Instants and wall-clock times in an IANA zone, with the browser's own Intl (no time zone
 * library in the bundle). FullCalendar runs in "UTC" and is given wall times of the zone the user
 * chose, so it draws that zone's days; every instant sent to the API is the original ISO string.
 */

export const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const partFormats = new Map<string, Intl.DateTimeFormat>();

/** "YYYY-MM-DDTHH:mm:ss", the wall-clock time of an instant in a zone. */
export function wallTime(instant: string | number, zone: string): string {
  let format = partFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partFormats.set(zone, format);
  }
  const p: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(instant))) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** The instant a wall-clock time names in a zone (a time the clocks skip moves forward by the gap). */
export function instantOf(wall: string, zone: string): number {
  const asUtc = Date.parse(`${wall}Z`);
  const offset = (at: number) => Date.parse(`${wallTime(at, zone)}Z`) - Math.floor(at / 1000) * 1000;
  const guess = asUtc - offset(asUtc);
  return asUtc - offset(guess);
}

/** The local date of an instant in a zone. */
export const dateIn = (instant: string | number, zone: string) => wallTime(instant, zone).slice(0, 10);

/** "Mon, 7 Dec, 15:00" in a zone, for labels and dialogs. */
export function formatWhen(instant: string | number, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(instant));
}
