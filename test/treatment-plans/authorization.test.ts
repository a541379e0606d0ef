/**
 * Issue 17: a treatment plan's authorization (authorizedSessions, authorizedUntil), decided by the
 * database (drizzle/0009_plan_authorization.sql). Every session of the plan that is not CANCELLED
 * counts; one more is CONFLICT PLAN_SESSION_LIMIT, one starting after authorizedUntil (a date in
 * the session's provider's zone) CONFLICT PLAN_EXPIRED, on every path that writes a session, and
 * nothing is written on a refusal.
 */
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, treatmentPlans, type UserRow } from "../../src/db/schema/index.js";
import { lockPlanAuthorization, startsWithinAuthorization } from "../../src/modules/treatment-plans/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { BOOK, dataOf, errorOf, NOW, snapshot } from "../sessions/sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string;
let berliner: UserRow;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  // The tenant is in America/New_York; berliner's sessions read authorizedUntil in Europe/Berlin.
  p = await makePractice(t.database);
  berliner = await makeUser(t.database, p.tenant, "PROVIDER", { timeZone: "Europe/Berlin" });
  admin = await t.token(p.admin, p.tenant);
});
afterAll(() => t.close());

const PLAN = `id authorizedSessions authorizedUntil remainingSessions progress { completed scheduled booked total }`;
const CREATE = `mutation($input: TreatmentPlanInput!) { createTreatmentPlan(input: $input) { ${PLAN} } }`;
const UPDATE = `mutation($id: ID!, $input: TreatmentPlanPatch!) { updateTreatmentPlan(id: $id, input: $input) { ${PLAN} } }`;
const GET = `query($id: ID!) { treatmentPlan(id: $id) { ${PLAN} } }`;
const CANCEL = `mutation($id: ID!) { cancelSession(id: $id) { id status } }`;
const RESCHEDULE = `mutation($id: ID!, $startsAt: DateTime!) { rescheduleSession(id: $id, startsAt: $startsAt) { id startsAt } }`;
const UPDATE_SESSION = `mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { id treatmentPlan { id } } }`;
const REASSIGN = `mutation($id: ID!, $providerId: ID) { reassignSession(id: $id, providerId: $providerId) { id provider { id } } }`;

/** A plan of p.client with the given authorization. */
async function plan(authorization: { authorizedSessions?: number | null; authorizedUntil?: string | null }) {
  const input = { clientId: p.client.id, title: "Course", ...authorization };
  return dataOf(await t.gql(CREATE, { input }, admin)).createTreatmentPlan;
}

/** Books a session of the plan (admin, p.provider unless given) at `startsAt` for 30 minutes. */
function book(planId: string, startsAt: string, providerId = p.provider.id, token = admin) {
  return t.gql(BOOK, { input: { providerId, treatmentPlanId: planId, startsAt, durationMinutes: 30 } }, token);
}

const read = async (planId: string) => dataOf(await t.gql(GET, { id: planId }, admin)).treatmentPlan;

/** A refused call: its one error, and nothing written (sessions and outbox as before). */
async function refused(call: () => Promise<Parameters<typeof errorOf>[0]>) {
  const before = await snapshot(t, p.tenant);
  const error = errorOf(await call());
  expect(await snapshot(t, p.tenant)).toEqual(before);
  return error;
}

