import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  computeSlots,
  expandIntervals,
  freeIntervals,
  hasScheduleForDay,
  whyNotBookable,
  localDateOf,
  localDaysInRange,
  mergeIntervals,
  subtractIntervals,
  wallTimeToInstant,
  workingIntervalsForDay,
  workingIntervalsForRange,
  workingIntervalsOrDefault,
  type BusyInterval,
  type DateOverride,
  type DaySlots,
  type Interval,
  type WeeklyRule,
} from "../../src/modules/availability/slot-math.js";

const NY = "America/New_York";
const ms = (iso: string) => Date.parse(iso);
const iv = (start: string, end: string): Interval => ({ start: ms(start), end: ms(end) });
const isoOf = (i: Interval) => ({ start: new Date(i.start).toISOString(), end: new Date(i.end).toISOString() });
const rule = (dayOfWeek: number, startTime: string, endTime: string, isAvailable = true): WeeklyRule => ({
  dayOfWeek,
  startTime,
  endTime,
  isAvailable,
});
/** Slots as { ISO start: durations } for compact assertions. */
const table = (day: DaySlots) =>
  Object.fromEntries(day.slots.map((s) => [s.startsAt.toISOString(), s.availableDurations]));
const starts = (day: DaySlots) => day.slots.map((s) => s.startsAt.toISOString());
const LONG_AGO = new Date("2026-02-01T00:00:00Z");
const MONDAY_9_TO_5 = [rule(1, "09:00", "17:00")];

/** One local date's slots, as production computes them (computeSlots over from = to = date). */
function daySlots(
  date: string,
  zone: string,
  rules: WeeklyRule[],
  extra: Partial<Parameters<typeof computeSlots>[0]> = {},
): DaySlots {
  const days = computeSlots({ from: date, to: date, zone, rules, busy: [], now: LONG_AGO, ...extra });
  expect(days).toHaveLength(1);
  return days[0];
}
/** Whether a client may book (whyNotBookable finds no reason). */
const isBookable = (input: Parameters<typeof whyNotBookable>[0]) => whyNotBookable(input) === undefined;

describe("localDaysInRange", () => {
  it("lists local dates inclusive, across month ends", () => {
    expect(localDaysInRange("2026-02-27", "2026-03-02")).toEqual([
      "2026-02-27",
      "2026-02-28",
      "2026-03-01",
      "2026-03-02",
    ]);
    expect(localDaysInRange("2026-03-08", "2026-03-08")).toEqual(["2026-03-08"]);
  });
  it("rejects reversed, too long and invalid ranges", () => {
    expect(() => localDaysInRange("2026-03-02", "2026-03-01")).toThrow(RangeError);
    expect(() => localDaysInRange("2026-01-01", "2026-01-31", 30)).toThrow(RangeError);
    expect(localDaysInRange("2026-01-01", "2026-01-30", 30)).toHaveLength(30);
    expect(() => localDaysInRange("2026-02-30", "2026-03-01")).toThrow(RangeError);
  });
});

describe("interval helpers", () => {
  it("merges overlapping and touching intervals, drops empty ones", () => {
    expect(
      mergeIntervals([
        { start: 5, end: 7 },
        { start: 1, end: 3 },
        { start: 3, end: 4 },
        { start: 6, end: 9 },
        { start: 8, end: 8 },
      ]),
    ).toEqual([
      { start: 1, end: 4 },
      { start: 5, end: 9 },
    ]);
  });
  it("subtracts busy intervals (half-open)", () => {
    expect(
      subtractIntervals(
        [
          { start: 0, end: 10 },
          { start: 20, end: 30 },
        ],
        [
          { start: 2, end: 3 },
          { start: 9, end: 22 },
          { start: 30, end: 40 },
        ],
      ),
    ).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 9 },
      { start: 22, end: 30 },
    ]);
    expect(subtractIntervals([{ start: 0, end: 10 }], [{ start: -5, end: 15 }])).toEqual([]);
  });
  it("widens busy intervals by a buffer on both sides", () => {
    expect(expandIntervals([{ start: 10 * 60_000, end: 20 * 60_000 }], 5)).toEqual([
      { start: 5 * 60_000, end: 25 * 60_000 },
    ]);
  });
});

