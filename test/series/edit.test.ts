import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { rest } from "../helpers/rest.js";
import { makeSession } from "../helpers/factories.js";
import {
  seriesPractice,
  BOOK_SERIES,
  dataOf,
  errorOf,
  occurrencesOf,
  seriesRows,
  snapshot,
  wall,
  weekday,
} from "./series.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof seriesPractice>>["p"];
let provider: string, client: string;

beforeAll(async () => ({ t, p, provider, client } = await seriesPractice()));
afterAll(() => t.close());

const NY = "America/New_York";

/** A weekly Tuesday 15:00 (New York) course of `count` from `firstTuesday`; returns its id and occurrence ids. */
async function course(firstTuesday: string, count: number) {
  const { bookSeries } = dataOf(
    await t.gql(
      BOOK_SERIES,
      {
        input: {
          providerId: String(p.provider.id),
          clientId: String(p.client.id),
          startsAt: firstTuesday,
          durationMinutes: 50,
          recurrence: `FREQ=WEEKLY;BYDAY=TU;COUNT=${count}`,
          title: "Course",
        },
      },
      provider,
    ),
  );
  return { id: Number(bookSeries.series.id), ids: bookSeries.sessions.map((s: { id: string }) => s.id) as string[] };
}

const RESCHEDULE = `mutation($id: ID!, $startsAt: DateTime!, $scope: EditScope) {
  rescheduleSession(id: $id, startsAt: $startsAt, scope: $scope) { id startsAt occurrenceIndex series { id recurrence exceptions } } }`;
const CANCEL = `mutation($id: ID!, $scope: EditScope) { cancelSession(id: $id, scope: $scope) { id status } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateSessionInput!, $scope: EditScope) { updateSession(id: $id, input: $input, scope: $scope) { id title } }`;
const COMPLETE = `mutation($id: ID!) { completeSession(id: $id) { id status } }`;

const walls = (rows: { startsAt: Date; status: string }[]) =>
  rows.map((r) => `${weekday(r.startsAt.toISOString(), NY)} ${wall(r.startsAt, NY)} ${r.status}`);

