import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, sessions, treatmentPlans, type AuditLogRow, type SessionRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { at, dataOf, errorOf, NOW } from "../sessions/sessions.fixture.js";

/**
 * Issue 14: a request that returns clinical text (notes, provider notes, feedback) of any
 * session writes ONE audit entry listing the sessions read; a refused read of an existing
 * record is DENIED, although the caller was told NOT_FOUND.
 */

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string;
let mine: SessionRow[];
let othersSession: SessionRow;
let planId: number;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  const second = await makeUser(t.database, p.tenant, "PROVIDER");
  [admin, provider, client] = await Promise.all([p.admin, p.provider, p.client].map((u) => t.token(u, p.tenant)));
  [planId] = await asTenant(t.database, p.tenant.id, async (tx) =>
    (
      await tx
        .insert(treatmentPlans)
        .values({ tenantId: p.tenant.id, clientId: p.client.id, title: "Plan" })
        .returning()
    ).map((r) => r.id),
  );
  mine = [];
  for (let day = 7; day < 10; day++) {
    mine.push(
      await makeSession(t.database, p.tenant, {
        providerId: p.provider.id,
        clientId: p.client.id,
        startsAt: at(9, 0, day),
        endsAt: at(10, 0, day),
        notes: `note ${day}`,
        treatmentPlanId: planId,
      }),
    );
  }
  othersSession = await makeSession(t.database, p.tenant, {
    providerId: second.id,
    clientId: p.otherClient.id,
    startsAt: at(11),
    endsAt: at(12),
    notes: "someone else's",
  });
});
afterAll(() => t.close());

const rowsNow = () => asTenant(t.database, p.tenant.id, (tx) => tx.select().from(auditLog).orderBy(auditLog.id));

/** The rows a call added. */
async function auditedBy<T>(call: () => Promise<T>): Promise<{ result: T; rows: AuditLogRow[] }> {
  const before = (await rowsNow()).length;
  const result = await call();
  return { result, rows: (await rowsNow()).slice(before) };
}

const ids = (rows: { id: number }[]) => rows.map((r) => String(r.id)).sort();
const sorted = (values: string[]) => [...values].sort();

describe(`bulk reads of clinical text are audited (${engine})`, () => {
  it("the sessions connection selecting notes: one entry for the request, listing every session returned", async () => {
    const { result, rows } = await auditedBy(() =>
      t.gql(`{ sessions(first: 50) { edges { node { id notes } } } }`, {}, provider),
    );
    const returned = dataOf(result).sessions.edges.map((e: { node: { id: string } }) => ({ id: Number(e.node.id) }));
    expect(returned.length).toBe(3);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorId: p.provider.id,
      action: "read",
      entity: "Session",
      entityId: null,
      outcome: "success",
    });
    expect(sorted(rows[0].entityIds)).toEqual(ids(returned));
  });

  it("nested sessions (a plan's, through a named fragment) and a second root field still make one entry", async () => {
    const query = `query($plan: ID!, $id: ID!) {
      treatmentPlan(id: $plan) { sessions { nodes { ...Clinical } } }
      again: session(id: $id) { clientFeedback }
    } fragment Clinical on Session { id providerNotes }`;
    const { result, rows } = await auditedBy(() =>
      t.gql(query, { plan: String(planId), id: String(mine[0].id) }, provider),
    );
    expect(result.errors).toBeUndefined();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "read", entity: "Session", outcome: "success" });
    expect(sorted(rows[0].entityIds)).toEqual(ids(mine));
  });

  it("a query that selects no clinical text writes nothing, even listing the same sessions", async () => {
    const { result, rows } = await auditedBy(() =>
      t.gql(
        `query($plan: ID!) { sessions { edges { node { id title description } } } treatmentPlan(id: $plan) { sessions { nodes { id startsAt } } } }`,
        { plan: String(planId) },
        provider,
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(rows).toEqual([]);
  });

  it("REST lists: the scheduler's and the fitness API's session lists each write one entry with the ids", async () => {
    const sapphire = await auditedBy(() => rest(t.url, "GET", `/sapphire/scheduler/sessions/`, { token: provider }));
    expect(sapphire.result.status).toBe(200);
    expect(sapphire.rows).toHaveLength(1);
    expect(sapphire.rows[0]).toMatchObject({
      actorId: p.provider.id,
      action: "read",
      entity: "Session",
      outcome: "success",
    });
    expect(sorted(sapphire.rows[0].entityIds)).toEqual(ids(mine));

    const fitness = await auditedBy(() => rest(t.url, "GET", `/api/v1/sessions`, { token: provider }));
    expect(fitness.result.status).toBe(200);
    expect(fitness.rows).toHaveLength(1);
    expect(sorted(fitness.rows[0].entityIds)).toEqual(ids(mine));
  });

  it("REST detail: one entry naming the record (entityId and entityIds)", async () => {
    const { result, rows } = await auditedBy(() =>
      rest(t.url, "GET", `/api/v1/sessions/${mine[1].id}`, { token: provider }),
    );
    expect(result.status).toBe(200);
    expect(rows).toMatchObject([
      {
        action: "read",
        entity: "Session",
        entityId: String(mine[1].id),
        entityIds: [String(mine[1].id)],
        outcome: "success",
      },
    ]);
  });

  it("auditLog(entity, entityId) finds the bulk reads that listed the record and exposes their ids", async () => {
    const { rows } = await auditedBy(() => t.gql(`{ sessions { nodes { notes } } }`, {}, admin));
    expect(rows).toHaveLength(1);
    const { auditLog: entries } = dataOf(
      await t.gql(
        `query($id: ID!) { auditLog(entity: "Session", entityId: $id) { action entityId entityIds outcome } }`,
        { id: String(othersSession.id) },
        admin,
      ),
    );
    expect(entries[0]).toMatchObject({ action: "read", entityId: null, outcome: "SUCCESS" });
    expect(entries[0].entityIds).toEqual(expect.arrayContaining([String(othersSession.id), ...ids(mine)]));
  });
});