describe("wall time -> instant (DST)", () => {
  it("spring forward: a rule across the skipped hour is 2 real hours; 02:30 maps to 03:30 EDT", () => {
    expect(workingIntervalsForDay("2026-03-08", NY, [rule(0, "01:00", "04:00")]).map(isoOf)).toEqual([
      { start: "2026-03-08T06:00:00.000Z", end: "2026-03-08T08:00:00.000Z" },
    ]);
    expect(new Date(wallTimeToInstant("2026-03-08", "02:30", NY)).toISOString()).toBe("2026-03-08T07:30:00.000Z");
  });
  it("fall back: a rule 00:00-03:00 is 4 real hours; 01:30 takes the earlier offset (EDT)", () => {
    expect(workingIntervalsForDay("2026-11-01", NY, [rule(0, "00:00:00", "03:00:00")]).map(isoOf)).toEqual([
      { start: "2026-11-01T04:00:00.000Z", end: "2026-11-01T08:00:00.000Z" },
    ]);
    expect(new Date(wallTimeToInstant("2026-11-01", "01:30", NY)).toISOString()).toBe("2026-11-01T05:30:00.000Z");
  });
  it("24:00 is the next local midnight", () => {
    expect(new Date(wallTimeToInstant("2026-03-07", "24:00:00", NY)).toISOString()).toBe("2026-03-08T05:00:00.000Z");
  });
  it("rejects bad zones and times", () => {
    expect(() => wallTimeToInstant("2026-03-02", "09:00", "Mars/Olympus")).toThrow(RangeError);
    expect(() => wallTimeToInstant("2026-03-02", "9:00", NY)).toThrow(RangeError);
    expect(() => wallTimeToInstant("2026-03-02", "24:30", NY)).toThrow(RangeError);
  });
});