describe(`editing a series with a scope (${engine})`, () => {
  it("THIS moves one occurrence and records its original start as an exception; it keeps series and index", async () => {
    const c = await course("2030-01-08T20:00:00Z", 3);
    const moved = dataOf(
      await t.gql(RESCHEDULE, { id: c.ids[1], startsAt: "2030-01-16T21:00:00Z" }, client),
    ).rescheduleSession;
    expect(moved).toMatchObject({
      occurrenceIndex: 2,
      series: { id: String(c.id), exceptions: ["2030-01-15T20:00:00.000Z"] },
    });
    // Moving it again adds nothing: its original start is already out of the rule.
    const again = dataOf(
      await t.gql(RESCHEDULE, { id: c.ids[1], startsAt: "2030-01-17T21:00:00Z", scope: "THIS" }, provider),
    );
    expect(again.rescheduleSession.series.exceptions).toEqual(["2030-01-15T20:00:00.000Z"]);
    expect(walls(await occurrencesOf(t, p.tenant, c.id))).toEqual([
      "Tue 2030-01-08 15:00 SCHEDULED",
      "Thu 2030-01-17 16:00 SCHEDULED",
      "Tue 2030-01-22 15:00 SCHEDULED",
    ]);
  });

  it("ALL moves every active occurrence by the same wall-clock shift across DST; history never changes", async () => {
    // Tuesdays 15:00 from 2030-02-26, across the spring-forward of 2030-03-10.
    const c = await course("2030-02-26T20:00:00Z", 4);
    dataOf(await t.gql(COMPLETE, { id: c.ids[0] }, provider));
    // The second occurrence (Tue 2030-03-05 15:00 EST) to Wednesday 16:00.
    dataOf(await t.gql(RESCHEDULE, { id: c.ids[1], startsAt: "2030-03-06T21:00:00Z", scope: "ALL" }, provider));
    expect(walls(await occurrencesOf(t, p.tenant, c.id))).toEqual([
      "Tue 2030-02-26 15:00 COMPLETED",
      "Wed 2030-03-06 16:00 SCHEDULED",
      "Wed 2030-03-13 16:00 SCHEDULED",
      "Wed 2030-03-20 16:00 SCHEDULED",
    ]);
    const [series] = (await seriesRows(t, p.tenant)).filter((s) => s.id === c.id);
    expect(series.recurrence).toBe("FREQ=WEEKLY;BYDAY=WE;COUNT=4");
    expect(wall(series.startsAt, NY)).toBe("2030-02-27 16:00");
  });

  it("THIS_AND_FOLLOWING splits the series: the original ends before the edited occurrence, a new one carries the rest", async () => {
    const c = await course("2030-04-02T19:00:00Z", 6);
    const moved = dataOf(
      await t.gql(
        RESCHEDULE,
        { id: c.ids[3], startsAt: "2030-04-24T20:00:00Z", scope: "THIS_AND_FOLLOWING" },
        provider,
      ),
    ).rescheduleSession;
    expect(moved.occurrenceIndex).toBe(1);
    const rest = Number(moved.series.id);
    expect(rest).not.toBe(c.id);
    expect(moved.series.recurrence).toBe("FREQ=WEEKLY;BYDAY=WE;COUNT=3");
    expect(walls(await occurrencesOf(t, p.tenant, c.id))).toEqual([
      "Tue 2030-04-02 15:00 SCHEDULED",
      "Tue 2030-04-09 15:00 SCHEDULED",
      "Tue 2030-04-16 15:00 SCHEDULED",
    ]);
    const restRows = await occurrencesOf(t, p.tenant, rest);
    expect(walls(restRows)).toEqual([
      "Wed 2030-04-24 16:00 SCHEDULED",
      "Wed 2030-05-01 16:00 SCHEDULED",
      "Wed 2030-05-08 16:00 SCHEDULED",
    ]);
    expect(restRows.map((r) => r.occurrenceIndex)).toEqual([1, 2, 3]);
    const original = (await seriesRows(t, p.tenant)).find((s) => s.id === c.id)!;
    expect(original.recurrence).toBe("FREQ=WEEKLY;BYDAY=TU;UNTIL=20300423T185959Z");
  });

  it("a scoped reschedule that collides anywhere moves nothing (CONFLICT)", async () => {
    const c = await course("2030-06-04T19:00:00Z", 3);
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.otherClient.id,
      startsAt: new Date("2030-06-19T19:00:00Z"),
      endsAt: new Date("2030-06-19T20:00:00Z"),
    });
    const before = await snapshot(t, p.tenant);
    const error = errorOf(
      await t.gql(RESCHEDULE, { id: c.ids[0], startsAt: "2030-06-05T19:00:00Z", scope: "ALL" }, provider),
    ) as ReturnType<typeof errorOf> & { reason: string };
    expect(error).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    expect(await snapshot(t, p.tenant)).toEqual(before);
  });

  it("cancel and update with THIS_AND_FOLLOWING and ALL touch only active occurrences; a scope on a single session is refused", async () => {
    const c = await course("2030-07-02T19:00:00Z", 5);
    dataOf(await t.gql(COMPLETE, { id: c.ids[0] }, provider));
    dataOf(await t.gql(UPDATE, { id: c.ids[1], input: { title: "Renamed" }, scope: "ALL" }, provider));
    const titled = await occurrencesOf(t, p.tenant, c.id);
    expect(titled.map((r) => r.title)).toEqual(["Course", "Renamed", "Renamed", "Renamed", "Renamed"]);

    dataOf(await t.gql(CANCEL, { id: c.ids[3], scope: "THIS_AND_FOLLOWING" }, client));
    expect((await occurrencesOf(t, p.tenant, c.id)).map((r) => r.status)).toEqual([
      "COMPLETED",
      "SCHEDULED",
      "SCHEDULED",
      "CANCELLED",
      "CANCELLED",
    ]);
    dataOf(await t.gql(CANCEL, { id: c.ids[2], scope: "ALL" }, provider));
    expect((await occurrencesOf(t, p.tenant, c.id)).map((r) => r.status)).toEqual([
      "COMPLETED",
      "CANCELLED",
      "CANCELLED",
      "CANCELLED",
      "CANCELLED",
    ]);

    const single = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: new Date("2030-08-01T15:00:00Z"),
      endsAt: new Date("2030-08-01T16:00:00Z"),
    });
    const before = await snapshot(t, p.tenant);
    for (const [query, vars] of [
      [CANCEL, { id: single.id, scope: "THIS" }],
      [RESCHEDULE, { id: single.id, startsAt: "2030-08-02T15:00:00Z", scope: "ALL" }],
      [UPDATE, { id: single.id, input: { title: "x" }, scope: "THIS_AND_FOLLOWING" }],
    ] as const) {
      const error = errorOf(await t.gql(query, vars, provider)) as ReturnType<typeof errorOf> & { reason: string };
      expect(error).toMatchObject({
        code: "BAD_USER_INPUT",
        reason: "VALIDATION",
        fieldErrors: { scope: expect.any(String) },
      });
    }
    expect(await snapshot(t, p.tenant)).toEqual(before);
  });

  it("a legacy API's reschedule of an occurrence is THIS: its original start becomes an exception, it keeps its series", async () => {
    const c = await course("2031-01-07T20:00:00Z", 3);
    // The fitness API takes local times in the trainer's zone: Thursday 16:00 in New York.
    const moved = await rest(t.url, "PATCH", `/api/v1/sessions/${c.ids[1]}`, {
      token: provider,
      body: { scheduled_start: "2031-01-16T16:00:00", scheduled_end: "2031-01-16T16:50:00" },
    });
    expect(moved.status).toBe(200);
    const [series] = (await seriesRows(t, p.tenant)).filter((row) => row.id === c.id);
    expect(series.exceptions.map((d) => d.toISOString())).toEqual(["2031-01-14T20:00:00.000Z"]);
    expect(walls(await occurrencesOf(t, p.tenant, c.id))).toEqual([
      "Tue 2031-01-07 15:00 SCHEDULED",
      "Thu 2031-01-16 16:00 SCHEDULED",
      "Tue 2031-01-21 15:00 SCHEDULED",
    ]);
  });
});