describe(`authorizedSessions (${engine})`, () => {
  it("counts every session that is not cancelled; one more is CONFLICT PLAN_SESSION_LIMIT; cancelling frees one", async () => {
    const course = await plan({ authorizedSessions: 2 });
    expect(course).toMatchObject({ authorizedSessions: 2, authorizedUntil: null, remainingSessions: 2 });
    const first = dataOf(await book(course.id, "2030-01-07T15:00:00Z")).bookSession;
    dataOf(await book(course.id, "2030-01-08T15:00:00Z"));
    expect(await read(course.id)).toMatchObject({
      remainingSessions: 0,
      progress: { scheduled: 2, booked: 2, total: 2 },
    });

    const error = await refused(() => book(course.id, "2030-01-09T15:00:00Z"));
    expect(error).toMatchObject({ code: "CONFLICT", reason: "PLAN_SESSION_LIMIT" });
    expect(error.message).toBe(
      "Every session the treatment plan authorizes is already booked; cancel one or extend the authorization",
    );

    dataOf(await t.gql(CANCEL, { id: first.id }, admin));
    expect(await read(course.id)).toMatchObject({ remainingSessions: 1, progress: { booked: 1, total: 2 } });
    dataOf(await book(course.id, "2030-01-09T15:00:00Z"));
    expect((await read(course.id)).remainingSessions).toBe(0);
  });

  it("completed and no-show sessions count too; a plan without a limit has remainingSessions null", async () => {
    const course = await plan({ authorizedSessions: 1 });
    const only = dataOf(await book(course.id, "2030-01-07T17:00:00Z")).bookSession;
    dataOf(await t.gql(`mutation($id: ID!) { completeSession(id: $id) { id } }`, { id: only.id }, admin));
    expect(await read(course.id)).toMatchObject({ remainingSessions: 0, progress: { completed: 1, booked: 1 } });
    expect(errorOf(await book(course.id, "2030-01-08T17:00:00Z"))).toMatchObject({
      code: "CONFLICT",
      reason: "PLAN_SESSION_LIMIT",
    });

    const open = await plan({});
    dataOf(await book(open.id, "2030-01-09T17:00:00Z"));
    expect(await read(open.id)).toMatchObject({ authorizedSessions: null, remainingSessions: null });
  });

  it("linking a session to a full plan (updateSession) is refused; so is a plan that authorizes none", async () => {
    const full = await plan({ authorizedSessions: 1 });
    dataOf(await book(full.id, "2030-01-14T15:00:00Z"));
    const loose = dataOf(
      await t.gql(
        BOOK,
        {
          input: {
            providerId: p.provider.id,
            clientId: p.client.id,
            startsAt: "2030-01-14T16:00:00Z",
            durationMinutes: 30,
          },
        },
        admin,
      ),
    ).bookSession;
    const error = await refused(() =>
      t.gql(UPDATE_SESSION, { id: loose.id, input: { treatmentPlanId: full.id } }, admin),
    );
    expect(error).toMatchObject({ code: "CONFLICT", reason: "PLAN_SESSION_LIMIT" });

    const none = await plan({ authorizedSessions: 0 });
    expect(errorOf(await book(none.id, "2030-01-14T17:00:00Z"))).toMatchObject({
      code: "CONFLICT",
      reason: "PLAN_SESSION_LIMIT",
    });
  });

  it("lowering it below what is booked is BAD_USER_INPUT BOOKED_BEYOND_AUTHORIZATION, nothing changed; down to it is fine", async () => {
    const course = await plan({ authorizedSessions: 5 });
    dataOf(await book(course.id, "2030-01-15T15:00:00Z"));
    dataOf(await book(course.id, "2030-01-15T16:00:00Z"));
    const before = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .select()
        .from(treatmentPlans)
        .where(eq(treatmentPlans.id, Number(course.id))),
    );
    const error = errorOf(await t.gql(UPDATE, { id: course.id, input: { authorizedSessions: 1 } }, admin));
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "BOOKED_BEYOND_AUTHORIZATION",
      fieldErrors: {
        authorizedSessions:
          "2 sessions of this plan are booked (not cancelled): authorizedSessions cannot be lower; cancel sessions first",
      },
    });
    expect(
      await asTenant(t.database, p.tenant.id, (tx) =>
        tx
          .select()
          .from(treatmentPlans)
          .where(eq(treatmentPlans.id, Number(course.id))),
      ),
    ).toEqual(before);
    const lowered = dataOf(await t.gql(UPDATE, { id: course.id, input: { authorizedSessions: 2 } }, admin));
    expect(lowered.updateTreatmentPlan).toMatchObject({ authorizedSessions: 2, remainingSessions: 0 });
    const unlimited = dataOf(await t.gql(UPDATE, { id: course.id, input: { authorizedSessions: null } }, admin));
    expect(unlimited.updateTreatmentPlan).toMatchObject({ authorizedSessions: null, remainingSessions: null });
  });

  it("a negative or huge authorizedSessions is VALIDATION on the field, nothing written", async () => {
    for (const authorizedSessions of [-1, 10_001]) {
      const error = errorOf(await t.gql(CREATE, { input: { clientId: p.client.id, authorizedSessions } }, admin));
      expect(error).toMatchObject({ code: "BAD_USER_INPUT", reason: "VALIDATION" });
      expect(Object.keys(error.fieldErrors!)).toEqual(["authorizedSessions"]);
    }
  });
});

