/**
 * Issue 14, the session rules inside one practice, on a real server over PGlite or PostgreSQL:
 * someone else's session is NOT_FOUND (never FORBIDDEN) on every path; a conflict answered to a
 * client reveals no other session; one rule for who may book whom (and the care it creates); a
 * session links only to a plan of its own client; clinical records are never hard-deleted.
 * Each rule is checked through GraphQL and through the REST shims it concerns.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgErrorOf } from "../../src/db/client.js";
import {
  careRelationships,
  sessions,
  treatmentDetails,
  treatmentPlans,
  type SessionRow,
  type TenantRow,
  type UserRow,
} from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { at, BOOK, dataOf, errorOf, iso, NOW, openAllWeek, SESSION, snapshot } from "../sessions/sessions.fixture.js";

/** The reasons of the care and plan rules. */
const NOT_IN_CARE = "NOT_IN_CARE";
const OTHER_CLIENTS_PLAN = "OTHER_CLIENTS_PLAN";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
/** A provider of the same practice with no care relationship to p.client. */
let otherProvider: UserRow;
let admin: string, provider: string, client: string, otherClient: string, otherProviderToken: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  otherProvider = await makeUser(t.database, p.tenant, "PROVIDER");
  [admin, provider, client, otherClient, otherProviderToken] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient, otherProvider].map((u) => t.token(u, p.tenant)),
  );
  await openAllWeek(t, p.tenant, p.provider);
});
afterAll(() => t.close());

/** A fresh SCHEDULED video session of p.provider with p.client, each on its own hour of Monday the 7th onwards. */
let hour = 0;
async function theirSession(values: Partial<SessionRow> = {}): Promise<SessionRow> {
  const h = hour++;
  const day = 7 + Math.floor(h / 20);
  return makeSession(t.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    modality: "VIDEO",
    title: "Private matter",
    startsAt: at(2 + (h % 20), 0, day),
    endsAt: at(3 + (h % 20), 0, day),
    ...values,
  });
}

/** A call that must fail and leave every session and event of the tenant as it was. */
async function rejected(query: string, variables: Record<string, unknown>, token: string) {
  const before = await snapshot(t, p.tenant);
  const error = errorOf(await t.gql(query, variables, token));
  expect(await snapshot(t, p.tenant)).toEqual(before);
  return error;
}

async function careOf(tenant: TenantRow, providerId: number, clientId: number) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx
      .select()
      .from(careRelationships)
      .where(and(eq(careRelationships.providerId, providerId), eq(careRelationships.clientId, clientId))),
  );
}

async function planOf(clientId: number) {
  const [plan] = await asTenant(t.database, p.tenant.id, (tx) =>
    tx.insert(treatmentPlans).values({ tenantId: p.tenant.id, clientId, title: "Plan" }).returning(),
  );
  return plan;
}

const Q = {
  session: `query($id: ID!) { session(id: $id) { id notes } }`,
  node: `query($id: ID!) { node(id: $id) { id } }`,
  confirm: `mutation($id: ID!) { confirmSession(id: $id) { id } }`,
  complete: `mutation($id: ID!) { completeSession(id: $id) { id } }`,
  noShow: `mutation($id: ID!) { markNoShow(id: $id) { id } }`,
  cancel: `mutation($id: ID!) { cancelSession(id: $id) { id } }`,
  reschedule: `mutation($id: ID!, $startsAt: DateTime!) { rescheduleSession(id: $id, startsAt: $startsAt) { id } }`,
  update: `mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { ${SESSION} } }`,
  delete: `mutation($id: ID!) { deleteSession(id: $id) }`,
  video: `mutation($id: ID!) { issueVideoAccess(sessionId: $id) { roomName } }`,
  videoStatus: `query($id: ID!) { videoRoomStatus(sessionId: $id) { status } }`,
  details: `query($id: ID!) { treatmentDetails(sessionId: $id) { id } }`,
  addDetails: `mutation($id: ID!) { createTreatmentDetails(sessionId: $id, lines: [{ quantity: 1 }]) { id } }`,
  addDetail: `mutation($id: ID!) { createTreatmentDetail(input: { sessionId: $id, quantity: 1 }) { id } }`,
};

