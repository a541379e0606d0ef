import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availabilityRules, treatmentPlans } from "../../src/db/schema/index.js";
import type { TestApp } from "../helpers/app.js";
import { captureStatements, engine } from "../helpers/db.js";
import { asTenant, makeSession, makeUser, relate } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import {
  seriesPractice,
  BOOK_SERIES,
  dataOf,
  errorOf,
  occurrencesOf,
  PREVIEW,
  seriesRows,
  snapshot,
  wall,
  weekday,
} from "./series.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof seriesPractice>>["p"];
let admin: string, provider: string, client: string;

beforeAll(async () => ({ t, p, admin, provider, client } = await seriesPractice()));
afterAll(() => t.close());

const NY = "America/New_York";
/** Tuesday 2030-01-08 15:00 in New York. */
const TUESDAY_3PM = "2030-01-08T20:00:00.000Z";

const preview = async (input: Record<string, unknown>, token = provider) =>
  dataOf(
    await t.gql(
      PREVIEW,
      { input: { providerId: String(p.provider.id), clientId: String(p.client.id), durationMinutes: 50, ...input } },
      token,
    ),
  ).previewSeries as {
    startsAt: string;
    bookable: boolean;
    reason: string | null;
    conflictingSessionId: string | null;
  }[];

const book = (input: Record<string, unknown>, token = provider) =>
  t.gql(
    BOOK_SERIES,
    { input: { providerId: String(p.provider.id), clientId: String(p.client.id), durationMinutes: 50, ...input } },
    token,
  );

/** A call that must fail: nothing written (no session, no event, no series). */
async function rejected(input: Record<string, unknown>, token = provider) {
  const before = { ...(await snapshot(t, p.tenant)), series: await seriesRows(t, p.tenant) };
  const error = errorOf(await book(input, token)) as ReturnType<typeof errorOf> & {
    reason: string;
    occurrences?: any[];
  };
  expect({ ...(await snapshot(t, p.tenant)), series: await seriesRows(t, p.tenant) }).toEqual(before);
  return error;
}

