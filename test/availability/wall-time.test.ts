import { describe, expect, it } from "vitest";
import { computeSlots, wallTimeToInstant, type WeeklyRule } from "../../src/modules/availability/slot-math.js";
import { localToInstant } from "../../src/time.js";

// Local wall time -> instant is one rule (src/time.ts resolveWallTime) for the REST shims' naive
// times (localToInstant), weekly rules and overrides (wallTimeToInstant) and so the slots:
// a repeated wall time (inside the hour after the clocks fall back) is its FIRST occurrence in
// every zone; a skipped one is undefined for localToInstant and moves forward by the gap for rules.
// Every expected instant below is worked out by hand from the zone's offsets.

const iso = (d: Date | number | undefined) => (d === undefined ? undefined : new Date(d).toISOString());

interface FallBack {
  zone: string;
  /** The local date (a Sunday) the clocks fall back. */
  date: string;
  /** A wall time inside the repeated stretch, its first occurrence, and its second. */
  repeated: string;
  first: string;
  second: string;
  /** A rule covering the repeated stretch, and the slot starts (30 minutes) it yields. */
  rule: [string, string];
  slots: string[];
}

const FALL_BACK: FallBack[] = [
  {
    // 2026-11-01 02:00 EDT (-4) -> 01:00 EST (-5): 01:00-01:59 happens twice.
    zone: "America/New_York",
    date: "2026-11-01",
    repeated: "01:30",
    first: "2026-11-01T05:30:00.000Z", // 01:30 + 4h
    second: "2026-11-01T06:30:00.000Z", // 01:30 + 5h
    // 01:00 EDT = 05:00Z to 02:00 EST = 07:00Z: 2 real hours, starts in both offsets.
    rule: ["01:00", "02:00"],
    slots: [
      "2026-11-01T05:00:00.000Z",
      "2026-11-01T05:30:00.000Z",
      "2026-11-01T06:00:00.000Z",
      "2026-11-01T06:30:00.000Z",
    ],
  },
  {
    // 2026-10-25 03:00 CEST (+2) -> 02:00 CET (+1): 02:00-02:59 happens twice.
    zone: "Europe/Berlin",
    date: "2026-10-25",
    repeated: "02:30",
    first: "2026-10-25T00:30:00.000Z", // 02:30 - 2h
    second: "2026-10-25T01:30:00.000Z", // 02:30 - 1h
    // 02:00 CEST = 00:00Z to 03:00 CET = 02:00Z.
    rule: ["02:00", "03:00"],
    slots: [
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T01:30:00.000Z",
    ],
  },
  {
    // 2026-11-01 02:00 NDT (-2:30) -> 01:00 NST (-3:30): 01:00-01:59 happens twice.
    zone: "America/St_Johns",
    date: "2026-11-01",
    repeated: "01:30",
    first: "2026-11-01T04:00:00.000Z", // 01:30 + 2h30
    second: "2026-11-01T05:00:00.000Z", // 01:30 + 3h30
    // 01:00 NDT = 03:30Z to 02:00 NST = 05:30Z.
    rule: ["01:00", "02:00"],
    slots: [
      "2026-11-01T03:30:00.000Z",
      "2026-11-01T04:00:00.000Z",
      "2026-11-01T04:30:00.000Z",
      "2026-11-01T05:00:00.000Z",
    ],
  },
  {
    // 2026-04-05 02:00 LHDT (+11) -> 01:30 LHST (+10:30): 01:30-01:59 happens twice (a 30-minute change).
    zone: "Australia/Lord_Howe",
    date: "2026-04-05",
    repeated: "01:45",
    first: "2026-04-04T14:45:00.000Z", // 01:45 - 11h
    second: "2026-04-04T15:15:00.000Z", // 01:45 - 10h30
    // 01:30 LHDT = 14:30Z to 02:00 LHST = 15:30Z: one real hour, 01:30 offered in both offsets.
    rule: ["01:30", "02:00"],
    slots: ["2026-04-04T14:30:00.000Z", "2026-04-04T15:00:00.000Z"],
  },
  {
    // 2026-04-05 03:45 CHADT (+13:45) -> 02:45 CHAST (+12:45): 02:45-03:44 happens twice.
    zone: "Pacific/Chatham",
    date: "2026-04-05",
    repeated: "03:00",
    first: "2026-04-04T13:15:00.000Z", // 03:00 - 13h45
    second: "2026-04-04T14:15:00.000Z", // 03:00 - 12h45
    // 03:00 CHADT = 13:15Z to 04:00 CHAST = 15:15Z; the change is at 14:00Z.
    rule: ["03:00", "04:00"],
    slots: [
      "2026-04-04T13:15:00.000Z",
      "2026-04-04T13:45:00.000Z",
      "2026-04-04T14:15:00.000Z",
      "2026-04-04T14:45:00.000Z",
    ],
  },
];

interface SpringForward {
  zone: string;
  date: string;
  /** A wall time the clocks skip, and where a rule's time lands (moved forward by the gap). */
  skipped: string;
  forward: string;
}