describe("computeSlots", () => {
  it("America/New_York Monday 09:00-17:00 before and after the DST change", () => {
    const days = computeSlots({
      from: "2026-03-02",
      to: "2026-03-09",
      zone: NY,
      rules: MONDAY_9_TO_5,
      busy: [],
      now: LONG_AGO,
    });
    expect(days.map((d) => d.date)).toEqual(localDaysInRange("2026-03-02", "2026-03-09"));
    const [mon, ...rest] = days;
    const nextMon = rest.pop()!;
    expect(rest.every((d) => d.slots.length === 0)).toBe(true);

    expect(mon.slots).toHaveLength(16);
    expect(starts(mon)[0]).toBe("2026-03-02T14:00:00.000Z");
    const t = table(mon);
    expect(t["2026-03-02T14:00:00.000Z"]).toEqual([30, 60, 90, 120]);
    expect(t["2026-03-02T20:00:00.000Z"]).toEqual([30, 60, 90, 120]); // 15:00 local
    expect(t["2026-03-02T20:30:00.000Z"]).toEqual([30, 60, 90]);
    expect(t["2026-03-02T21:00:00.000Z"]).toEqual([30, 60]); // 16:00: last 60
    expect(starts(mon).at(-1)).toBe("2026-03-02T21:30:00.000Z"); // 16:30: last 30
    expect(t["2026-03-02T21:30:00.000Z"]).toEqual([30]);

    expect(starts(nextMon)[0]).toBe("2026-03-09T13:00:00.000Z");
    expect(starts(nextMon).at(-1)).toBe("2026-03-09T20:30:00.000Z");
  });

  it("spring-forward night: starts at 01:00, 01:30 EST then 03:00, 03:30 EDT", () => {
    const day = daySlots("2026-03-08", NY, [rule(0, "01:00", "04:00")]);
    expect(table(day)).toEqual({
      "2026-03-08T06:00:00.000Z": [30, 60, 90, 120],
      "2026-03-08T06:30:00.000Z": [30, 60, 90],
      "2026-03-08T07:00:00.000Z": [30, 60],
      "2026-03-08T07:30:00.000Z": [30],
    });
  });

  it("fall-back night: the repeated hour has starts in both offsets", () => {
    const day = daySlots("2026-11-01", NY, [rule(0, "00:00", "03:00")], { durations: [30, 240, 270] });
    expect(starts(day)).toEqual([
      "2026-11-01T04:00:00.000Z", // 00:00 EDT
      "2026-11-01T04:30:00.000Z",
      "2026-11-01T05:00:00.000Z", // 01:00 EDT
      "2026-11-01T05:30:00.000Z",
      "2026-11-01T06:00:00.000Z", // 01:00 EST
      "2026-11-01T06:30:00.000Z",
      "2026-11-01T07:00:00.000Z", // 02:00 EST
      "2026-11-01T07:30:00.000Z",
    ]);
    expect(day.slots[0].availableDurations).toEqual([30, 240]); // 4 real hours, not 3
  });

  it("a whole local day has 46 starts in spring and 50 in autumn", () => {
    const allDay = [rule(0, "00:00", "24:00")];
    expect(daySlots("2026-03-08", NY, allDay, { durations: [30] }).slots).toHaveLength(46);
    expect(daySlots("2026-11-01", NY, allDay, { durations: [30] }).slots).toHaveLength(50);
    expect(daySlots("2026-03-01", NY, allDay, { durations: [30] }).slots).toHaveLength(48);
  });

  it("Asia/Kolkata (+05:30): the grid is :00/:30 local", () => {
    const day = daySlots("2026-03-02", "Asia/Kolkata", [rule(1, "09:00", "12:00")]);
    expect(starts(day)).toEqual([
      "2026-03-02T03:30:00.000Z",
      "2026-03-02T04:00:00.000Z",
      "2026-03-02T04:30:00.000Z",
      "2026-03-02T05:00:00.000Z",
      "2026-03-02T05:30:00.000Z",
      "2026-03-02T06:00:00.000Z",
    ]);
    const hourly = daySlots("2026-03-02", "Asia/Kolkata", [rule(1, "09:00", "12:00")], { gridMinutes: 60 });
    expect(starts(hourly)).toEqual([
      "2026-03-02T03:30:00.000Z",
      "2026-03-02T04:30:00.000Z",
      "2026-03-02T05:30:00.000Z",
    ]);
  });

  it("Australia/Lord_Howe: a 30-minute DST change keeps an hourly grid on local :00", () => {
    // 2026-04-05 02:00 LHDT (+11) -> 01:30 LHST (+10:30); 00:00-04:00 local is 4.5 real hours.
    const day = daySlots("2026-04-05", "Australia/Lord_Howe", [rule(0, "00:00", "04:00")], {
      durations: [60],
      gridMinutes: 60,
    });
    expect(starts(day)).toEqual([
      "2026-04-04T13:00:00.000Z", // 00:00 LHDT
      "2026-04-04T14:00:00.000Z", // 01:00 LHDT
      "2026-04-04T15:30:00.000Z", // 02:00 LHST
      "2026-04-04T16:30:00.000Z", // 03:00 LHST
    ]);
  });

  it("Europe/London across 2026-03-29 (GMT -> BST)", () => {
    const everyDay = [0, 1, 2, 3, 4, 5, 6].map((d) => rule(d, "09:00", "17:00"));
    const days = computeSlots({
      from: "2026-03-28",
      to: "2026-03-30",
      zone: "Europe/London",
      rules: everyDay,
      busy: [],
      now: LONG_AGO,
    });
    expect(days.map((d) => [starts(d)[0], starts(d).at(-1)])).toEqual([
      ["2026-03-28T09:00:00.000Z", "2026-03-28T16:30:00.000Z"],
      ["2026-03-29T08:00:00.000Z", "2026-03-29T15:30:00.000Z"],
      ["2026-03-30T08:00:00.000Z", "2026-03-30T15:30:00.000Z"],
    ]);
    // The night itself: 00:00 GMT to 03:00 BST is 2 real hours, 01:00-02:00 local does not exist.
    const night = daySlots("2026-03-29", "Europe/London", [rule(0, "00:00", "03:00")], { durations: [30, 120] });
    expect(starts(night)).toEqual([
      "2026-03-29T00:00:00.000Z",
      "2026-03-29T00:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T01:30:00.000Z",
    ]);
    expect(night.slots[0].availableDurations).toEqual([30, 120]);
  });

  describe("busy sessions (Monday 2026-03-02, New York, busy 12:00-13:00 local)", () => {
    const date = "2026-03-02";
    const busy = [iv("2026-03-02T17:00:00Z", "2026-03-02T18:00:00Z")];
    /** Monday 09:00-17:00's slots on the date. */
    const monday = (extra: Partial<Parameters<typeof computeSlots>[0]> & { busy: Interval[]; now: Date }) =>
      daySlots(date, NY, MONDAY_9_TO_5, extra);

    it("removes starts inside and durations running into the session; back-to-back is allowed", () => {
      const t = table(monday({ busy, now: LONG_AGO }));
      expect(t["2026-03-02T15:00:00.000Z"]).toEqual([30, 60, 90, 120]); // 10:00
      expect(t["2026-03-02T15:30:00.000Z"]).toEqual([30, 60, 90]); // 10:30, ends 12:00 at most
      expect(t["2026-03-02T16:00:00.000Z"]).toEqual([30, 60]); // 11:00
      expect(t["2026-03-02T16:30:00.000Z"]).toEqual([30]); // 11:30-12:00 touches the session
      expect(t["2026-03-02T17:00:00.000Z"]).toBeUndefined();
      expect(t["2026-03-02T17:30:00.000Z"]).toBeUndefined();
      expect(t["2026-03-02T18:00:00.000Z"]).toEqual([30, 60, 90, 120]); // 13:00, right after
    });

    it("a buffer widens the session on both sides", () => {
      const t = table(monday({ busy, now: LONG_AGO, bufferMinutes: 15 }));
      expect(t["2026-03-02T15:30:00.000Z"]).toEqual([30, 60]); // ends 11:30 <= 11:45
      expect(t["2026-03-02T16:00:00.000Z"]).toEqual([30]);
      expect(t["2026-03-02T16:30:00.000Z"]).toBeUndefined();
      expect(t["2026-03-02T18:00:00.000Z"]).toBeUndefined(); // 13:00 < 13:15
      expect(t["2026-03-02T18:30:00.000Z"]).toEqual([30, 60, 90, 120]);
    });

    it("busy intervals in any order, overlapping, or outside the day", () => {
      const messy = [
        iv("2026-03-03T15:00:00Z", "2026-03-03T16:00:00Z"),
        iv("2026-03-02T17:30:00Z", "2026-03-02T18:00:00Z"),
        iv("2026-03-01T15:00:00Z", "2026-03-01T16:00:00Z"),
        iv("2026-03-02T17:00:00Z", "2026-03-02T17:45:00Z"),
      ];
      expect(monday({ busy: messy, now: LONG_AGO })).toEqual(monday({ busy, now: LONG_AGO }));
    });

    it("never offers a start in the past or inside the minimum notice", () => {
      const now = new Date("2026-03-02T15:10:00Z"); // 10:10 local
      expect(starts(monday({ busy, now }))[0]).toBe("2026-03-02T15:30:00.000Z");
      const noticed = monday({ busy, now, minNoticeMinutes: 60 });
      expect(starts(noticed)[0]).toBe("2026-03-02T16:30:00.000Z"); // 11:30, first start >= 11:10
      const exact = monday({ busy: [], now: new Date("2026-03-02T16:00:00Z") });
      expect(starts(exact)[0]).toBe("2026-03-02T16:00:00.000Z"); // a start exactly at now is fine
      const all = computeSlots({ from: "2026-02-23", to: "2026-03-09", zone: NY, rules: MONDAY_9_TO_5, busy, now });
      expect(all[0].slots).toEqual([]);
      expect(all.flatMap((d) => d.slots).every((s) => s.startsAt >= now)).toBe(true);
      expect(all.at(-1)!.slots).toHaveLength(16);
    });

    it("only the requested durations, ascending and deduplicated", () => {
      const t = table(monday({ busy, now: LONG_AGO, durations: [90, 45, 45] }));
      expect(t["2026-03-02T14:00:00.000Z"]).toEqual([45, 90]);
      expect(t["2026-03-02T16:00:00.000Z"]).toEqual([45]);
      expect(() => monday({ busy, now: LONG_AGO, durations: [0] })).toThrow(RangeError);
      expect(() => monday({ busy, now: LONG_AGO, gridMinutes: 7 })).toThrow(RangeError);
    });
  });

  it("working hours running past midnight let a late start fit a longer duration", () => {
    const rules = [rule(1, "22:00", "24:00"), rule(2, "00:00:00", "02:00:00")];
    const [mon, tue] = computeSlots({ from: "2026-03-02", to: "2026-03-03", zone: NY, rules, busy: [], now: LONG_AGO });
    expect(table(mon)["2026-03-03T04:30:00.000Z"]).toEqual([30, 60, 90, 120]); // 23:30 Monday
    expect(starts(tue)[0]).toBe("2026-03-03T05:00:00.000Z"); // 00:00 Tuesday belongs to Tuesday
    expect(mon.slots).toHaveLength(4);
  });
});

