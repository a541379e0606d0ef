import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgErrorOf } from "../../src/db/client.js";
import {
  auditLog,
  items,
  sessions,
  treatmentDetails,
  units,
  type AuditLogRow,
  type TenantRow,
} from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, relate } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { at, BOOK, dataOf, errorOf, iso, NOW, openAllWeek } from "../sessions/sessions.fixture.js";
import { REFUSED, refuseMarkedNotes } from "./audit.fixture.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string, otherClient: string, otherAdmin: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  [admin, provider, client, otherClient] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient].map((u) => t.token(u, p.tenant)),
  );
  otherAdmin = await t.token(other.admin, other.tenant);
  await openAllWeek(t, p.tenant, p.provider);
  // The provider books otherClient below: a provider books only clients in their care (issue 14).
  await relate(t.database, p.tenant, p.provider, p.otherClient);
  await refuseMarkedNotes(t.database);
});
afterAll(() => t.close());

/** The tenant's audit rows, oldest first, as the app role sees them. */
const rowsOf = (tenant: TenantRow) =>
  asTenant(t.database, tenant.id, (tx) => tx.select().from(auditLog).orderBy(auditLog.id));

/** The rows a call added. */
async function auditedBy<T>(call: () => Promise<T>, tenant = p.tenant): Promise<{ result: T; rows: AuditLogRow[] }> {
  const before = (await rowsOf(tenant)).length;
  const result = await call();
  return { result, rows: (await rowsOf(tenant)).slice(before) };
}

const sessionCount = async () => (await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions))).length;

describe(`GraphQL writes are audited (${engine})`, () => {
  it("a booking: one success row with actor, tenant, action, entity, the new id and the request id", async () => {
    const { result, rows } = await auditedBy(() =>
      t.gql(BOOK, { input: { clientId: p.client.id, startsAt: iso(9), endsAt: iso(10), notes: "n" } }, provider),
    );
    const id = dataOf(result).bookSession.id;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      tenantId: p.tenant.id,
      actorId: p.provider.id,
      action: "bookSession",
      entity: "Session",
      entityId: id,
      outcome: "success",
    });
    expect(rows[0].requestId).toMatch(UUID);
    expect(Math.abs(rows[0].occurredAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("a conflicting booking: a conflict row and no session", async () => {
    const before = await sessionCount();
    const { result, rows } = await auditedBy(() =>
      t.gql(BOOK, { input: { clientId: p.otherClient.id, startsAt: iso(9, 30), endsAt: iso(10, 30) } }, provider),
    );
    expect(errorOf(result).code).toBe("CONFLICT");
    expect(await sessionCount()).toBe(before);
    expect(rows).toMatchObject([
      { actorId: p.provider.id, action: "bookSession", entity: "Session", entityId: null, outcome: "conflict" },
    ]);
  });

  it("a forbidden write is a denied row; bad input an invalid row; each request has its own request id", async () => {
    const denied = await auditedBy(() => t.gql(`mutation { createItem(name: "Tape") { id } }`, {}, provider));
    expect(errorOf(denied.result).code).toBe("FORBIDDEN");
    expect(denied.rows).toMatchObject([
      { actorId: p.provider.id, action: "createItem", entity: "Item", entityId: null, outcome: "denied" },
    ]);

    const invalid = await auditedBy(() =>
      t.gql(BOOK, { input: { clientId: p.client.id, startsAt: iso(15), endsAt: iso(14) } }, provider),
    );
    expect(errorOf(invalid.result).code).toBe("BAD_USER_INPUT");
    expect(invalid.rows).toMatchObject([{ action: "bookSession", outcome: "invalid" }]);
    expect(invalid.rows[0].requestId).not.toBe(denied.rows[0].requestId);
  });

  it("a Boolean mutation names its record after the verb and by its id argument; two root fields, two rows", async () => {
    const session = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(16),
      endsAt: at(17),
    });
    const { result, rows } = await auditedBy(() =>
      t.gql(
        `mutation($id: ID!) { confirmSession(id: $id) { id } deleteSession(id: $id) }`,
        { id: String(session.id) },
        provider,
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(rows).toMatchObject([
      { action: "confirmSession", entity: "Session", entityId: String(session.id), outcome: "success" },
      { action: "deleteSession", entity: "Session", entityId: String(session.id), outcome: "success" },
    ]);
    const missing = await auditedBy(() => t.gql(`mutation { deleteSession(id: "999999") }`, {}, provider));
    expect(missing.rows).toMatchObject([
      { action: "deleteSession", entity: "Session", entityId: "999999", outcome: "not_found" },
    ]);
  });

  it("a request that rolls back (an unexpected error) still leaves its rows, what claimed success as error", async () => {
    const before = await sessionCount();
    // The second booking fails unexpectedly: the whole request rolls back.
    const { result, rows } = await auditedBy(() =>
      t.gql(
        `mutation($ok: BookSessionInput!, $bad: BookSessionInput!) { ok: bookSession(input: $ok) { id } bad: bookSession(input: $bad) { id } }`,
        {
          ok: { clientId: p.client.id, startsAt: iso(11), endsAt: iso(12) },
          bad: { clientId: p.otherClient.id, startsAt: iso(13), endsAt: iso(14), notes: REFUSED },
        },
        provider,
      ),
    );
    expect(result.errors?.[0].extensions.code).toBe("INTERNAL_SERVER_ERROR");
    expect(await sessionCount()).toBe(before);
    expect(rows).toMatchObject([
      { action: "bookSession", entity: "Session", outcome: "error" },
      { action: "bookSession", entity: "Session", entityId: null, outcome: "error" },
    ]);
    expect(rows[0].requestId).toBe(rows[1].requestId);
  });

  it("a query without clinical text is not audited", async () => {
    const session = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(18),
      endsAt: at(19),
    });
    // Issue 14: a connection selecting notes is a bulk read now (test/audit/bulk-reads.test.ts); titles are not clinical text.
    const { rows } = await auditedBy(() =>
      t.gql(
        `query($id: ID!) { session(id: $id) { id title } sessions { edges { node { title } } } }`,
        { id: String(session.id) },
        provider,
      ),
    );
    expect(rows).toEqual([]);
  });
});