const SPRING_FORWARD: SpringForward[] = [
  // 02:00 EST -> 03:00 EDT: 02:30 is 03:30 EDT = 07:30Z.
  { zone: "America/New_York", date: "2026-03-08", skipped: "02:30", forward: "2026-03-08T07:30:00.000Z" },
  // 02:00 CET -> 03:00 CEST: 02:30 is 03:30 CEST = 01:30Z.
  { zone: "Europe/Berlin", date: "2026-03-29", skipped: "02:30", forward: "2026-03-29T01:30:00.000Z" },
  // 02:00 NST -> 03:00 NDT: 02:30 is 03:30 NDT (-2:30) = 06:00Z.
  { zone: "America/St_Johns", date: "2026-03-08", skipped: "02:30", forward: "2026-03-08T06:00:00.000Z" },
  // 02:00 LHST -> 02:30 LHDT: 02:15 is 02:45 LHDT (+11) = 15:45Z the day before.
  { zone: "Australia/Lord_Howe", date: "2026-10-04", skipped: "02:15", forward: "2026-10-03T15:45:00.000Z" },
  // 02:45 CHAST -> 03:45 CHADT: 03:00 is 04:00 CHADT (+13:45) = 14:15Z the day before.
  { zone: "Pacific/Chatham", date: "2026-09-27", skipped: "03:00", forward: "2026-09-26T14:15:00.000Z" },
];

const SUNDAY = 0;
const LONG_AGO = new Date("2020-01-01T00:00:00Z");

describe("a repeated wall time is its first occurrence, in every zone", () => {
  for (const c of FALL_BACK) {
    it(`${c.zone}: the REST shims' naive ${c.date} ${c.repeated} is ${c.first}, never ${c.second}`, () => {
      expect(iso(localToInstant(c.date, c.repeated, c.zone))).toBe(c.first);
      expect(iso(localToInstant(c.date, `${c.repeated}:00`, c.zone))).toBe(c.first);
      expect(iso(localToInstant(c.date, `${c.repeated}:00.000`, c.zone))).toBe(c.first);
    });

    it(`${c.zone}: a rule's ${c.repeated} on ${c.date} is the same instant`, () => {
      expect(iso(wallTimeToInstant(c.date, c.repeated, c.zone))).toBe(c.first);
    });

    it(`${c.zone}: a rule ${c.rule[0]}–${c.rule[1]} covering the repeated time yields slots from its first occurrence`, () => {
      const rules: WeeklyRule[] = [{ dayOfWeek: SUNDAY, startTime: c.rule[0], endTime: c.rule[1], isAvailable: true }];
      const [day] = computeSlots({
        from: c.date,
        to: c.date,
        zone: c.zone,
        rules,
        busy: [],
        now: LONG_AGO,
        durations: [30],
      });
      expect(day.slots.map((s) => iso(s.startsAt))).toEqual(c.slots);
      expect(iso(day.slots[0].startsAt)).toBe(iso(wallTimeToInstant(c.date, c.rule[0], c.zone)));
    });
  }
});

describe("a skipped wall time", () => {
  for (const c of SPRING_FORWARD) {
    it(`${c.zone}: ${c.date} ${c.skipped} does not exist for the shims and moves forward by the gap for rules`, () => {
      expect(localToInstant(c.date, c.skipped, c.zone)).toBeUndefined();
      expect(iso(wallTimeToInstant(c.date, c.skipped, c.zone))).toBe(c.forward);
    });
  }
});

describe("one rule for the shims and the rules", () => {
  it("localToInstant and wallTimeToInstant agree on every existing wall time of the change days, every 5 minutes", () => {
    const days = [...FALL_BACK.map((c) => [c.zone, c.date]), ...SPRING_FORWARD.map((c) => [c.zone, c.date])];
    for (const [zone, date] of days) {
      let skipped = 0;
      for (let m = 0; m < 1440; m += 5) {
        const time = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
        const shim = localToInstant(date, time, zone);
        if (shim === undefined) skipped++;
        else expect(iso(shim), `${zone} ${date} ${time}`).toBe(iso(wallTimeToInstant(date, time, zone)));
      }
      // Only spring-forward days skip: 60 minutes (12 times 5), or 30 on Lord Howe.
      const spring = SPRING_FORWARD.some((c) => c.zone === zone && c.date === date);
      expect(skipped, `${zone} ${date}`).toBe(spring ? (zone === "Australia/Lord_Howe" ? 6 : 12) : 0);
    }
  });

  it("refuses what is not a wall time", () => {
    const zone = "America/New_York";
    expect(localToInstant("2026-01-01", "24:00", zone)).toBeUndefined();
    expect(localToInstant("2026-01-01", "9:00", zone)).toBeUndefined();
    expect(localToInstant("2026-01-01", "10:60", zone)).toBeUndefined();
    expect(localToInstant("2026-02-30", "10:00", zone)).toBeUndefined();
    expect(localToInstant("1899-12-31", "10:00", zone)).toBeUndefined();
    expect(localToInstant("2026-01-01", "10:00", "Mars/Olympus")).toBeUndefined();
    expect(iso(localToInstant("2026-01-01", "10:00:30.123456", zone))).toBe("2026-01-01T15:00:30.123Z");
  });
});