describe("overrides", () => {
  const date = "2026-03-02";
  const at = (o: Omit<DateOverride, "date">, d = date): DateOverride => ({ date: d, ...o });

  it("whole day off", () => {
    const overrides = [at({ isAvailable: false, startTime: null, endTime: null })];
    expect(workingIntervalsForDay(date, NY, MONDAY_9_TO_5, overrides)).toEqual([]);
    const days = computeSlots({
      from: date,
      to: "2026-03-09",
      zone: NY,
      rules: MONDAY_9_TO_5,
      overrides,
      busy: [],
      now: LONG_AGO,
    });
    expect(days[0].slots).toEqual([]);
    expect(days.at(-1)!.slots).toHaveLength(16);
  });

  it("partial time off is removed from the weekly hours", () => {
    const overrides = [at({ isAvailable: false, startTime: "12:00:00", endTime: "13:00:00" })];
    expect(workingIntervalsForDay(date, NY, MONDAY_9_TO_5, overrides).map(isoOf)).toEqual([
      { start: "2026-03-02T14:00:00.000Z", end: "2026-03-02T17:00:00.000Z" },
      { start: "2026-03-02T18:00:00.000Z", end: "2026-03-02T22:00:00.000Z" },
    ]);
  });

  it("extra hours are added to the weekly hours (union)", () => {
    expect(
      workingIntervalsForDay(date, NY, MONDAY_9_TO_5, [
        at({ isAvailable: true, startTime: "18:00", endTime: "20:00" }),
      ]).map(isoOf),
    ).toEqual([
      { start: "2026-03-02T14:00:00.000Z", end: "2026-03-02T22:00:00.000Z" },
      { start: "2026-03-02T23:00:00.000Z", end: "2026-03-03T01:00:00.000Z" },
    ]);
    expect(
      workingIntervalsForDay(date, NY, MONDAY_9_TO_5, [
        at({ isAvailable: true, startTime: "16:00", endTime: "19:00" }),
      ]).map(isoOf),
    ).toEqual([{ start: "2026-03-02T14:00:00.000Z", end: "2026-03-03T00:00:00.000Z" }]);
    // A Tuesday without weekly rules: only the extra hours.
    expect(
      workingIntervalsForDay("2026-03-03", NY, MONDAY_9_TO_5, [
        at({ isAvailable: true, startTime: "10:00", endTime: "11:00" }, "2026-03-03"),
      ]).map(isoOf),
    ).toEqual([{ start: "2026-03-03T15:00:00.000Z", end: "2026-03-03T16:00:00.000Z" }]);
  });

  it("day off plus extra hours is the extra hours; time off wins over extra hours", () => {
    const overrides = [
      at({ isAvailable: false }),
      at({ isAvailable: true, startTime: "14:00", endTime: "18:00" }),
      at({ isAvailable: false, startTime: "15:00", endTime: "16:00" }),
    ];
    expect(workingIntervalsForDay(date, NY, MONDAY_9_TO_5, overrides).map(isoOf)).toEqual([
      { start: "2026-03-02T19:00:00.000Z", end: "2026-03-02T20:00:00.000Z" },
      { start: "2026-03-02T21:00:00.000Z", end: "2026-03-02T23:00:00.000Z" },
    ]);
  });

  it("overrides of other dates do not apply", () => {
    const overrides = [at({ isAvailable: false }, "2026-03-09")];
    expect(workingIntervalsForDay(date, NY, MONDAY_9_TO_5, overrides)).toEqual(
      workingIntervalsForDay(date, NY, MONDAY_9_TO_5),
    );
  });
});