describe(`authorizedUntil, a date in the session's provider's zone (${engine})`, () => {
  it("23:30 local on the last day is fine, 00:30 the next day is CONFLICT PLAN_EXPIRED (Europe/Berlin provider, New York tenant)", async () => {
    const course = await plan({ authorizedUntil: "2030-01-10" });
    // 2030-01-10 23:30 in Berlin (+01:00).
    dataOf(await book(course.id, "2030-01-10T22:30:00Z", berliner.id));
    // 2030-01-11 00:30 in Berlin, though still the 10th (18:30) in the tenant's New York.
    const error = await refused(() => book(course.id, "2030-01-10T23:30:00Z", berliner.id));
    expect(error).toMatchObject({ code: "CONFLICT", reason: "PLAN_EXPIRED" });
    expect(error.message).toBe("The treatment plan's authorization ends before this session starts");
    // The same instant with the New York provider is the 10th: fine.
    dataOf(await book(course.id, "2030-01-10T23:30:00Z"));
    expect(startsWithinAuthorization(new Date("2030-01-10T22:59:59Z"), "2030-01-10", "Europe/Berlin")).toBe(true);
    expect(startsWithinAuthorization(new Date("2030-01-10T23:00:00Z"), "2030-01-10", "Europe/Berlin")).toBe(false);
  });

  it("rescheduling past the date is refused and the session stays; reassigning to a provider whose date is past it too", async () => {
    const course = await plan({ authorizedUntil: "2030-01-10" });
    // 22:30 on the 10th in New York; 04:30 on the 11th in Berlin.
    const session = dataOf(await book(course.id, "2030-01-11T03:30:00Z")).bookSession;
    const late = await refused(() => t.gql(RESCHEDULE, { id: session.id, startsAt: "2030-01-11T05:30:00Z" }, admin));
    expect(late).toMatchObject({ code: "CONFLICT", reason: "PLAN_EXPIRED" });
    const moved = await refused(() => t.gql(REASSIGN, { id: session.id, providerId: berliner.id }, admin));
    expect(moved).toMatchObject({ code: "CONFLICT", reason: "PLAN_EXPIRED" });
    // Earlier is fine.
    dataOf(await t.gql(RESCHEDULE, { id: session.id, startsAt: "2030-01-10T15:00:00Z" }, admin));
  });

  it("moving the date before a booked session is BAD_USER_INPUT BOOKED_BEYOND_AUTHORIZATION on authorizedUntil", async () => {
    const course = await plan({ authorizedUntil: "2030-01-31" });
    dataOf(await book(course.id, "2030-01-21T15:00:00Z"));
    const error = errorOf(await t.gql(UPDATE, { id: course.id, input: { authorizedUntil: "2030-01-20" } }, admin));
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", reason: "BOOKED_BEYOND_AUTHORIZATION" });
    expect(Object.keys(error.fieldErrors!)).toEqual(["authorizedUntil"]);
    expect((await read(course.id)).authorizedUntil).toBe("2030-01-31");
    const ok = dataOf(await t.gql(UPDATE, { id: course.id, input: { authorizedUntil: "2030-01-21" } }, admin));
    expect(ok.updateTreatmentPlan.authorizedUntil).toBe("2030-01-21");
  });
});

