import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestScope } from "../../src/db/scope.js";
import { treatmentPlans, type SessionRow, type UserRow } from "../../src/db/schema/index.js";
import { Loaders } from "../../src/modules/context.js";
import { listSessionsPage } from "../../src/modules/sessions/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { at, dataOf, errorOf, fieldMessages, iso, NOW } from "./sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string, otherClient: string, foreigner: string;
let rows: SessionRow[];
let planId: number;
let provider2: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  provider2 = await makeUser(t.database, p.tenant, "PROVIDER");
  [admin, provider, client, otherClient] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient].map((u) => t.token(u, p.tenant)),
  );
  foreigner = await t.token(other.admin, other.tenant);
  [{ id: planId }] = await asTenant(t.database, p.tenant.id, (tx) =>
    tx.insert(treatmentPlans).values({ tenantId: p.tenant.id, clientId: p.client.id }).returning(),
  );
  const mk = (values: Partial<SessionRow> & Pick<SessionRow, "startsAt" | "endsAt">) =>
    makeSession(t.database, p.tenant, { providerId: p.provider.id, clientId: p.client.id, ...values });
  rows = [
    await mk({
      title: "Alpha run",
      startsAt: at(9),
      endsAt: at(10),
      providerNotes: "secret",
      notes: "bring shoes",
      modality: "VIDEO",
      type: "PERSONAL",
      treatmentPlanId: planId,
    }),
    await mk({ title: "bravo", startsAt: at(11), endsAt: at(12), status: "COMPLETED", type: "GROUP" }),
    await mk({
      title: null,
      description: "Stretching and RUNNING drills",
      startsAt: at(13),
      endsAt: at(14),
      status: "CANCELLED",
      modality: "AUDIO",
    }),
    await mk({ title: "Charlie", startsAt: at(9, 0, 8), endsAt: at(10, 0, 8), status: "CONFIRMED" }),
    await mk({ title: "Delta", startsAt: at(9, 0, 2), endsAt: at(10, 0, 2), status: "COMPLETED" }),
    await mk({ title: "Other client", clientId: p.otherClient.id, startsAt: at(15), endsAt: at(16) }),
    await mk({
      title: "Other provider",
      providerId: provider2.id,
      clientId: p.otherClient.id,
      startsAt: at(17),
      endsAt: at(18),
    }),
  ];
  await makeSession(t.database, other.tenant, {
    providerId: other.provider.id,
    clientId: other.client.id,
    startsAt: at(9),
    endsAt: at(10),
  });
});
afterAll(() => t.close());