describe(`reads of a session's notes are audited (${engine})`, () => {
  let sessionId: number;
  beforeAll(async () => {
    sessionId = (
      await makeSession(t.database, p.tenant, {
        providerId: p.provider.id,
        clientId: p.client.id,
        startsAt: at(20),
        endsAt: at(21),
        notes: "private",
      })
    ).id;
  });

  it("GraphQL session(id) and node(id) selecting notes or providerNotes (also through fragments)", async () => {
    const bySession = await auditedBy(() =>
      t.gql(
        `query($id: ID!) { session(id: $id) { ...N } } fragment N on Session { notes }`,
        { id: String(sessionId) },
        client,
      ),
    );
    expect(dataOf(bySession.result).session.notes).toBe("private");
    expect(bySession.rows).toMatchObject([
      { actorId: p.client.id, action: "read", entity: "Session", entityId: String(sessionId), outcome: "success" },
    ]);

    const byNode = await auditedBy(() =>
      t.gql(`query($id: ID!) { node(id: $id) { ... on Session { providerNotes } } }`, { id: String(sessionId) }, admin),
    );
    expect(byNode.rows).toMatchObject([
      { actorId: p.admin.id, action: "read", entity: "Session", entityId: String(sessionId), outcome: "success" },
    ]);

    // node() of a user is no notes read.
    const notASession = await auditedBy(() =>
      t.gql(`query($id: ID!) { node(id: $id) { ... on Session { notes } } }`, { id: String(p.client.id) }, admin),
    );
    expect(notASession.rows).toEqual([]);
  });

  it("a refused attempt to read someone else's notes is a denied read", async () => {
    const { result, rows } = await auditedBy(() =>
      t.gql(`query($id: ID!) { session(id: $id) { notes } }`, { id: String(sessionId) }, otherClient),
    );
    expect(errorOf(result).code).toBe("NOT_FOUND");
    expect(rows).toMatchObject([
      { actorId: p.otherClient.id, action: "read", entity: "Session", entityId: String(sessionId), outcome: "denied" },
    ]);
  });

  it("REST: the scheduler's and the fitness API's session by id", async () => {
    const sapphire = await auditedBy(() =>
      rest(t.url, "GET", `/sapphire/scheduler/sessions/${sessionId}/`, { token: provider }),
    );
    expect(sapphire.result.status).toBe(200);
    expect(sapphire.rows).toMatchObject([
      { actorId: p.provider.id, action: "read", entity: "Session", entityId: String(sessionId), outcome: "success" },
    ]);

    const fitness = await auditedBy(() => rest(t.url, "GET", `/api/v1/sessions/${sessionId}`, { token: provider }));
    expect(fitness.result.status).toBe(200);
    expect(fitness.rows).toMatchObject([
      { action: "read", entity: "Session", entityId: String(sessionId), outcome: "success" },
    ]);

    // Issue 14: a list with notes is a read too: one entry naming every session it returned.
    const lists = await auditedBy(() => rest(t.url, "GET", `/api/v1/sessions`, { token: provider }));
    expect(lists.result.status).toBe(200);
    expect(lists.rows).toMatchObject([{ action: "read", entity: "Session", outcome: "success" }]);
    expect(lists.rows[0].entityIds).toEqual(expect.arrayContaining([String(sessionId)]));
  });
});