describe(`someone else's session is NOT_FOUND, never FORBIDDEN (${engine})`, () => {
  it("GraphQL: session, node and every operation taking a session id answer as for an unknown id; nothing is written", async () => {
    const s = await theirSession();
    const unknown = 99999999;
    for (const token of [otherClient, otherProviderToken]) {
      for (const [name, query] of Object.entries(Q)) {
        if (name === "node") continue;
        const variables = (id: number) => ({ id: String(id), startsAt: iso(20, 0, 27), input: { title: "mine" } });
        const hidden = await rejected(query, variables(s.id), token);
        const missing = await rejected(query, variables(unknown), token);
        // The same answer as for an id that does not exist, only the id differs.
        expect([name, hidden]).toEqual([
          name,
          JSON.parse(JSON.stringify(missing).replaceAll(String(unknown), String(s.id))),
        ]);
        // Writing details: a client may never (FORBIDDEN whatever the id); a provider hears "Session N not found" on sessionId, as for another tenant's.
        const expected = !name.startsWith("addDetail")
          ? "NOT_FOUND"
          : token === otherClient
            ? "FORBIDDEN"
            : "BAD_USER_INPUT";
        expect([name, hidden.code]).toEqual([name, expected]);
        if (expected === "BAD_USER_INPUT")
          expect(hidden.fieldErrors).toEqual({ sessionId: `Session ${s.id} not found` });
        if (hidden.code === "NOT_FOUND") expect(hidden.message).toBe("Session not found");
      }
      const node = await t.gql(Q.node, { id: String(s.id) }, token);
      expect(node).toMatchObject({ data: { node: null } });
      expect(node.errors).toBeUndefined();
    }
    // The session's own people still see it.
    for (const token of [client, provider, admin])
      expect(dataOf(await t.gql(Q.session, { id: String(s.id) }, token)).session.id).toBe(String(s.id));
  });

  it("REST: each shim answers with the status its document gives (fitness and booking 403 as documented; sapphire, video, treatment details 404)", async () => {
    const s = await theirSession();
    const stranger = otherProviderToken;
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const r = await rest(t.url, method, `/api/v1/sessions/${s.id}`, {
        token: stranger,
        body: method === "PATCH" ? { title: "mine" } : undefined,
      });
      expect([method, r.status, r.body]).toEqual([
        method,
        403,
        { success: false, error: "You do not have permission to view this session" },
      ]);
    }
    for (const [method, path, body] of [
      ["GET", `/booking/meetings/${s.id}`],
      ["PUT", `/booking/meetings/${s.id}`, { duration: 30 }],
      ["DELETE", `/booking/meetings/${s.id}/cancel`],
    ] as const) {
      const r = await rest(t.url, method, path, { token: otherClient, body });
      expect([path, r.status, r.body]).toEqual([
        path,
        403,
        { statusCode: 403, message: "No access to this meeting", error: "Forbidden" },
      ]);
    }
    for (const [method, path, body] of [
      ["GET", `/sapphire/scheduler/sessions/${s.id}/`],
      ["PATCH", `/sapphire/scheduler/sessions/${s.id}/`, { session_notes: "mine" }],
      ["DELETE", `/sapphire/scheduler/sessions/${s.id}/`],
      ["GET", `/api/appointments/video-token/${s.id}/`],
      ["GET", `/api/appointments/video-status/${s.id}/`],
    ] as const) {
      const r = await rest(t.url, method, path, { token: stranger, body });
      expect([path, r.status, r.body]).toEqual([path, 404, { detail: "Not found." }]);
    }
    const details = await rest(t.url, "GET", `/so/api/treatment-details/by-treatment/${s.id}`, {
      token: stranger,
      headers: { "x-tenant-code": p.tenant.code },
    });
    expect([details.status, details.body]).toEqual([
      404,
      { status: "error", message: "Treatment not found", error: null },
    ]);
    expect(
      (await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions).where(eq(sessions.id, s.id))))[0],
    ).toMatchObject({ status: "SCHEDULED", title: "Private matter" });
  });
});

