import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { localDateTime } from "../../src/time.js";

// localDateTime looks offsets up once per zone and UTC day; luxon asks Intl every time. They must
// agree everywhere, DST changes and odd historical offsets included.
const ZONES = [
  "America/New_York", // DST at 02:00 local
  "Europe/Amsterdam", // +00:19:32 until 1937, then +00:20 (not on a minute)
  "Asia/Kolkata", // +05:30
  "America/St_Johns", // -03:30 with DST
  "Australia/Lord_Howe", // a 30-minute DST
  "Pacific/Chatham", // +12:45 / +13:45
  "Pacific/Apia", // skipped 2011-12-30 entirely
  "Europe/Dublin", // negative DST in winter
  "UTC",
];

const viaLuxon = (ms: number, zone: string) => {
  const dt = DateTime.fromMillis(ms, { zone });
  return { date: dt.toFormat("yyyy-MM-dd"), time: dt.toFormat("HH:mm:ss") };
};

const FIRST = Date.UTC(1900, 0, 2);
const LAST = Date.UTC(2999, 11, 30);

describe("local date and time of an instant", () => {
  it("agrees with luxon for any instant 1900–2999 in zones with DST, half-hour, 45-minute and second offsets", () => {
    fc.assert(
      fc.property(fc.integer({ min: FIRST, max: LAST }), fc.constantFrom(...ZONES), (ms, zone) => {
        expect(localDateTime(ms, zone)).toEqual(viaLuxon(ms, zone));
      }),
      { seed: 20301121, numRuns: 5_000 },
    );
  });

  it("agrees with luxon every minute around DST changes and the skipped Samoan day", () => {
    const around = [
      ["America/New_York", Date.UTC(2026, 2, 8, 7)],
      ["America/New_York", Date.UTC(2026, 10, 1, 6)],
      ["Australia/Lord_Howe", Date.UTC(2026, 3, 4, 15)],
      ["Pacific/Apia", Date.UTC(2011, 11, 30, 10)],
      ["Europe/Amsterdam", Date.UTC(1937, 5, 30, 23, 40)],
    ] as const;
    for (const [zone, change] of around) {
      for (let ms = change - 3 * 3_600_000; ms <= change + 3 * 3_600_000; ms += 60_000) {
        expect(localDateTime(ms, zone), `${zone} ${new Date(ms).toISOString()}`).toEqual(viaLuxon(ms, zone));
        expect(localDateTime(ms + 59_999, zone)).toEqual(viaLuxon(ms + 59_999, zone));
      }
    }
  });
});