describe("freeIntervals (fitness API 'Check Availability')", () => {
  const date = "2025-12-10"; // a Wednesday
  const rules = MONDAY_9_TO_5;
  const busy: BusyInterval<string>[] = [
    { ...iv("2025-12-10T19:00:00Z", "2025-12-10T20:30:00Z"), ref: "Group Class - HIIT" }, // 14:00-15:30 EST
    { ...iv("2025-12-10T15:00:00Z", "2025-12-10T16:00:00Z"), ref: "Personal Training - John Doe" }, // 10:00-11:00
    { ...iv("2025-12-11T15:00:00Z", "2025-12-11T16:00:00Z"), ref: "Tomorrow" },
  ];
  // As dayAvailability computes them: the provider's hours, or the default hours without a schedule.
  const working = workingIntervalsOrDefault(date, NY, rules);

  it("reproduces the documented example: default 08:00-20:00, minimum 90 minutes", () => {
    expect(hasScheduleForDay(date, rules)).toBe(false);
    const result = freeIntervals({ date, zone: NY, working, busy, minDurationMinutes: 90 });
    expect(result.free.map((f) => ({ ...isoOf(f), minutes: f.durationMinutes }))).toEqual([
      { start: "2025-12-10T13:00:00.000Z", end: "2025-12-10T15:00:00.000Z", minutes: 120 },
      { start: "2025-12-10T16:00:00.000Z", end: "2025-12-10T19:00:00.000Z", minutes: 180 },
      { start: "2025-12-10T20:30:00.000Z", end: "2025-12-11T01:00:00.000Z", minutes: 270 },
    ]);
    expect(result.busy.map((b) => b.ref)).toEqual(["Personal Training - John Doe", "Group Class - HIIT"]);
    // Local wall clock, as the legacy API prints it.
    expect(result.free.map((f) => DateTime.fromMillis(f.start, { zone: NY }).toFormat("HH:mm"))).toEqual([
      "08:00",
      "11:00",
      "15:30",
    ]);
  });

  it("minimum 150 minutes keeps only the last two gaps", () => {
    const { free } = freeIntervals({ date, zone: NY, working, busy, minDurationMinutes: 150 });
    expect(free.map((f) => f.durationMinutes)).toEqual([180, 270]);
  });

  it("uses the provider's hours when there is a schedule, and nothing on a day off", () => {
    const wed = [rule(3, "09:00", "12:00")];
    const own = freeIntervals({
      date,
      zone: NY,
      working: workingIntervalsOrDefault(date, NY, wed),
      busy,
      minDurationMinutes: 30,
    });
    expect(own.free.map(isoOf)).toEqual([
      { start: "2025-12-10T14:00:00.000Z", end: "2025-12-10T15:00:00.000Z" },
      { start: "2025-12-10T16:00:00.000Z", end: "2025-12-10T17:00:00.000Z" },
    ]);
    const off = [{ date, isAvailable: false }];
    expect(hasScheduleForDay(date, rules, off)).toBe(true);
    expect(
      freeIntervals({ date, zone: NY, working: workingIntervalsOrDefault(date, NY, rules, off), busy }).free,
    ).toEqual([]);
  });
});