const LIST = `query($filter: SessionFilter, $orderBy: SessionOrder, $first: Int, $after: String) {
  sessions(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount edges { cursor node { id title } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
const ids = (...indexes: number[]) => indexes.map((i) => String(rows[i].id));
async function list(token: string, variables: Record<string, unknown> = {}) {
  return dataOf(await t.gql(LIST, variables, token)).sessions as {
    totalCount: number;
    edges: { cursor: string; node: { id: string; title: string | null } }[];
    nodes: { id: string }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

describe(`who sees which sessions (${engine})`, () => {
  it("ADMIN all of the tenant, PROVIDER their own, CLIENT their own; another tenant's none", async () => {
    expect((await list(admin)).nodes.map((n) => n.id)).toEqual(ids(4, 0, 1, 2, 5, 6, 3));
    expect((await list(provider)).nodes.map((n) => n.id)).toEqual(ids(4, 0, 1, 2, 5, 3));
    expect((await list(client)).nodes.map((n) => n.id)).toEqual(ids(4, 0, 1, 2, 3));
    expect((await list(otherClient)).nodes.map((n) => n.id)).toEqual(ids(5, 6));
    expect((await list(foreigner)).totalCount).toBe(1);
  });

  // Issue 14: someone else's session is NOT_FOUND like another tenant's (it was FORBIDDEN).
  it("session(id): providerNotes are null for the client; someone else's and another tenant's are NOT_FOUND", async () => {
    const q = `query($id: ID!) { session(id: $id) { id providerNotes notes treatmentPlan { id } } }`;
    expect(dataOf(await t.gql(q, { id: rows[0].id }, provider)).session).toEqual({
      id: ids(0)[0],
      providerNotes: "secret",
      notes: "bring shoes",
      treatmentPlan: { id: String(planId) },
    });
    expect(dataOf(await t.gql(q, { id: rows[0].id }, admin)).session.providerNotes).toBe("secret");
    expect(dataOf(await t.gql(q, { id: rows[0].id }, client)).session.providerNotes).toBeNull();
    expect(errorOf(await t.gql(q, { id: rows[0].id }, otherClient))).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    expect(errorOf(await t.gql(q, { id: rows[0].id }, foreigner))).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    expect(errorOf(await t.gql(q, { id: "x1" }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { id: 'id must be a numeric id, got "x1"' },
    });
    // And through node(id), which answers null for what the caller may not see.
    const node = `query($id: ID!) { node(id: $id) { __typename id ... on Session { title } } }`;
    expect(dataOf(await t.gql(node, { id: rows[0].id }, client)).node).toEqual({
      __typename: "Session",
      id: ids(0)[0],
      title: "Alpha run",
    });
    expect(dataOf(await t.gql(node, { id: rows[0].id }, otherClient)).node).toBeNull();
  });

  it("timing: phase, seconds and canJoin come from the one timing rule with the frozen clock", async () => {
    const q = `query($id: ID!) { session(id: $id) { timing { phase timeUntilStartSeconds timeRemainingSeconds canJoin } } }`;
    expect(dataOf(await t.gql(q, { id: rows[0].id }, client)).session.timing).toEqual({
      phase: "UPCOMING",
      timeUntilStartSeconds: 21 * 3600,
      timeRemainingSeconds: null,
      canJoin: false,
    });
    expect(dataOf(await t.gql(q, { id: rows[4].id }, client)).session.timing).toMatchObject({
      phase: "ENDED",
      canJoin: false,
    });
  });
});

describe(`sessions connection (${engine})`, () => {
  it("filters: provider, client, plan, status, type, modality, range, search", async () => {
    const nodes = async (filter: Record<string, unknown>) => (await list(admin, { filter })).nodes.map((n) => n.id);
    expect(await nodes({ providerId: provider2.id })).toEqual(ids(6));
    expect(await nodes({ clientId: p.otherClient.id })).toEqual(ids(5, 6));
    expect(await nodes({ treatmentPlanId: planId })).toEqual(ids(0));
    expect(await nodes({ status: ["COMPLETED", "CANCELLED"] })).toEqual(ids(4, 1, 2));
    expect(await nodes({ type: ["GROUP", "PERSONAL"] })).toEqual(ids(0, 1));
    expect(await nodes({ modality: ["VIDEO", "AUDIO"] })).toEqual(ids(0, 2));
    expect(await nodes({ from: iso(11), to: iso(15) })).toEqual(ids(1, 2, 5));
    expect(await nodes({ search: "run" })).toEqual(ids(0, 2));
    expect(await nodes({ search: "SHOES" })).toEqual(ids(0));
    expect(await nodes({ search: "100%" })).toEqual([]);
    expect(await nodes({ clientId: p.client.id, status: ["SCHEDULED"], from: iso(0) })).toEqual(ids(0));
  });

  it("orders by each field in both directions (ties by id); nulls in title sort as empty", async () => {
    const order = async (field: string, direction: string) =>
      (await list(client, { orderBy: { field, direction } })).nodes.map((n) => n.id);
    expect(await order("STARTS_AT", "DESC")).toEqual(ids(3, 2, 1, 0, 4));
    expect(await order("ENDS_AT", "ASC")).toEqual(ids(4, 0, 1, 2, 3));
    expect(await order("TITLE", "ASC")).toEqual(ids(2, 0, 1, 3, 4));
    expect(await order("STATUS", "ASC")).toEqual(ids(0, 3, 1, 4, 2));
    expect(await order("CREATED_AT", "ASC")).toEqual(ids(0, 1, 2, 3, 4));
    expect(await order("UPDATED_AT", "DESC")).toEqual(ids(4, 3, 2, 1, 0));
  });

  it("pages with opaque cursors; totalCount is the whole filter's, also on an empty last page", async () => {
    for (const orderBy of [
      undefined,
      { field: "TITLE", direction: "DESC" },
      { field: "STATUS", direction: "ASC" },
      { field: "CREATED_AT", direction: "DESC" },
    ]) {
      const all = (await list(admin, { orderBy })).nodes.map((n) => n.id);
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 4; i++) {
        const page = await list(admin, { orderBy, first: 2, after });
        expect(page.totalCount).toBe(7);
        expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
        seen.push(...page.edges.map((e) => e.node.id));
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
        expect(page.pageInfo.hasNextPage).toBe(seen.length < 7);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(all);
    }
    const first = await list(admin, { first: 7 });
    const empty = await list(admin, { first: 3, after: first.pageInfo.endCursor });
    expect(empty).toMatchObject({
      totalCount: 7,
      edges: [],
      nodes: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
    });
  });

  it("first is clamped to 100; negative first, a foreign cursor or a backwards range are BAD_USER_INPUT", async () => {
    expect((await list(admin, { first: 1000 })).nodes).toHaveLength(7);
    expect(errorOf(await t.gql(LIST, { first: -1 }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "first must not be negative",
    });
    expect(errorOf(await t.gql(LIST, { after: "garbage" }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { after: "after is not a cursor returned by this connection" },
    });
    const cursor = (await list(admin, { first: 1 })).pageInfo.endCursor;
    expect(
      errorOf(await t.gql(LIST, { after: cursor, orderBy: { field: "TITLE", direction: "ASC" } }, admin)),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "after is a cursor of a STARTS_AT ordering, not of TITLE",
    });
    expect(errorOf(await t.gql(LIST, { filter: { from: iso(12), to: iso(11) } }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { to: "to must not be before from" },
    });
    expect(errorOf(await t.gql(LIST, { filter: { from: "yesterday" } }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });
});

describe(`sessionStats (${engine})`, () => {
  const STATS = `query($from: DateTime, $to: DateTime, $clientId: ID, $providerId: ID) {
    sessionStats(from: $from, to: $to, clientId: $clientId, providerId: $providerId) { total upcoming byStatus { status count } byType { type count } } }`;
  const counts = (list: { count: number }[], key: "status" | "type") =>
    Object.fromEntries(list.filter((x) => x.count).map((x) => [(x as never)[key], x.count]));

  it("total, by status, by type and upcoming, over what the caller sees and the filter", async () => {
    const all = dataOf(await t.gql(STATS, {}, admin)).sessionStats;
    expect(all.total).toBe(7);
    expect(all.upcoming).toBe(4);
    expect(counts(all.byStatus, "status")).toEqual({ SCHEDULED: 3, CONFIRMED: 1, COMPLETED: 2, CANCELLED: 1 });
    expect(all.byStatus).toHaveLength(5);
    expect(counts(all.byType, "type")).toEqual({ THERAPY: 5, PERSONAL: 1, GROUP: 1 });
    const mine = dataOf(await t.gql(STATS, { from: iso(0), to: iso(23, 59) }, client)).sessionStats;
    expect(mine).toMatchObject({ total: 3, upcoming: 1 });
    expect(
      dataOf(await t.gql(STATS, { clientId: p.otherClient.id, providerId: provider2.id }, admin)).sessionStats,
    ).toMatchObject({ total: 1, upcoming: 1 });
    expect(errorOf(await t.gql(STATS, { from: iso(12), to: iso(11) }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });
});

describe(`offset paging for the REST shims (${engine})`, () => {
  /** Calls the service as a request of `viewer` would (its own transaction, rolled back after). */
  async function asRequest<T>(
    viewer: UserRow,
    fn: (ctx: Parameters<typeof listSessionsPage>[0]) => Promise<T>,
  ): Promise<T> {
    const ctx = {
      requestId: "paging",
      deps: t.app.deps,
      tenant: p.tenant,
      viewer,
      db: new RequestScope(t.database, p.tenant.id),
      loaders: new Loaders(),
    };
    ctx.loaders.bind(ctx);
    try {
      return await fn(ctx);
    } finally {
      await ctx.db.finish(false);
    }
  }

  it("listSessionsPage: the same filter and order, page + perPage (clamped to 100), total of the filter", async () => {
    const page2 = await asRequest(p.provider, (ctx) =>
      listSessionsPage(
        ctx,
        { status: ["SCHEDULED", "CONFIRMED", "COMPLETED"] },
        { field: "STARTS_AT", direction: "DESC" },
        { page: 2, perPage: 2 },
      ),
    );
    expect(page2).toMatchObject({ total: 5, page: 2, perPage: 2 });
    expect(page2.rows.map((r) => String(r.id))).toEqual(ids(1, 0));
    expect(page2.rows[1]).toEqual(rows[0]); // whole rows, decoded like the table's (Dates, enums)
    const beyond = await asRequest(p.client, (ctx) => listSessionsPage(ctx, {}, undefined, { page: 9, perPage: 500 }));
    expect(beyond).toEqual({ rows: [], total: 5, page: 9, perPage: 100 });
    const zero = await asRequest(p.admin, (ctx) => listSessionsPage(ctx, {}, undefined, { page: 0, perPage: 0 })).catch(
      (err: unknown) => err,
    );
    expect(zero).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(fieldMessages(zero)).toEqual({
      page: "page must be a positive integer",
      perPage: "perPage must be a positive integer",
    });
    // Past the shared page bound (src/bounds.ts) OFFSET would outgrow the database: bad input, not a 500.
    const huge = await asRequest(p.admin, (ctx) =>
      listSessionsPage(ctx, {}, undefined, { page: 1e18, perPage: 100 }),
    ).catch((err: unknown) => err);
    expect(huge).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(fieldMessages(huge)).toMatchObject({ page: "page must be at most 1000000" });
  });
});