describe(`a conflict answered to a client reveals no other session (${engine})`, () => {
  const NEUTRAL = "That time is no longer available";

  it("GraphQL: a client's booking or reschedule gets the neutral message without an id; the provider keeps the full detail", async () => {
    const blocker = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.otherClient.id,
      title: "Someone's therapy",
      startsAt: at(10, 0, 21),
      endsAt: at(11, 0, 21),
    });
    expect(
      await rejected(
        BOOK,
        { input: { providerId: p.provider.id, startsAt: iso(10, 30, 21), durationMinutes: 60 } },
        client,
      ),
    ).toEqual({ code: "CONFLICT", reason: "SESSION_OVERLAP", message: NEUTRAL });
    const mine = await theirSession({ startsAt: at(14, 0, 21), endsAt: at(15, 0, 21) });
    expect(await rejected(Q.reschedule, { id: mine.id, startsAt: iso(10, 0, 21) }, client)).toEqual({
      code: "CONFLICT",
      reason: "SESSION_OVERLAP",
      message: NEUTRAL,
    });
    // Their own calendar is theirs to know: a clash with their own session keeps the detail.
    expect(
      await rejected(
        BOOK,
        { input: { providerId: p.provider.id, startsAt: iso(14, 30, 21), durationMinutes: 60 } },
        client,
      ),
    ).toEqual({
      code: "CONFLICT",
      reason: "SESSION_OVERLAP",
      message: `Scheduling conflict detected with session "Private matter" at ${iso(14, 0, 21)}`,
      conflictingSessionId: mine.id,
    });
    expect(
      await rejected(
        BOOK,
        { input: { clientId: p.client.id, startsAt: iso(10, 30, 21), durationMinutes: 60 } },
        provider,
      ),
    ).toEqual({
      code: "CONFLICT",
      reason: "SESSION_OVERLAP",
      message: `Scheduling conflict detected with session "Someone's therapy" at ${iso(10, 0, 21)}`,
      conflictingSessionId: blocker.id,
    });
    expect(
      await rejected(
        BOOK,
        { input: { providerId: p.provider.id, clientId: p.client.id, startsAt: iso(10, 30, 21), durationMinutes: 60 } },
        admin,
      ),
    ).toMatchObject({
      code: "CONFLICT",
      conflictingSessionId: blocker.id,
    });
  });

  it("fitness (409) and booking (400) shims give a client the same neutral message: no title, no local time", async () => {
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.otherClient.id,
      title: "Someone's therapy",
      startsAt: at(10, 0, 22),
      endsAt: at(11, 0, 22),
    });
    const fitness = await rest(t.url, "POST", "/api/v1/sessions", {
      token: client,
      body: {
        trainer_id: p.provider.id,
        client_id: p.client.id,
        title: "Mine",
        scheduled_start: iso(10, 30, 22),
        scheduled_end: iso(11, 30, 22),
      },
    });
    expect([fitness.status, fitness.body]).toEqual([409, { success: false, error: NEUTRAL }]);
    const booking = await rest(t.url, "POST", "/booking/meetings", {
      token: client,
      body: { therapistId: String(p.provider.id), startTime: iso(10, 30, 22), duration: 60 },
    });
    expect([booking.status, booking.body]).toEqual([400, { statusCode: 400, message: NEUTRAL, error: "Bad Request" }]);
  });
});