describe("whyNotBookable (the client booking rule)", () => {
  const date = "2026-03-02";
  const working = workingIntervalsForDay(date, NY, MONDAY_9_TO_5);
  const busy = [iv("2026-03-02T17:00:00Z", "2026-03-02T18:00:00Z")]; // 12:00-13:00 local
  const check = (start: string, end: string, extra: Partial<Parameters<typeof isBookable>[0]> = {}) =>
    isBookable({ startsAt: new Date(start), endsAt: new Date(end), working, busy, now: LONG_AGO, ...extra });
  const why = (start: string, end: string, extra: Partial<Parameters<typeof isBookable>[0]> = {}) =>
    whyNotBookable({ startsAt: new Date(start), endsAt: new Date(end), working, busy, now: LONG_AGO, ...extra });

  it("accepts off-grid times inside working hours and back-to-back with a session", () => {
    expect(check("2026-03-02T15:15:00Z", "2026-03-02T16:00:00Z")).toBe(true); // 10:15-11:00
    expect(check("2026-03-02T16:00:00Z", "2026-03-02T17:00:00Z")).toBe(true); // ends as the session starts
    expect(check("2026-03-02T18:00:00Z", "2026-03-02T19:30:00Z")).toBe(true); // starts as it ends
    expect(check("2026-03-02T14:00:00Z", "2026-03-02T22:00:00Z", { busy: [] })).toBe(true); // the whole day
  });

  it("rejects overlaps, buffers, working-hour overruns, short notice and empty ranges", () => {
    expect(check("2026-03-02T16:30:00Z", "2026-03-02T17:30:00Z")).toBe(false);
    expect(check("2026-03-02T17:15:00Z", "2026-03-02T17:45:00Z")).toBe(false);
    expect(check("2026-03-02T16:00:00Z", "2026-03-02T17:00:00Z", { bufferMinutes: 10 })).toBe(false);
    expect(check("2026-03-02T21:30:00Z", "2026-03-02T22:30:00Z")).toBe(false); // past 17:00
    expect(check("2026-03-02T13:30:00Z", "2026-03-02T14:30:00Z")).toBe(false); // before 09:00
    expect(check("2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z", { now: new Date("2026-03-02T15:00:01Z") })).toBe(
      false,
    );
    expect(
      check("2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z", {
        now: new Date("2026-03-02T14:30:00Z"),
        minNoticeMinutes: 60,
      }),
    ).toBe(false);
    expect(check("2026-03-02T15:00:00Z", "2026-03-02T15:00:00Z")).toBe(false);
  });

  it("says why: IN_THE_PAST before now, OUTSIDE_AVAILABILITY outside the hours or too close to a session, MIN_NOTICE when only too soon", () => {
    expect(why("2026-03-02T16:30:00Z", "2026-03-02T17:30:00Z")).toBe("OUTSIDE_AVAILABILITY"); // over the session
    expect(why("2026-03-02T16:00:00Z", "2026-03-02T17:00:00Z", { bufferMinutes: 10 })).toBe("OUTSIDE_AVAILABILITY"); // its buffer
    expect(why("2026-03-02T21:30:00Z", "2026-03-02T22:30:00Z")).toBe("OUTSIDE_AVAILABILITY"); // past 17:00
    expect(why("2026-03-02T15:00:00Z", "2026-03-02T15:00:00Z")).toBe("OUTSIDE_AVAILABILITY"); // empty
    expect(why("2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z", { now: new Date("2026-03-02T15:00:01Z") })).toBe(
      "IN_THE_PAST",
    );
    expect(
      why("2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z", {
        now: new Date("2026-03-02T14:30:00Z"),
        minNoticeMinutes: 60,
      }),
    ).toBe("MIN_NOTICE");
    // Outside the hours and too soon: the hours are the reason (it will never be bookable).
    expect(
      why("2026-03-02T13:30:00Z", "2026-03-02T14:30:00Z", {
        now: new Date("2026-03-02T13:00:00Z"),
        minNoticeMinutes: 60,
      }),
    ).toBe("OUTSIDE_AVAILABILITY");
    expect(why("2026-03-02T15:15:00Z", "2026-03-02T16:00:00Z")).toBeUndefined();
  });

  it("must lie inside ONE working interval; across midnight when the hours continue", () => {
    const split = workingIntervalsForDay(date, NY, [rule(1, "09:00", "12:00"), rule(1, "13:00", "17:00")]);
    expect(
      isBookable({
        startsAt: new Date("2026-03-02T16:30:00Z"),
        endsAt: new Date("2026-03-02T18:30:00Z"),
        working: split,
        busy: [],
        now: LONG_AGO,
      }),
    ).toBe(false);
    const night = [rule(1, "22:00", "24:00"), rule(2, "00:00", "02:00")];
    const startsAt = new Date("2026-03-03T04:00:00Z"); // Monday 23:00 local
    const endsAt = new Date("2026-03-03T06:00:00Z"); // Tuesday 01:00 local
    const overnight = workingIntervalsForRange(localDateOf(startsAt, NY), localDateOf(endsAt, NY), NY, night);
    expect(isBookable({ startsAt, endsAt, working: overnight, busy: [], now: LONG_AGO })).toBe(true);
  });
});