describe(`series: the rule's occurrences (${engine})`, () => {
  it("weekly, biweekly, BYDAY lists, monthly by ordinal weekday and by month day, COUNT and UNTIL; previewSeries writes nothing", async () => {
    const before = await snapshot(t, p.tenant);
    const walls = async (recurrence: string) =>
      (await preview({ startsAt: TUESDAY_3PM, recurrence })).map(
        (o) => `${weekday(o.startsAt, NY)} ${wall(o.startsAt, NY)}`,
      );
    expect(await walls("FREQ=WEEKLY;COUNT=3")).toEqual([
      "Tue 2030-01-08 15:00",
      "Tue 2030-01-15 15:00",
      "Tue 2030-01-22 15:00",
    ]);
    expect(await walls("FREQ=WEEKLY;INTERVAL=2;COUNT=3")).toEqual([
      "Tue 2030-01-08 15:00",
      "Tue 2030-01-22 15:00",
      "Tue 2030-02-05 15:00",
    ]);
    // "Mondays and Thursdays until ...": UNTIL as a date is that whole local day.
    expect(await walls("FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20300117")).toEqual([
      "Thu 2030-01-10 15:00",
      "Mon 2030-01-14 15:00",
      "Thu 2030-01-17 15:00",
    ]);
    // The first Monday of each month (January's is before the start); April's is after the clocks changed.
    expect(await walls("FREQ=MONTHLY;BYDAY=1MO;COUNT=3")).toEqual([
      "Mon 2030-02-04 15:00",
      "Mon 2030-03-04 15:00",
      "Mon 2030-04-01 15:00",
    ]);
    expect(await walls("FREQ=MONTHLY;BYDAY=-1FR;COUNT=2")).toEqual(["Fri 2030-01-25 15:00", "Fri 2030-02-22 15:00"]);
    expect(await walls("FREQ=MONTHLY;BYMONTHDAY=15,-1;COUNT=3")).toEqual([
      "Tue 2030-01-15 15:00",
      "Thu 2030-01-31 15:00",
      "Fri 2030-02-15 15:00",
    ]);
    // BYSETPOS: the last weekday of the month.
    expect(await walls("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=2")).toEqual([
      "Thu 2030-01-31 15:00",
      "Thu 2030-02-28 15:00",
    ]);
    expect(await walls("FREQ=DAILY;INTERVAL=3;UNTIL=20300114T235959Z")).toEqual([
      "Tue 2030-01-08 15:00",
      "Fri 2030-01-11 15:00",
      "Mon 2030-01-14 15:00",
    ]);
    expect(await snapshot(t, p.tenant)).toEqual(before);
  });

  it("a course across both DST changes keeps its wall-clock time, in America/New_York and Europe/Berlin", async () => {
    const { bookSeries } = dataOf(
      await book({ startsAt: TUESDAY_3PM, recurrence: "FREQ=WEEKLY;COUNT=52", title: "Course" }),
    );
    expect(bookSeries.sessions).toHaveLength(52);
    expect(bookSeries.skipped).toEqual([]);
    expect(bookSeries.series).toMatchObject({
      recurrence: "FREQ=WEEKLY;COUNT=52",
      timeZone: NY,
      startsAt: TUESDAY_3PM,
      durationMinutes: 50,
      status: "ACTIVE",
      exceptions: [],
      provider: { id: String(p.provider.id) },
      client: { id: String(p.client.id) },
      nextSession: { id: bookSeries.sessions[0].id },
    });
    for (const [i, s] of bookSeries.sessions.entries()) {
      expect(`${weekday(s.startsAt, NY)} ${wall(s.startsAt, NY).slice(11)}`).toBe("Tue 15:00");
      expect(s).toMatchObject({ occurrenceIndex: i + 1, status: "SCHEDULED", series: { id: bookSeries.series.id } });
    }
    const starts = bookSeries.sessions.map((s: { startsAt: string }) => s.startsAt);
    // EST before 2030-03-10, EDT until 2030-11-03, EST after.
    expect(starts).toContain("2030-03-05T20:00:00.000Z");
    expect(starts).toContain("2030-03-12T19:00:00.000Z");
    expect(starts).toContain("2030-10-29T19:00:00.000Z");
    expect(starts).toContain("2030-11-05T20:00:00.000Z");
    const stored = await occurrencesOf(t, p.tenant, Number(bookSeries.series.id));
    expect(stored.map((s) => s.startsAt.toISOString())).toEqual(starts);

    const berliner = await makeUser(t.database, p.tenant, "PROVIDER", { timeZone: "Europe/Berlin" });
    await relate(t.database, p.tenant, berliner, p.client);
    const berlin = dataOf(
      await book(
        { providerId: String(berliner.id), startsAt: "2030-01-08T14:00:00Z", recurrence: "FREQ=WEEKLY;COUNT=45" },
        admin,
      ),
    ).bookSeries;
    expect(berlin.series.timeZone).toBe("Europe/Berlin");
    for (const s of berlin.sessions) expect(wall(s.startsAt, "Europe/Berlin").slice(11)).toBe("15:00");
    const berlinStarts = berlin.sessions.map((s: { startsAt: string }) => s.startsAt);
    // CET, CEST from 2030-03-31, CET from 2030-10-27.
    expect(berlinStarts).toContain("2030-03-26T14:00:00.000Z");
    expect(berlinStarts).toContain("2030-04-02T13:00:00.000Z");
    expect(berlinStarts).toContain("2030-10-22T13:00:00.000Z");
    expect(berlinStarts).toContain("2030-10-29T14:00:00.000Z");
  });

  it("a wall time the clocks skip moves forward by the gap; a repeated one takes its first occurrence (as slots)", async () => {
    // Daily 02:30 around the spring-forward night, daily 01:30 around the fall-back night (New York).
    const spring = await preview({ startsAt: "2030-03-09T07:30:00Z", recurrence: "FREQ=DAILY;COUNT=3" });
    expect(spring.map((o) => o.startsAt)).toEqual([
      "2030-03-09T07:30:00.000Z", // 02:30 EST
      "2030-03-10T07:30:00.000Z", // 02:30 does not exist: 03:30 EDT
      "2030-03-11T06:30:00.000Z", // 02:30 EDT
    ]);
    const fall = await preview({ startsAt: "2030-11-02T05:30:00Z", recurrence: "FREQ=DAILY;COUNT=3" });
    expect(fall.map((o) => o.startsAt)).toEqual([
      "2030-11-02T05:30:00.000Z", // 01:30 EDT
      "2030-11-03T05:30:00.000Z", // 01:30 twice: the first (EDT)
      "2030-11-04T06:30:00.000Z", // 01:30 EST
    ]);
  });
});