describe(`one rule for who may book whom (${engine})`, () => {
  it("a provider books only clients in their care: GraphQL, fitness and sapphire refuse a client outside it, nothing written", async () => {
    const outside = await makeUser(t.database, p.tenant, "CLIENT");
    const message = "You don't have permission to schedule sessions for this client";
    expect(
      await rejected(BOOK, { input: { clientId: outside.id, startsAt: iso(9, 0, 23), durationMinutes: 60 } }, provider),
    ).toEqual({ code: "BAD_USER_INPUT", reason: NOT_IN_CARE, message, fieldErrors: { clientId: message } });
    const before = await snapshot(t, p.tenant);
    const fitness = await rest(t.url, "POST", "/api/v1/sessions", {
      token: provider,
      body: { client_id: outside.id, title: "x", scheduled_start: iso(9, 0, 23), scheduled_end: iso(10, 0, 23) },
    });
    expect([fitness.status, fitness.body]).toEqual([
      400,
      { success: false, error: "Validation failed", errors: { client_id: message } },
    ]);
    const sapphire = await rest(t.url, "POST", "/sapphire/scheduler/sessions/", {
      token: provider,
      body: { client: outside.id, session_date: "2030-01-23", start_time: "09:00", end_time: "10:00" },
    });
    expect([sapphire.status, sapphire.body]).toEqual([400, { client: [message] }]);
    expect(await snapshot(t, p.tenant)).toEqual(before);
    expect(await careOf(p.tenant, p.provider.id, outside.id)).toEqual([]);
  });

  it("an admin books any client of the tenant, and the booking puts the client in that provider's care (once)", async () => {
    const newcomer = await makeUser(t.database, p.tenant, "CLIENT");
    const s = dataOf(
      await t.gql(
        BOOK,
        {
          input: { providerId: otherProvider.id, clientId: newcomer.id, startsAt: iso(9, 0, 24), durationMinutes: 60 },
        },
        admin,
      ),
    ).bookSession;
    expect(s).toMatchObject({ provider: { id: String(otherProvider.id) }, client: { id: String(newcomer.id) } });
    expect(await careOf(p.tenant, otherProvider.id, newcomer.id)).toHaveLength(1);
    dataOf(
      await t.gql(
        BOOK,
        {
          input: { providerId: otherProvider.id, clientId: newcomer.id, startsAt: iso(11, 0, 24), durationMinutes: 60 },
        },
        admin,
      ),
    );
    expect(await careOf(p.tenant, otherProvider.id, newcomer.id)).toHaveLength(1);
    // Now in care: the provider may book them directly.
    dataOf(
      await t.gql(
        BOOK,
        { input: { clientId: newcomer.id, startsAt: iso(13, 0, 24), durationMinutes: 60 } },
        otherProviderToken,
      ),
    );
  });

  it("a refused admin booking (a conflict) creates no care either: one transaction", async () => {
    const newcomer = await makeUser(t.database, p.tenant, "CLIENT");
    await makeSession(t.database, p.tenant, {
      providerId: otherProvider.id,
      clientId: p.otherClient.id,
      startsAt: at(9, 0, 25),
      endsAt: at(10, 0, 25),
    });
    expect(
      (
        await rejected(
          BOOK,
          {
            input: {
              providerId: otherProvider.id,
              clientId: newcomer.id,
              startsAt: iso(9, 30, 25),
              durationMinutes: 60,
            },
          },
          admin,
        )
      ).code,
    ).toBe("CONFLICT");
    expect(await careOf(p.tenant, otherProvider.id, newcomer.id)).toEqual([]);
  });

  it("a booking through a client's treatment plan puts the client in the provider's care: GraphQL and sapphire", async () => {
    const viaGraphql = await makeUser(t.database, p.tenant, "CLIENT");
    const plan = await planOf(viaGraphql.id);
    const s = dataOf(
      await t.gql(
        BOOK,
        { input: { treatmentPlanId: plan.id, startsAt: iso(9, 0, 26), durationMinutes: 60 } },
        provider,
      ),
    ).bookSession;
    expect(s).toMatchObject({ client: { id: String(viaGraphql.id) }, treatmentPlan: { id: String(plan.id) } });
    expect(await careOf(p.tenant, p.provider.id, viaGraphql.id)).toHaveLength(1);

    const viaSapphire = await makeUser(t.database, p.tenant, "CLIENT");
    const plan2 = await planOf(viaSapphire.id);
    const created = await rest(t.url, "POST", "/sapphire/scheduler/sessions/", {
      token: provider,
      body: { treatment_plan_id: plan2.id, session_date: "2030-01-26", start_time: "12:00", end_time: "13:00" },
    });
    expect([created.status, created.body.client, created.body.treatment_plan]).toEqual([201, viaSapphire.id, plan2.id]);
    expect(await careOf(p.tenant, p.provider.id, viaSapphire.id)).toHaveLength(1);
  });
});

describe(`a session links only to a plan of its own client (${engine})`, () => {
  it("GraphQL: booking or updating with another client's plan is BAD_USER_INPUT on treatmentPlanId; nothing written", async () => {
    const foreignPlan = await planOf(p.otherClient.id);
    const message =
      "The treatment plan belongs to another client: a session may only be linked to a plan of its own client";
    expect(
      await rejected(
        BOOK,
        {
          input: {
            clientId: p.client.id,
            treatmentPlanId: foreignPlan.id,
            startsAt: iso(9, 0, 27),
            durationMinutes: 60,
          },
        },
        provider,
      ),
    ).toEqual({
      code: "BAD_USER_INPUT",
      reason: OTHER_CLIENTS_PLAN,
      message,
      fieldErrors: { treatmentPlanId: message },
    });
    const s = await theirSession();
    expect(
      await rejected(Q.update, { id: s.id, input: { treatmentPlanId: String(foreignPlan.id) } }, provider),
    ).toEqual({
      code: "BAD_USER_INPUT",
      reason: OTHER_CLIENTS_PLAN,
      message,
      fieldErrors: { treatmentPlanId: message },
    });
    // The client's own plan is fine.
    const own = await planOf(p.client.id);
    expect(
      dataOf(await t.gql(Q.update, { id: s.id, input: { treatmentPlanId: String(own.id) } }, provider)).updateSession
        .treatmentPlan,
    ).toEqual({ id: String(own.id) });
  });

  it("sapphire: 400 on treatment_plan_id (create) and on treatment_plan (update), in DRF's format", async () => {
    const foreignPlan = await planOf(p.otherClient.id);
    const message =
      "The treatment plan belongs to another client: a session may only be linked to a plan of its own client";
    const before = await snapshot(t, p.tenant);
    const created = await rest(t.url, "POST", "/sapphire/scheduler/sessions/", {
      token: provider,
      body: {
        client: p.client.id,
        treatment_plan_id: foreignPlan.id,
        session_date: "2030-01-28",
        start_time: "09:00",
        end_time: "10:00",
      },
    });
    expect([created.status, created.body]).toEqual([400, { treatment_plan_id: [message] }]);
    const s = await theirSession();
    const updated = await rest(t.url, "PATCH", `/sapphire/scheduler/sessions/${s.id}/`, {
      token: provider,
      body: { treatment_plan: foreignPlan.id },
    });
    expect([updated.status, updated.body]).toEqual([400, { treatment_plan: [message] }]);
    const after = await snapshot(t, p.tenant);
    expect(after.sessions.filter((row) => row.id !== s.id)).toEqual(before.sessions);
    expect(after.sessions.find((row) => row.id === s.id)?.treatmentPlanId).toBeNull();
  });
});