describe("property: slots never overlap busy time and always lie inside working hours", () => {
  // Small deterministic PRNG (mulberry32) so a failure is reproducible.
  function rng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const zones = [NY, "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"];
  const ranges: [string, string][] = [
    ["2026-03-06", "2026-03-09"],
    ["2026-10-30", "2026-11-02"],
    ["2026-03-27", "2026-03-30"],
    ["2026-04-03", "2026-04-06"], // Lord Howe ends DST (30 min change) on 2026-04-05
  ];
  const hhmm = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

  it("holds for 150 random providers, and agrees with isBookable on every grid start", () => {
    const r = rng(42);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    for (let round = 0; round < 150; round++) {
      const zone = pick(zones);
      const [from, to] = pick(ranges);
      const rules: WeeklyRule[] = [];
      for (let dow = 0; dow < 7; dow++) {
        for (let k = Math.floor(r() * 3); k > 0; k--) {
          const a = Math.floor(r() * 48) * 30;
          const b = a + 30 + Math.floor(r() * 16) * 30;
          rules.push(rule(dow, hhmm(a), b >= 1440 ? "24:00" : hhmm(b)));
        }
      }
      const t0 = wallTimeToInstant(from, "00:00", zone);
      const busy: Interval[] = Array.from({ length: Math.floor(r() * 12) }, () => {
        const start = t0 + Math.floor(r() * 4 * 1440) * 60_000;
        return { start, end: start + (5 + Math.floor(r() * 180)) * 60_000 };
      });
      const bufferMinutes = pick([0, 0, 10, 15]);
      const minNoticeMinutes = pick([0, 60]);
      const now = new Date(t0 + Math.floor(r() * 2 * 1440) * 60_000);
      const durations = [30, 60, 90, 120];
      const gridMinutes = pick([30, 30, 60]);
      const days = computeSlots({ from, to, zone, rules, busy, now, bufferMinutes, minNoticeMinutes, gridMinutes });
      const dayAfter = DateTime.fromISO(to).plus({ days: 1 }).toISODate()!;
      const working = workingIntervalsForRange(from, dayAfter, zone, rules);
      const wide = expandIntervals(busy, bufferMinutes);
      const ctx = `round ${round} ${zone} ${from}`;

      const offered = new Map<number, number[]>();
      for (const day of days) {
        for (const { startsAt, availableDurations } of day.slots) {
          const s = startsAt.getTime();
          const local = DateTime.fromMillis(s, { zone });
          expect(local.toISODate(), ctx).toBe(day.date);
          expect((local.hour * 60 + local.minute) % gridMinutes === 0 && local.second === 0, ctx).toBe(true);
          expect(s, ctx).toBeGreaterThanOrEqual(now.getTime() + minNoticeMinutes * 60_000);
          expect(availableDurations.length, ctx).toBeGreaterThan(0);
          for (const d of availableDurations) {
            const e = s + d * 60_000;
            expect(
              working.some((w) => w.start <= s && e <= w.end),
              ctx,
            ).toBe(true);
            expect(
              wide.some((b) => b.start < e && s < b.end),
              ctx,
            ).toBe(false);
          }
          offered.set(s, availableDurations);
        }
      }
      // Completeness: every instant on the local grid gets exactly the durations isBookable accepts.
      const end = wallTimeToInstant(dayAfter, "00:00", zone);
      for (let s = t0; s < end; s += 15 * 60_000) {
        const local = DateTime.fromMillis(s, { zone });
        if ((local.hour * 60 + local.minute) % gridMinutes !== 0) continue;
        const ok = durations.filter((d) =>
          isBookable({
            startsAt: new Date(s),
            endsAt: new Date(s + d * 60_000),
            working,
            busy,
            now,
            bufferMinutes,
            minNoticeMinutes,
          }),
        );
        expect(offered.get(s) ?? [], `${ctx} ${local.toISO()}`).toEqual(ok);
      }
    }
  });
});