describe(`refused reads of existing records are DENIED (${engine})`, () => {
  // FORBIDDEN today, NOT_FOUND once session access throws hiddenFromCaller (issue 14, another bullet): DENIED either way.
  // The NOT_FOUND path itself: test/audit/denied-flag.test.ts.
  it("GraphQL session(id) of another client's session: refused (no hint of the flag), DENIED on record", async () => {
    const { result, rows } = await auditedBy(() =>
      t.gql(`query($id: ID!) { session(id: $id) { id title } }`, { id: String(othersSession.id) }, client),
    );
    expect(["FORBIDDEN", "NOT_FOUND"]).toContain(errorOf(result).code);
    expect(JSON.stringify(result)).not.toMatch(/denied/i);
    expect(rows).toMatchObject([
      {
        actorId: p.client.id,
        action: "read",
        entity: "Session",
        entityId: String(othersSession.id),
        outcome: "denied",
      },
    ]);

    // A session that does not exist is only NOT_FOUND.
    const missing = await auditedBy(() => t.gql(`{ session(id: "99999999") { notes } }`, {}, client));
    expect(errorOf(missing.result).code).toBe("NOT_FOUND");
    expect(missing.rows).toMatchObject([{ action: "read", entityId: "99999999", outcome: "not_found" }]);
  });

  it("a failed session(id) under an alias in a root fragment, beside a successful one: its own row, from its own error", async () => {
    const query = `query($mine: ID!, $theirs: ID!) { ...Reads } fragment Reads on Query {
      mine: session(id: $mine) { notes }
      theirs: session(id: $theirs) { id }
      gone: session(id: "99999999") { title }
    }`;
    const { result, rows } = await auditedBy(() =>
      t.gql(query, { mine: String(mine[0].id), theirs: String(othersSession.id) }, client),
    );
    expect(result.data?.mine.notes).toBe(mine[0].notes);
    expect(result.errors?.map((e) => e.path)).toEqual(expect.arrayContaining([["theirs"], ["gone"]]));
    // gone asked for no clinical text and was not refused (nothing to refuse): no row of its own.
    expect(rows).toMatchObject([
      { action: "read", entity: "Session", entityId: String(othersSession.id), outcome: "denied" },
      { action: "read", entity: "Session", entityId: String(mine[0].id), entityIds: [String(mine[0].id)] },
    ]);
    expect(rows).toHaveLength(2);
  });

  it("node(id) of another client's session: null to the caller, DENIED on record", async () => {
    const { result, rows } = await auditedBy(() =>
      t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: String(othersSession.id) }, client),
    );
    expect(dataOf(result).node).toBeNull();
    expect(rows).toMatchObject([
      {
        actorId: p.client.id,
        action: "read",
        entity: "Session",
        entityId: String(othersSession.id),
        outcome: "denied",
      },
    ]);
  });

  it("a mutation on another client's session is a denied write", async () => {
    const { result, rows } = await auditedBy(() =>
      t.gql(`mutation($id: ID!) { cancelSession(id: $id) { id } }`, { id: String(othersSession.id) }, client),
    );
    expect(["FORBIDDEN", "NOT_FOUND"]).toContain(errorOf(result).code);
    expect(rows).toMatchObject([
      { action: "cancelSession", entity: "Session", entityId: String(othersSession.id), outcome: "denied" },
    ]);
    const [still] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.select().from(sessions).where(eq(sessions.id, othersSession.id)),
    );
    expect(still.status).toBe(othersSession.status);
  });

  // Which status each shim answers is its document's (session visibility is not this test's); the record is what matters.
  it("REST: the shims' session by id refuse in their own format, and the refusal is DENIED on record", async () => {
    const sapphire = await auditedBy(() =>
      rest(t.url, "GET", `/sapphire/scheduler/sessions/${othersSession.id}/`, { token: provider }),
    );
    expect([403, 404]).toContain(sapphire.result.status);
    expect(sapphire.result.text).not.toMatch(/denied/i);
    expect(sapphire.rows).toMatchObject([
      {
        actorId: p.provider.id,
        action: "read",
        entity: "Session",
        entityId: String(othersSession.id),
        outcome: "denied",
      },
    ]);

    const fitness = await auditedBy(() =>
      rest(t.url, "GET", `/api/v1/sessions/${othersSession.id}`, { token: provider }),
    );
    expect([403, 404]).toContain(fitness.result.status);
    expect(fitness.rows).toMatchObject([
      { action: "read", entity: "Session", entityId: String(othersSession.id), outcome: "denied" },
    ]);
  });
});
