import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type GqlResult, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice, makeSession, makeUser } from "../helpers/factories.js";

// Sunday 2026-02-01, 12:00Z: before both DST changes of 2026 in America/New_York.
const NOW = new Date("2026-02-01T12:00:00Z");

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string, client: string, otherClient: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  [admin, client, otherClient] = await Promise.all([p.admin, p.client, p.otherClient].map((u) => t.token(u, p.tenant)));
});
afterAll(() => t.close());

const SLOTS = `query($p: ID!, $from: Date!, $to: Date, $d: [Int!], $c: ID) {
  availableSlots(providerId: $p, from: $from, to: $to, durations: $d, clientId: $c) { date slots { startsAt availableDurations } } }`;
const FREE = `query($p: ID!, $date: Date!, $min: Int) { freeIntervals(providerId: $p, date: $date, minDurationMinutes: $min) { startsAt endsAt durationMinutes } }`;

interface Day {
  date: string;
  slots: { startsAt: string; availableDurations: number[] }[];
}

/** A provider of the practice with its own zone, settings and weekly rules (written through GraphQL). */
async function provider(
  zone: string,
  rules: { dayOfWeek: number; startTime: string; endTime: string }[],
  settings: Partial<UserRow> = {},
) {
  const user = await makeUser(t.database, p.tenant, "PROVIDER", { timeZone: zone, ...settings });
  for (const input of rules) {
    const result = await t.gql(
      `mutation($input: AvailabilityRuleInput!) { createAvailabilityRule(input: $input) { id } }`,
      { input: { ...input, providerId: user.id } },
      admin,
    );
    expect(result.errors).toBeUndefined();
  }
  return user;
}

async function slots(vars: Record<string, unknown>, token = admin): Promise<Day[]> {
  const result = await t.gql(SLOTS, vars, token);
  expect(result.errors).toBeUndefined();
  return result.data!.availableSlots as Day[];
}

/** A client with no sessions yet: the database forbids one client two overlapping sessions. */
const freshClient = () => makeUser(t.database, p.tenant, "CLIENT");

const starts = (day: Day) => day.slots.map((s) => s.startsAt.slice(11, 16));

function errorOf(result: GqlResult<unknown>) {
  expect(result.data ?? null).toBeNull();
  return { message: result.errors![0].message, ...result.errors![0].extensions } as {
    message: string;
    code: string;
    fieldErrors?: Record<string, string>;
  };
}

async function override(providerId: number, input: Record<string, unknown>) {
  const result = await t.gql(
    `mutation($input: AvailabilityOverrideInput!) { createAvailabilityOverride(input: $input) { id } }`,
    { input: { providerId, ...input } },
    admin,
  );
  expect(result.errors).toBeUndefined();
}