describe(`the REST shims answer in their documented formats (${engine})`, () => {
  it("sapphire: a booking onto a full plan is 400 non_field_errors; fitness: a reschedule past the date is 409; booking: 400", async () => {
    const provider = await t.token(p.provider, p.tenant);
    const full = await plan({ authorizedSessions: 1, authorizedUntil: "2030-02-01" });
    const create = (session_date: string) =>
      rest(t.url, "POST", "/sapphire/scheduler/sessions/", {
        token: provider,
        body: { treatment_plan_id: Number(full.id), session_date, start_time: "10:00:00", end_time: "11:00:00" },
      });
    const first = await create("2030-01-22");
    expect(first.status).toBe(201);
    const before = await snapshot(t, p.tenant);
    const second = await create("2030-01-23");
    expect([second.status, second.body]).toEqual([
      400,
      {
        non_field_errors: [
          "Every session the treatment plan authorizes is already booked; cancel one or extend the authorization",
        ],
      },
    ]);

    const fitness = await rest(t.url, "PATCH", `/api/v1/sessions/${first.body.id}`, {
      token: provider,
      body: { scheduled_start: "2030-02-02T10:00:00", scheduled_end: "2030-02-02T11:00:00" },
    });
    expect([fitness.status, fitness.body]).toEqual([
      409,
      { success: false, error: "The treatment plan's authorization ends before this session starts" },
    ]);

    const booking = await rest(t.url, "PUT", `/booking/meetings/${first.body.id}`, {
      token: provider,
      body: { startTime: "2030-02-02T15:00:00.000Z" },
    });
    expect([booking.status, booking.body]).toEqual([
      400,
      {
        statusCode: 400,
        message: "The treatment plan's authorization ends before this meeting starts",
        error: "Bad Request",
      },
    ]);
    expect(await snapshot(t, p.tenant)).toEqual(before);
  });
});

describe(`the last authorized session, raced (${engine})`, () => {
  const N = 20;

  it(`${N} concurrent bookSession over HTTP for it: exactly one succeeds, ${N - 1} are PLAN_SESSION_LIMIT, one session written`, async () => {
    const course = await plan({ authorizedSessions: 3 });
    dataOf(await book(course.id, "2030-02-04T09:00:00Z"));
    dataOf(await book(course.id, "2030-02-04T10:00:00Z"));
    const before = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .select()
        .from(sessions)
        .where(eq(sessions.treatmentPlanId, Number(course.id))),
    );
    // Different times (a day apart), so no two overlap: only the authorization can refuse them.
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => book(course.id, new Date(Date.UTC(2030, 1, 5 + i, 15)).toISOString())),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const winners = results.filter((r) => r.data?.bookSession);
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => !r.data?.bookSession);
    expect(losers.map((r) => r.errors?.map((e) => e.extensions))).toEqual(
      Array(N - 1).fill([{ code: "CONFLICT", reason: "PLAN_SESSION_LIMIT" }]),
    );
    const after = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .select()
        .from(sessions)
        .where(eq(sessions.treatmentPlanId, Number(course.id))),
    );
    expect(after.length - before.length).toBe(1);
    expect(after.map((s) => String(s.id))).toContain(winners[0].data!.bookSession.id);
    expect((await read(course.id)).remainingSessions).toBe(0);
  });
});

describe(`lockPlanAuthorization, for a series booking (${engine})`, () => {
  it("returns what is left, the last day and the provider's zone, under the plan's lock", async () => {
    const course = await plan({ authorizedSessions: 4, authorizedUntil: "2030-03-31" });
    dataOf(await book(course.id, "2030-03-04T15:00:00Z"));
    const locked = await asTenant(t.database, p.tenant.id, (tx) =>
      lockPlanAuthorization(tx, Number(course.id), berliner.id),
    );
    expect(locked).toEqual({ remaining: 3, authorizedUntil: "2030-03-31", timeZone: "Europe/Berlin" });
    const open = await plan({});
    const unlimited = await asTenant(t.database, p.tenant.id, (tx) =>
      lockPlanAuthorization(tx, Number(open.id), p.provider.id),
    );
    expect(unlimited).toEqual({ remaining: null, authorizedUntil: null, timeZone: "America/New_York" });
  });
});