describe(`REST writes are audited (${engine})`, () => {
  const fitnessBody = (hour: number) => ({
    client_id: p.client.id,
    title: "Training",
    scheduled_start: `2030-01-08T${hour}:00:00Z`,
    scheduled_end: `2030-01-08T${hour + 1}:00:00Z`,
    notes: "n",
  });

  it("fitness POST: the route, the resource's record type and the new id; its conflict is recorded although the request rolled back", async () => {
    const created = await auditedBy(() =>
      rest(t.url, "POST", "/api/v1/sessions", { token: provider, body: fitnessBody(10) }),
    );
    expect(created.result.status).toBe(201);
    const id = String(created.result.body.data.id);
    expect(created.rows).toMatchObject([
      {
        tenantId: p.tenant.id,
        actorId: p.provider.id,
        action: "POST /api/v1/sessions",
        entity: "Session",
        entityId: id,
        outcome: "success",
      },
    ]);
    expect(created.rows[0].requestId).toMatch(UUID);

    const before = await sessionCount();
    const conflict = await auditedBy(() =>
      rest(t.url, "POST", "/api/v1/sessions", { token: provider, body: fitnessBody(10) }),
    );
    expect(conflict.result.status).toBe(409);
    expect(await sessionCount()).toBe(before);
    expect(conflict.rows).toMatchObject([
      { action: "POST /api/v1/sessions", entity: "Session", entityId: null, outcome: "conflict" },
    ]);

    const patched = await auditedBy(() =>
      rest(t.url, "PATCH", `/api/v1/sessions/${id}`, { token: provider, body: { title: "Renamed" } }),
    );
    expect(patched.result.status).toBe(200);
    expect(patched.rows).toMatchObject([
      { action: "PATCH /api/v1/sessions/:id", entity: "Session", entityId: id, outcome: "success" },
    ]);

    const failed = await auditedBy(() =>
      rest(t.url, "POST", "/api/v1/sessions", { token: provider, body: { ...fitnessBody(12), notes: REFUSED } }),
    );
    expect(failed.result.status).toBe(500);
    expect(failed.rows).toMatchObject([{ action: "POST /api/v1/sessions", entityId: null, outcome: "error" }]);
  });

  it("treatment-details PUT: the record by its :id; a forbidden one is denied", async () => {
    const session = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(22),
      endsAt: at(23),
    });
    const [detail] = await asTenant(t.database, p.tenant.id, async (tx) => {
      const [item] = await tx.insert(items).values({ tenantId: p.tenant.id, name: "Tape" }).returning();
      const [unit] = await tx.insert(units).values({ tenantId: p.tenant.id, name: "cm" }).returning();
      return tx
        .insert(treatmentDetails)
        .values({ tenantId: p.tenant.id, sessionId: session.id, itemId: item.id, unitId: unit.id, quantity: 1 })
        .returning();
    });
    const put = (token: string) =>
      rest(t.url, "PUT", `/so/api/treatment-details/${detail.id}`, {
        token,
        headers: { "X-Tenant-Code": p.tenant.code },
        body: { treatment_id: session.id, item_id: detail.itemId, unit_id: detail.unitId, quantity: 3 },
      });

    const updated = await auditedBy(() => put(admin));
    expect(updated.result.status).toBe(200);
    expect(updated.rows).toMatchObject([
      {
        actorId: p.admin.id,
        action: "PUT /so/api/treatment-details/:id",
        entity: "TreatmentDetail",
        entityId: String(detail.id),
        outcome: "success",
      },
    ]);

    const denied = await auditedBy(() => put(client));
    expect(denied.result.status).toBe(403);
    expect(denied.rows).toMatchObject([
      {
        actorId: p.client.id,
        action: "PUT /so/api/treatment-details/:id",
        entityId: String(detail.id),
        outcome: "denied",
      },
    ]);
  });

  it("a booking meeting cancel names the resource before the id, not the verb after it", async () => {
    const session = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(7, 0, 9),
      endsAt: at(8, 0, 9),
    });
    const { result, rows } = await auditedBy(() =>
      rest(t.url, "DELETE", `/booking/meetings/${session.id}/cancel`, { token: client }),
    );
    expect(result.status).toBe(200);
    expect(rows).toMatchObject([
      {
        action: "DELETE /booking/meetings/:id/cancel",
        entity: "Session",
        entityId: String(session.id),
        outcome: "success",
      },
    ]);
  });
});