describe(`clinical records are not hard-deleted (${engine})`, () => {
  const RECORD =
    "Completed and no-show sessions are clinical records and cannot be deleted; cancel or amend the session instead";
  const DETAILS =
    "This session has treatment details recorded and cannot be deleted; cancel or amend the session instead";

  it("a COMPLETED or NO_SHOW session cannot be deleted: GraphQL, fitness and sapphire answer 400 saying to cancel or amend", async () => {
    for (const status of ["COMPLETED", "NO_SHOW"] as const) {
      const s = await theirSession({ status, startsAt: at(9, 0, 2), endsAt: at(10, 0, 2) });
      for (const token of [provider, admin])
        expect(await rejected(Q.delete, { id: s.id }, token)).toEqual({
          code: "BAD_USER_INPUT",
          reason: "HAS_RECORDS",
          message: RECORD,
        });
      const fitness = await rest(t.url, "DELETE", `/api/v1/sessions/${s.id}?permanent=true`, { token: provider });
      expect([fitness.status, fitness.body]).toEqual([400, { success: false, error: RECORD }]);
      const sapphire = await rest(t.url, "DELETE", `/sapphire/scheduler/sessions/${s.id}/`, { token: provider });
      expect([sapphire.status, sapphire.body]).toEqual([400, { non_field_errors: [RECORD] }]);
      expect(
        (await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions).where(eq(sessions.id, s.id))))[0]
          .status,
      ).toBe(status);
    }
  });

  it("a session with treatment details (even soft-deleted ones) is not deletable; the database's RESTRICT guards it too", async () => {
    const s = await theirSession();
    const [line] = dataOf(await t.gql(Q.addDetails, { id: String(s.id) }, provider)).createTreatmentDetails;
    expect(await rejected(Q.delete, { id: s.id }, admin)).toEqual({
      code: "BAD_USER_INPUT",
      reason: "HAS_RECORDS",
      message: DETAILS,
    });
    dataOf(await t.gql(`mutation($id: ID!) { deleteTreatmentDetail(id: $id) }`, { id: line.id }, provider));
    expect(await rejected(Q.delete, { id: s.id }, provider)).toEqual({
      code: "BAD_USER_INPUT",
      reason: "HAS_RECORDS",
      message: DETAILS,
    });
    const sapphire = await rest(t.url, "DELETE", `/sapphire/scheduler/sessions/${s.id}/`, { token: provider });
    expect([sapphire.status, sapphire.body]).toEqual([400, { non_field_errors: [DETAILS] }]);

    // Below the service: a plain DELETE of the session is refused by the foreign key, nothing cascades.
    const direct = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.delete(sessions).where(eq(sessions.id, s.id)),
    ).catch((err: unknown) => err);
    // PostgreSQL 18 (PGlite) reports ON DELETE RESTRICT as restrict_violation 23001, PostgreSQL 15 as 23503.
    expect(pgErrorOf(direct)).toMatchObject({
      code: expect.stringMatching(/^(23001|23503)$/),
      constraint: "treatment_details_session_fk",
    });
    const kept = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.select().from(treatmentDetails).where(eq(treatmentDetails.sessionId, s.id)),
    );
    expect(kept.map((d) => d.id)).toEqual([Number(line.id)]);
  });

  it("a scheduled session without details can still be deleted (a booking made in error)", async () => {
    const s = await theirSession();
    expect(dataOf(await t.gql(Q.delete, { id: s.id }, provider)).deleteSession).toBe(true);
  });
});