/**
 * Below the services (no tenant queue, no savepoint), two PostgreSQL transactions: the second
 * waits for the plan's lock; once the first commits, the trigger's count (a new statement, a new
 * snapshot at READ COMMITTED) sees its row and refuses. PGlite has one connection, so there the
 * race cannot be staged below HTTP.
 */
describe.runIf(engine === "postgres")("the triggers under two real transactions (postgres)", () => {
  type PgFailure = { code: string; constraint_name: string } | undefined;

  /**
   * Transaction A runs `first` and holds what it locked; B runs `second`, which must wait (still
   * pending after 300 ms); A commits; B's outcome (its error, or undefined) is returned, and B
   * is rolled back.
   */
  async function staged(
    first: (a: postgres.ReservedSql) => Promise<unknown>,
    second: (b: postgres.ReservedSql) => Promise<unknown>,
  ): Promise<PgFailure> {
    const sql = postgres(t.databaseUrl!, { max: 2, onnotice: () => {} });
    const [a, b] = await Promise.all([sql.reserve(), sql.reserve()]);
    try {
      await a`begin`;
      await b`begin`;
      await first(a);
      let settled = false;
      const outcome = second(b).then(
        () => ((settled = true), undefined),
        (err: unknown) => ((settled = true), err as PgFailure),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await a`commit`;
      const failure = await outcome;
      await b`rollback`;
      return failure;
    } finally {
      a.release();
      b.release();
      await sql.end({ timeout: 1 });
    }
  }

  const insert = (conn: postgres.ReservedSql, planId: string, startsAt: string) =>
    conn`insert into sessions (tenant_id, provider_id, client_id, treatment_plan_id, starts_at, ends_at)
         values (${p.tenant.id}, ${p.provider.id}, ${p.client.id}, ${Number(planId)}, ${startsAt}, ${startsAt}::timestamptz + interval '30 minutes')`;
  const countOf = async (planId: string) =>
    (
      await asTenant(t.database, p.tenant.id, (tx) =>
        tx
          .select()
          .from(sessions)
          .where(eq(sessions.treatmentPlanId, Number(planId))),
      )
    ).length;

  it("the second insert waits for the first's lock, then sees its committed row: 23514 treatment_plan_session_limit", async () => {
    const course = await plan({ authorizedSessions: 1 });
    const failure = await staged(
      (a) => insert(a, course.id, "2030-04-01T15:00:00Z"),
      (b) => insert(b, course.id, "2030-04-02T15:00:00Z"),
    );
    expect(failure).toMatchObject({ code: "23514", constraint_name: "treatment_plan_session_limit" });
    expect(await countOf(course.id)).toBe(1);
  });

  it("narrowing the plan waits for a booking in flight, then counts it: 23514, the authorization stays", async () => {
    const course = await plan({ authorizedSessions: 2 });
    dataOf(await book(course.id, "2030-04-06T15:00:00Z"));
    const failure = await staged(
      (a) => insert(a, course.id, "2030-04-07T15:00:00Z"),
      (b) => b`update treatment_plans set authorized_sessions = 1 where id = ${Number(course.id)}`,
    );
    expect(failure).toMatchObject({ code: "23514", constraint_name: "treatment_plan_session_limit" });
    expect(await read(course.id)).toMatchObject({ authorizedSessions: 2, remainingSessions: 0 });
  });
});

/** Reads stay batched: a list of plans with their remaining sessions costs what it did with progress alone. */
describe(`reads (${engine})`, () => {
  it("remainingSessions and progress of every plan in a fixed number of statements", async () => {
    const query = (fields: string) => `{ treatmentPlans { id ${fields} } }`;
    const count = async (fields: string) => {
      const before = t.database.statements;
      const result = dataOf(await t.gql(query(fields), {}, admin));
      expect(result.treatmentPlans.length).toBeGreaterThan(5);
      return t.database.statements - before;
    };
    await count("progress { total }"); // the caller is cached from here on
    const withProgress = await count("progress { total }");
    expect(await count("authorizedSessions remainingSessions progress { booked total }")).toBe(withProgress);
  });
});