describe(`the audit log is append-only and per tenant (${engine})`, () => {
  it("the app role cannot update or delete rows: no privilege; the owner is stopped by the trigger", async () => {
    expect((await rowsOf(p.tenant)).length).toBeGreaterThan(0);
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (err: unknown) => ({
          code: pgErrorOf(err)?.code,
          message: String((err as { cause?: Error }).cause?.message ?? err),
        }),
      );
    const asApp = [
      await codeOf(t.database.withTenant(p.tenant.id, (tx) => tx.update(auditLog).set({ outcome: "success" }))),
      await codeOf(t.database.withTenant(p.tenant.id, (tx) => tx.delete(auditLog))),
    ];
    expect(asApp).toMatchObject([
      { code: "42501", message: expect.stringMatching(/permission denied/) },
      { code: "42501" },
    ]);
    const asOwner = [
      await codeOf(t.database.db.update(auditLog).set({ outcome: "success" })),
      await codeOf(t.database.db.delete(auditLog).where(eq(auditLog.tenantId, p.tenant.id))),
      await codeOf(t.database.db.execute(sql`truncate audit_log`)),
    ];
    expect(asOwner).toMatchObject(
      [0, 1, 2].map(() => ({ code: "42501", message: expect.stringMatching(/append-only/) })),
    );
    expect((await rowsOf(p.tenant)).every((row) => row.tenantId === p.tenant.id)).toBe(true);
  });

  it("auditLog(entity, entityId): an ADMIN gets the record's history newest first with its actors; a PROVIDER is FORBIDDEN; another tenant sees nothing", async () => {
    const booked = dataOf(
      await t.gql(
        BOOK,
        { input: { clientId: p.client.id, startsAt: iso(9, 0, 10), endsAt: iso(10, 0, 10) } },
        provider,
      ),
    ).bookSession.id;
    dataOf(await t.gql(`mutation($id: ID!) { cancelSession(id: $id, reason: "ill") { id } }`, { id: booked }, client));
    const query = `query($id: ID!) { auditLog(entity: "Session", entityId: $id) { action entity entityId outcome requestId occurredAt actor { id } } }`;

    const { auditLog: entries } = dataOf(await t.gql(query, { id: booked }, admin));
    expect(entries).toMatchObject([
      {
        action: "cancelSession",
        entity: "Session",
        entityId: booked,
        outcome: "SUCCESS",
        actor: { id: String(p.client.id) },
      },
      {
        action: "bookSession",
        entity: "Session",
        entityId: booked,
        outcome: "SUCCESS",
        actor: { id: String(p.provider.id) },
      },
    ]);
    expect(entries[0].requestId).toMatch(UUID);

    expect(errorOf(await t.gql(query, { id: booked }, provider)).code).toBe("FORBIDDEN");
    expect(dataOf(await t.gql(query, { id: booked }, otherAdmin)).auditLog).toEqual([]);
    expect(await rowsOf(other.tenant)).toEqual([]);
    expect(errorOf(await t.gql(query, { id: "not-an-id" }, admin)).code).toBe("BAD_USER_INPUT");
  });
});