describe("performance", () => {
  const weekdays = [1, 2, 3, 4, 5].flatMap((d) => [rule(d, "08:00:00", "12:00:00"), rule(d, "13:00:00", "18:00:00")]);
  function sessions(seed: number, from: string, days: number, zone: string): Interval[] {
    const t0 = wallTimeToInstant(from, "09:00", zone);
    return Array.from({ length: days * 4 }, (_, i) => {
      const start = t0 + Math.floor(i / 4) * 86_400_000 + ((i * 7 + seed) % 16) * 1_800_000;
      return { start, end: start + 3_600_000 };
    });
  }
  const time = (f: () => void) => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };

  it("1 provider x 30 days well under 5 ms; 100 providers x 7 days under 50 ms", () => {
    const month = () =>
      computeSlots({
        from: "2026-03-01",
        to: "2026-03-30",
        zone: NY,
        rules: weekdays,
        busy: sessions(1, "2026-03-01", 30, NY),
        now: LONG_AGO,
      });
    const week = () => {
      for (let p = 0; p < 100; p++) {
        const zone = p % 2 ? NY : "Europe/London";
        computeSlots({
          from: "2026-03-02",
          to: "2026-03-08",
          zone,
          rules: weekdays,
          busy: sessions(p, "2026-03-02", 7, zone),
          now: LONG_AGO,
        });
      }
    };
    month();
    week(); // warm up: JIT and the wall-time cache (shared by every request in a process)
    const monthMs = Math.min(time(month), time(month), time(month));
    const weekMs = Math.min(time(week), time(week));
    expect(monthMs).toBeLessThan(5);
    expect(weekMs).toBeLessThan(50);
  });
});