describe(`availableSlots (${engine})`, () => {
  it("DST: Monday 09:00–17:00 in America/New_York starts at 14:00Z on 2026-03-02 and at 13:00Z on 2026-03-09", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }]);
    const days = await slots({ p: ny.id, from: "2026-03-02", to: "2026-03-09" });
    expect(days.map((d) => d.date)).toEqual([
      "2026-03-02",
      "2026-03-03",
      "2026-03-04",
      "2026-03-05",
      "2026-03-06",
      "2026-03-07",
      "2026-03-08",
      "2026-03-09",
    ]);
    const [first, last] = [days[0], days[7]];
    expect(first.slots[0]).toEqual({ startsAt: "2026-03-02T14:00:00.000Z", availableDurations: [30, 60, 90, 120] });
    expect(last.slots[0]).toEqual({ startsAt: "2026-03-09T13:00:00.000Z", availableDurations: [30, 60, 90, 120] });
    // 09:00 .. 16:30 local every 30 minutes; the last start only fits 30 minutes.
    expect(first.slots).toHaveLength(16);
    expect(first.slots.at(-1)).toEqual({ startsAt: "2026-03-02T21:30:00.000Z", availableDurations: [30] });
    expect(last.slots.at(-1)).toEqual({ startsAt: "2026-03-09T20:30:00.000Z", availableDurations: [30] });
    expect(first.slots.at(-3)).toEqual({ startsAt: "2026-03-02T20:30:00.000Z", availableDurations: [30, 60, 90] });
    expect(days.slice(1, 7).every((d) => d.slots.length === 0)).toBe(true);
  });

  it("DST nights: a Sunday 00:00–04:00 rule has 3 real hours on spring-forward and 5 on fall-back", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 0, startTime: "00:00", endTime: "04:00" }]);
    const [spring] = await slots({ p: ny.id, from: "2026-03-08" });
    // 00:00–01:30 EST (05:00Z–06:30Z), then the clocks skip 02:00–03:00: 03:00, 03:30 EDT (07:00Z, 07:30Z).
    expect(starts(spring)).toEqual(["05:00", "05:30", "06:00", "06:30", "07:00", "07:30"]);
    expect(spring.slots[0].availableDurations).toEqual([30, 60, 90, 120]);
    expect(spring.slots.at(-1)!.availableDurations).toEqual([30]);
    const [fall] = await slots({ p: ny.id, from: "2026-11-01" });
    // 00:00–01:30 EDT (04:00Z–05:30Z), the repeated 01:00–01:30 EST (06:00Z, 06:30Z), then 02:00–03:30 EST.
    expect(starts(fall)).toEqual([
      "04:00",
      "04:30",
      "05:00",
      "05:30",
      "06:00",
      "06:30",
      "07:00",
      "07:30",
      "08:00",
      "08:30",
    ]);
  });

  it("a half-hour zone: Asia/Kolkata 09:00–11:00 is 03:30Z–05:30Z", async () => {
    const kolkata = await provider("Asia/Kolkata", [{ dayOfWeek: 1, startTime: "09:00", endTime: "11:00" }]);
    const [day] = await slots({ p: kolkata.id, from: "2026-03-02" });
    expect(day.slots).toEqual([
      { startsAt: "2026-03-02T03:30:00.000Z", availableDurations: [30, 60, 90, 120] },
      { startsAt: "2026-03-02T04:00:00.000Z", availableDurations: [30, 60, 90] },
      { startsAt: "2026-03-02T04:30:00.000Z", availableDurations: [30, 60] },
      { startsAt: "2026-03-02T05:00:00.000Z", availableDurations: [30] },
    ]);
  });

  it("an active session of the provider removes the slots it overlaps; a cancelled one does not", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }]);
    await makeSession(t.database, p.tenant, {
      providerId: ny.id,
      clientId: p.otherClient.id,
      startsAt: new Date("2026-03-02T15:00:00Z"),
      endsAt: new Date("2026-03-02T16:00:00Z"),
    });
    await makeSession(t.database, p.tenant, {
      providerId: ny.id,
      clientId: p.otherClient.id,
      startsAt: new Date("2026-03-02T19:00:00Z"),
      endsAt: new Date("2026-03-02T20:00:00Z"),
      status: "CANCELLED",
    });
    const [day] = await slots({ p: ny.id, from: "2026-03-02", d: [30, 60] });
    expect(day.slots.slice(0, 4)).toEqual([
      { startsAt: "2026-03-02T14:00:00.000Z", availableDurations: [30, 60] },
      { startsAt: "2026-03-02T14:30:00.000Z", availableDurations: [30] },
      { startsAt: "2026-03-02T16:00:00.000Z", availableDurations: [30, 60] },
      { startsAt: "2026-03-02T16:30:00.000Z", availableDurations: [30, 60] },
    ]);
    expect(starts(day)).toContain("19:00");
  });

  it("the buffer keeps a gap around sessions and the minimum notice hides near starts", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }], {
      bufferMinutes: 15,
    });
    await makeSession(t.database, p.tenant, {
      providerId: ny.id,
      clientId: (await freshClient()).id,
      startsAt: new Date("2026-03-02T15:00:00Z"),
      endsAt: new Date("2026-03-02T16:00:00Z"),
    });
    const [day] = await slots({ p: ny.id, from: "2026-03-02", d: [30, 60] });
    // Busy 14:45Z–16:15Z: 14:00 fits 30 minutes only, 14:30 and 16:00 nothing.
    expect(day.slots.slice(0, 2)).toEqual([
      { startsAt: "2026-03-02T14:00:00.000Z", availableDurations: [30] },
      { startsAt: "2026-03-02T16:30:00.000Z", availableDurations: [30, 60] },
    ]);
    // Sunday 2026-02-01 (today), 09:00–17:00 EST = 14:00Z–22:00Z, now 12:00Z, 3 hours notice: from 15:00Z.
    const noticed = await provider("America/New_York", [{ dayOfWeek: 0, startTime: "09:00", endTime: "17:00" }], {
      minNoticeMinutes: 180,
    });
    const [today] = await slots({ p: noticed.id, from: "2026-02-01" });
    expect(today.slots[0].startsAt).toBe("2026-02-01T15:00:00.000Z");
  });

  it("never offers a start in the past", async () => {
    const utc = await provider("UTC", [{ dayOfWeek: 0, startTime: "08:00", endTime: "16:00" }]);
    const days = await slots({ p: utc.id, from: "2026-01-25", to: "2026-02-01" });
    expect(days[0].slots).toEqual([]);
    expect(days[7].slots[0]).toEqual({ startsAt: "2026-02-01T12:00:00.000Z", availableDurations: [30, 60, 90, 120] });
    expect(starts(days[7])[0]).toBe("12:00");
  });

  it("clientId: the client's own sessions are busy too; a CLIENT caller always counts their own", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }]);
    // The client's session with the practice's other provider, 13:00–14:00 EST.
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: new Date("2026-03-02T18:00:00Z"),
      endsAt: new Date("2026-03-02T19:00:00Z"),
    });
    const [open] = await slots({ p: ny.id, from: "2026-03-02" });
    expect(starts(open)).toContain("18:00");
    const [forClient] = await slots({ p: ny.id, from: "2026-03-02", c: p.client.id });
    expect(starts(forClient)).not.toContain("18:00");
    expect(starts(forClient)).not.toContain("18:30");
    expect(forClient.slots.find((s) => s.startsAt.includes("T17:00"))!.availableDurations).toEqual([30, 60]);
    const [asClient] = await slots({ p: ny.id, from: "2026-03-02" }, client);
    expect(asClient).toEqual(forClient);
    expect(errorOf(await t.gql(SLOTS, { p: ny.id, from: "2026-03-02", c: p.client.id }, otherClient)).code).toBe(
      "FORBIDDEN",
    );
    expect(errorOf(await t.gql(SLOTS, { p: ny.id, from: "2026-03-02", c: p.admin.id }, admin))).toMatchObject({
      code: "NOT_FOUND",
      reason: "NOT_FOUND",
      message: "Client not found",
    });
  });

  it("overrides: a day off, time off and extra hours replace the weekly rules for their date", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }]);
    await override(ny.id, { date: "2026-03-02", isAvailable: false });
    await override(ny.id, { date: "2026-03-09", startTime: "09:00", endTime: "12:00", isAvailable: false });
    await override(ny.id, { date: "2026-03-10", startTime: "10:00", endTime: "12:00", isAvailable: true });
    const days = await slots({ p: ny.id, from: "2026-03-02", to: "2026-03-16" });
    const byDate = new Map(days.map((d) => [d.date, d]));
    expect(byDate.get("2026-03-02")!.slots).toEqual([]);
    expect(byDate.get("2026-03-09")!.slots[0].startsAt).toBe("2026-03-09T16:00:00.000Z"); // 12:00 EDT
    expect(starts(byDate.get("2026-03-10")!)).toEqual(["14:00", "14:30", "15:00", "15:30"]); // 10:00–12:00 EDT
    expect(byDate.get("2026-03-16")!.slots[0].startsAt).toBe("2026-03-16T13:00:00.000Z"); // untouched Monday
  });

  it("bad input: ranges over 62 days, to before from, invalid dates, durations outside 1..480, unknown provider", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }]);
    expect(await slots({ p: ny.id, from: "2026-03-01", to: "2026-05-01" })).toHaveLength(62);
    expect(errorOf(await t.gql(SLOTS, { p: ny.id, from: "2026-03-01", to: "2026-05-02" }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "TOO_MUCH_WORK",
      message: "the range 2026-03-01..2026-05-02 is longer than 62 days",
      fieldErrors: { to: expect.any(String) },
    });
    expect(errorOf(await t.gql(SLOTS, { p: ny.id, from: "2026-03-02", to: "2026-03-01" }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { to: "to (2026-03-01) must not be before from (2026-03-02)" },
    });
    for (const from of ["2026-02-30", "2026-3-1", "tomorrow"]) {
      expect(errorOf(await t.gql(SLOTS, { p: ny.id, from }, admin))).toMatchObject({
        code: "BAD_USER_INPUT",
        fieldErrors: { from: expect.stringContaining("YYYY-MM-DD") },
      });
    }
    for (const d of [[0], [481], [30, -30], []]) {
      expect(errorOf(await t.gql(SLOTS, { p: ny.id, from: "2026-03-02", d }, admin))).toMatchObject({
        code: "BAD_USER_INPUT",
        fieldErrors: { durations: expect.any(String) },
      });
    }
    const [edges] = await slots({ p: ny.id, from: "2026-03-02", d: [480, 1] });
    expect(edges.slots[0].availableDurations).toEqual([1, 480]);
    expect(errorOf(await t.gql(SLOTS, { p: 99_999_999, from: "2026-03-02" }, admin))).toMatchObject({
      code: "NOT_FOUND",
      message: "Provider not found",
    });
    expect(errorOf(await t.gql(SLOTS, { p: p.client.id, from: "2026-03-02" }, admin))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(errorOf(await t.gql(SLOTS, { p: "abc", from: "2026-03-02" }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { providerId: expect.any(String) },
    });
  });
});