describe(`series: checked like bookings (${engine})`, () => {
  const MONDAY_9AM = "2031-01-06T14:00:00.000Z";

  it("one conflicting occurrence: ALL_OR_NOTHING books nothing and lists it; SKIP_CONFLICTS books the rest", async () => {
    const blocking = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.otherClient.id,
      startsAt: new Date("2031-01-20T14:30:00Z"),
      endsAt: new Date("2031-01-20T15:30:00Z"),
      title: "Other",
    });
    const input = { startsAt: MONDAY_9AM, recurrence: "FREQ=WEEKLY;COUNT=4" };
    const refused = await rejected(input);
    expect(refused).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP", conflictingSessionId: blocking.id });
    expect(refused.occurrences).toEqual([
      { startsAt: "2031-01-20T14:00:00.000Z", reason: "SESSION_OVERLAP", conflictingSessionId: blocking.id },
    ]);
    // The client hears neither whose nor which session it is.
    const asClient = await rejected(input, client);
    expect(asClient).toMatchObject({
      code: "CONFLICT",
      reason: "SESSION_OVERLAP",
      message: "That time is no longer available",
    });
    expect(asClient.occurrences).toEqual([{ startsAt: "2031-01-20T14:00:00.000Z", reason: "SESSION_OVERLAP" }]);

    const preview1 = await preview(input);
    expect(preview1.map((o) => o.bookable)).toEqual([true, true, false, true]);
    expect(preview1[2]).toMatchObject({ reason: "SESSION_OVERLAP", conflictingSessionId: String(blocking.id) });

    const { bookSeries } = dataOf(await book({ ...input, conflictPolicy: "SKIP_CONFLICTS" }));
    expect(bookSeries.sessions.map((s: any) => [s.startsAt, s.occurrenceIndex])).toEqual([
      [MONDAY_9AM, 1],
      ["2031-01-13T14:00:00.000Z", 2],
      ["2031-01-27T14:00:00.000Z", 4],
    ]);
    expect(bookSeries.skipped).toEqual([
      {
        startsAt: "2031-01-20T14:00:00.000Z",
        reason: "SESSION_OVERLAP",
        message: expect.stringContaining("Scheduling conflict"),
        conflictingSessionId: String(blocking.id),
      },
    ]);
    // The rule stays true to what is booked: the skipped start is an exception.
    expect(bookSeries.series.exceptions).toEqual(["2031-01-20T14:00:00.000Z"]);
  });

  it("a CLIENT's occurrences outside the provider's availability: OUTSIDE_AVAILABILITY, every one listed", async () => {
    const tuesdays = await makeUser(t.database, p.tenant, "PROVIDER");
    await relate(t.database, p.tenant, tuesdays, p.client);
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx.insert(availabilityRules).values({
        tenantId: p.tenant.id,
        providerId: tuesdays.id,
        dayOfWeek: 2,
        startTime: "09:00",
        endTime: "17:00",
      }),
    );
    const input = {
      providerId: String(tuesdays.id),
      startsAt: "2031-02-04T20:00:00Z",
      recurrence: "FREQ=WEEKLY;BYDAY=TU,WE;COUNT=4",
    };
    const refused = await rejected(input, client);
    expect(refused).toMatchObject({ code: "BAD_USER_INPUT", reason: "OUTSIDE_AVAILABILITY" });
    expect(refused.occurrences).toEqual([
      { startsAt: "2031-02-05T20:00:00.000Z", reason: "OUTSIDE_AVAILABILITY" },
      { startsAt: "2031-02-12T20:00:00.000Z", reason: "OUTSIDE_AVAILABILITY" },
    ]);
    // The provider books outside their own hours: availability binds clients only.
    expect(dataOf(await book(input, admin)).bookSeries.sessions).toHaveLength(4);
  });

  it("bad input is BAD_USER_INPUT with a reason and the field, nothing written", async () => {
    const start = "2031-03-03T14:00:00Z";
    const cases: [Record<string, unknown>, string, string][] = [
      [{ recurrence: "FREQ=YEARLY;COUNT=2" }, "INVALID_RECURRENCE", "YEARLY"],
      [{ recurrence: "FREQ=WEEKLY;BYHOUR=9;COUNT=2" }, "INVALID_RECURRENCE", "BYHOUR"],
      [{ recurrence: "FREQ=WEEKLY" }, "INVALID_RECURRENCE", "COUNT or UNTIL"],
      [{ recurrence: "FREQ=WEEKLY;COUNT=3;UNTIL=20310401" }, "INVALID_RECURRENCE", "COUNT or UNTIL"],
      [{ recurrence: "FREQ=WEEKLY;COUNT=201" }, "INVALID_RECURRENCE", "200"],
      [{ recurrence: "FREQ=DAILY;UNTIL=20330201" }, "INVALID_RECURRENCE", "200"],
      [{ recurrence: "FREQ=MONTHLY;UNTIL=20340101" }, "INVALID_RECURRENCE", "2 years"],
      [{ recurrence: "FREQ=WEEKLY;UNTIL=20300101" }, "INVALID_RECURRENCE", "UNTIL is before"],
      [{ recurrence: "FREQ=WEEKLY;BYDAY=1MO;COUNT=2" }, "INVALID_RECURRENCE", "MONTHLY"],
      [{ recurrence: "FREQ=DAILY;COUNT=2", durationMinutes: 0 }, "VALIDATION", "durationMinutes"],
      [{ recurrence: "FREQ=DAILY;COUNT=2", durationMinutes: 1441 }, "VALIDATION", "durationMinutes"],
      // 24 hours every day across the spring-forward night (a 23-hour day): the occurrences would overlap.
      [
        { startsAt: "2031-03-08T15:00:00Z", recurrence: "FREQ=DAILY;COUNT=3", durationMinutes: 1440 },
        "VALIDATION",
        "does not fit",
      ],
      [{ startsAt: "2029-12-31T14:00:00Z", recurrence: "FREQ=DAILY;COUNT=2" }, "IN_THE_PAST", "past"],
    ];
    for (const [input, reason, words] of cases) {
      const error = await rejected({ startsAt: start, ...input });
      expect(error, JSON.stringify(input)).toMatchObject({ code: "BAD_USER_INPUT", reason });
      expect(error.message).toContain(words);
      expect(Object.keys(error.fieldErrors ?? {}).length, JSON.stringify(input)).toBe(1);
    }
    const [othersPlan] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .insert(treatmentPlans)
        .values({ tenantId: p.tenant.id, title: "Theirs", clientId: p.otherClient.id })
        .returning(),
    );
    const error = await rejected(
      { startsAt: start, recurrence: "FREQ=WEEKLY;COUNT=2", treatmentPlanId: String(othersPlan.id) },
      admin,
    );
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "OTHER_CLIENTS_PLAN",
      fieldErrors: { treatmentPlanId: expect.any(String) },
    });
  });

  it("the statements of a booking do not grow with its occurrences (4 vs 52)", async () => {
    const counted = async (startsAt: string, count: number) => {
      const { result, statements } = await captureStatements(t.database, () =>
        book({ startsAt, recurrence: `FREQ=WEEKLY;COUNT=${count}`, clientId: String(p.otherClient.id) }, admin),
      );
      expect(dataOf(result).bookSeries.sessions).toHaveLength(count);
      return statements.length;
    };
    // The first request of a token reads the tenant and the caller (then cached): warmed up first.
    await counted("2036-06-02T14:00:00Z", 2);
    const four = await counted("2033-01-03T14:00:00Z", 4);
    const many = await counted("2034-01-02T14:00:00Z", 52);
    expect(many).toBe(four);
    expect(many).toBeLessThanOrEqual(20);
  });

  it("two concurrent series overlapping on one occurrence: exactly one is booked (ALL_OR_NOTHING)", async () => {
    const other = await makeUser(t.database, p.tenant, "CLIENT");
    const results = await Promise.all([
      book({ startsAt: "2032-01-05T14:00:00Z", recurrence: "FREQ=WEEKLY;COUNT=10" }, admin),
      book({ startsAt: "2032-03-08T13:30:00Z", recurrence: "FREQ=WEEKLY;COUNT=10", clientId: String(other.id) }, admin),
    ]);
    const won = results.filter((r) => !r.errors);
    const lost = results.filter((r) => r.errors);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].errors![0].extensions).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    expect(lost[0].errors![0].extensions.occurrences).toHaveLength(1);
    const rows = await seriesRows(t, p.tenant);
    const lostStarts = rows.filter((r) => r.startsAt.getUTCFullYear() === 2032);
    expect(lostStarts).toHaveLength(1);
  });

  it("occurrences are ordinary sessions: node(id), series(id), TreatmentPlan.series, sessions(), a REST shim; hidden from others", async () => {
    const [plan] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.insert(treatmentPlans).values({ tenantId: p.tenant.id, title: "Course", clientId: p.client.id }).returning(),
    );
    const { bookSeries } = dataOf(
      await book({
        startsAt: "2035-01-02T15:00:00Z",
        recurrence: "FREQ=WEEKLY;COUNT=3",
        treatmentPlanId: String(plan.id),
        clientId: null,
      }),
    );
    const id = bookSeries.series.id;
    expect(bookSeries.series.treatmentPlan).toEqual({ id: String(plan.id) });
    const read = dataOf(
      await t.gql(
        `query($id: ID!, $plan: ID!) {
          node(id: $id) { __typename ... on SessionSeries { id status sessions(first: 2) { totalCount nodes { occurrenceIndex } pageInfo { hasNextPage } } } }
          treatmentPlan(id: $plan) { series { id } }
          sessions(filter: { from: "2035-01-01T00:00:00Z", to: "2035-02-01T00:00:00Z" }) { nodes { id occurrenceIndex series { id } } } }`,
        { id, plan: String(plan.id) },
        client,
      ),
    );
    expect(read.node).toMatchObject({
      __typename: "SessionSeries",
      id,
      status: "ACTIVE",
      sessions: {
        totalCount: 3,
        nodes: [{ occurrenceIndex: 1 }, { occurrenceIndex: 2 }],
        pageInfo: { hasNextPage: true },
      },
    });
    expect(read.treatmentPlan.series).toEqual([{ id }]);
    expect(read.sessions.nodes.map((s: any) => s.series.id)).toEqual([id, id, id]);

    const fitness = await rest(t.url, "GET", `/api/v1/sessions/${bookSeries.sessions[1].id}`, { token: provider });
    expect(fitness.status).toBe(200);
    expect(JSON.stringify(fitness.body)).toContain(String(bookSeries.sessions[1].id));

    const otherToken = await t.token(p.otherClient, p.tenant);
    const hidden = await t.gql(`query($id: ID!) { series(id: $id) { id } node(id: $id) { id } }`, { id }, otherToken);
    expect(hidden.errors?.[0].extensions).toMatchObject({ code: "NOT_FOUND" });
  });
});