describe(`freeIntervals (${engine})`, () => {
  it("the fitness example: default hours 08:00–20:00 without rules, minus the day's sessions", async () => {
    const trainer = await provider("America/New_York", []);
    // Wednesday 2026-03-11 (EDT): sessions 10:00–11:00 and 14:00–15:30 local.
    await makeSession(t.database, p.tenant, {
      providerId: trainer.id,
      clientId: p.client.id,
      title: "Personal Training - John Doe",
      startsAt: new Date("2026-03-11T14:00:00Z"),
      endsAt: new Date("2026-03-11T15:00:00Z"),
    });
    await makeSession(t.database, p.tenant, {
      providerId: trainer.id,
      clientId: p.otherClient.id,
      title: "Group Class - HIIT",
      startsAt: new Date("2026-03-11T18:00:00Z"),
      endsAt: new Date("2026-03-11T19:30:00Z"),
    });
    await makeSession(t.database, p.tenant, {
      providerId: trainer.id,
      clientId: p.otherClient.id,
      startsAt: new Date("2026-03-11T20:00:00Z"),
      endsAt: new Date("2026-03-11T21:00:00Z"),
      status: "CANCELLED",
    });
    const result = await t.gql(FREE, { p: trainer.id, date: "2026-03-11", min: 90 }, admin);
    expect(result.data?.freeIntervals).toEqual([
      { startsAt: "2026-03-11T12:00:00.000Z", endsAt: "2026-03-11T14:00:00.000Z", durationMinutes: 120 },
      { startsAt: "2026-03-11T15:00:00.000Z", endsAt: "2026-03-11T18:00:00.000Z", durationMinutes: 180 },
      { startsAt: "2026-03-11T19:30:00.000Z", endsAt: "2026-03-12T00:00:00.000Z", durationMinutes: 270 },
    ]);
    const longer = await t.gql(FREE, { p: trainer.id, date: "2026-03-11", min: 150 }, client);
    expect(longer.data?.freeIntervals).toHaveLength(2);
    // Default minimum 30 minutes; another day has the whole 08:00–20:00.
    const free = await t.gql(FREE, { p: trainer.id, date: "2026-03-12" }, client);
    expect(free.data?.freeIntervals).toEqual([
      { startsAt: "2026-03-12T12:00:00.000Z", endsAt: "2026-03-13T00:00:00.000Z", durationMinutes: 720 },
    ]);
  });

  it("uses the rules and overrides of the date when there are any; bad input is BAD_USER_INPUT", async () => {
    const ny = await provider("America/New_York", [{ dayOfWeek: 3, startTime: "09:00", endTime: "12:00" }]);
    await makeSession(t.database, p.tenant, {
      providerId: ny.id,
      clientId: (await freshClient()).id,
      startsAt: new Date("2026-03-11T14:00:00Z"),
      endsAt: new Date("2026-03-11T14:30:00Z"),
    });
    expect((await t.gql(FREE, { p: ny.id, date: "2026-03-11" }, admin)).data?.freeIntervals).toEqual([
      { startsAt: "2026-03-11T13:00:00.000Z", endsAt: "2026-03-11T14:00:00.000Z", durationMinutes: 60 },
      { startsAt: "2026-03-11T14:30:00.000Z", endsAt: "2026-03-11T16:00:00.000Z", durationMinutes: 90 },
    ]);
    await override(ny.id, { date: "2026-03-18", isAvailable: false });
    expect((await t.gql(FREE, { p: ny.id, date: "2026-03-18" }, admin)).data?.freeIntervals).toEqual([]);
    for (const min of [0, 1441]) {
      expect(errorOf(await t.gql(FREE, { p: ny.id, date: "2026-03-11", min }, admin))).toMatchObject({
        code: "BAD_USER_INPUT",
        fieldErrors: { minDurationMinutes: expect.any(String) },
      });
    }
    expect(errorOf(await t.gql(FREE, { p: ny.id, date: "2026-13-01" }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { date: expect.any(String) },
    });
    expect(errorOf(await t.gql(FREE, { p: 99_999_999, date: "2026-03-11" }, admin)).code).toBe("NOT_FOUND");
  });
});

describe(`availableSlotsByProvider (${engine})`, () => {
  const MANY = `query($ps: [ID!]!, $from: Date!, $to: Date) {
    availableSlotsByProvider(providerIds: $ps, from: $from, to: $to) { providerId timeZone days { date slots { startsAt availableDurations } } } }`;

  it("answers like availableSlots for each provider, in the order given, each in their own zone", async () => {
    const east = await provider("America/New_York", [{ dayOfWeek: 1, startTime: "09:00", endTime: "12:00" }]);
    const kolkata = await provider("Asia/Kolkata", [{ dayOfWeek: 2, startTime: "10:00", endTime: "13:00" }]);
    const result = await t.gql(
      MANY,
      { ps: [String(kolkata.id), String(east.id)], from: "2026-02-02", to: "2026-02-08" },
      client,
    );
    expect(result.errors).toBeUndefined();
    const many = result.data!.availableSlotsByProvider as { providerId: string; timeZone: string; days: Day[] }[];
    expect(many.map((p) => [p.providerId, p.timeZone])).toEqual([
      [String(kolkata.id), "Asia/Kolkata"],
      [String(east.id), "America/New_York"],
    ]);
    expect(many[0].days).toEqual(await slots({ p: String(kolkata.id), from: "2026-02-02", to: "2026-02-08" }, client));
    expect(many[1].days).toEqual(await slots({ p: String(east.id), from: "2026-02-02", to: "2026-02-08" }, client));
    expect(starts(many[1].days.find((d) => d.date === "2026-02-02")!)[0]).toBe("14:00");
  });

  it("refuses no providers, more than 100, and an unknown one", async () => {
    expect(errorOf(await t.gql(MANY, { ps: [], from: "2026-02-02" }, admin)).code).toBe("BAD_USER_INPUT");
    const tooMany = Array.from({ length: 101 }, (_, i) => String(i + 1));
    expect(errorOf(await t.gql(MANY, { ps: tooMany, from: "2026-02-02" }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "TOO_MUCH_WORK",
      fieldErrors: { providerIds: expect.stringContaining("1 to 100") },
    });
    expect(errorOf(await t.gql(MANY, { ps: ["999999999"], from: "2026-02-02" }, admin)).code).toBe("NOT_FOUND");
  });
});
