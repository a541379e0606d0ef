import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { items, treatmentDetails, treatmentPlans, units, users, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { captureStatements, engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { at, dataOf, NOW } from "./sessions.fixture.js";

// The sessions planner (src/modules/sessions/session.planner.ts) must answer exactly what the
// DataLoader path answers: the same server with SESSION_PLANNER=false, on the same database.
let planned: TestApp;
let loaders: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let inactive: UserRow;
let deleted: UserRow;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};

beforeAll(async () => {
  planned = await startTestApp({ now: () => NOW });
  loaders = await startTestApp({
    now: () => NOW,
    database: planned.database,
    databaseUrl: planned.databaseUrl,
    env: { SESSION_PLANNER: "false" },
  });
  const db = planned.database;
  p = await makePractice(db);
  const tenantId = p.tenant.id;
  inactive = await makeUser(db, p.tenant, "PROVIDER", { status: "inactive", phone: "+100", staffId: "S-9" });
  deleted = await makeUser(db, p.tenant, "PROVIDER", { status: "deleted", deletedAt: NOW, firstName: "Del" });
  const { client, otherClient: other, provider, admin } = p;
  const plans = await asTenant(db, tenantId, (tx) =>
    tx
      .insert(treatmentPlans)
      .values([
        { tenantId, clientId: client.id, title: "Knee", planType: "physio", startDate: "2030-01-01" },
        { tenantId, clientId: other.id, title: "Hidden from the client" },
        // No clientId: matched to the client the legacy way (by username), so the client sees it.
        { tenantId, clientRef: client.username, clientName: "someone", title: "Matched", endDate: "2030-06-30" },
        { tenantId, clientRef: "NOBODY", clientName: "nobody at all", title: "Unmatched", status: "closed" },
      ])
      .returning(),
  );
  const session = (hour: number, values: Parameters<typeof makeSession>[2] extends infer V ? Partial<V> : never) =>
    makeSession(db, p.tenant, {
      providerId: provider.id,
      clientId: client.id,
      startsAt: at(hour),
      endsAt: at(hour, 50),
      ...values,
    } as Parameters<typeof makeSession>[2]);
  const rows = [
    await session(8, {
      treatmentPlanId: plans[0].id,
      title: "alpha",
      description: "first",
      location: "Room 1",
      notes: "left knee",
      providerNotes: "private",
      clientFeedback: "better",
      exercisesPerformed: "squats",
      googleEventId: "g-1",
      outlookEventId: "o-1",
      status: "COMPLETED",
      actualStart: at(8, 2),
      actualEnd: at(8, 49),
      modality: "VIDEO",
      type: "ASSESSMENT",
    }),
    await session(9, { providerId: inactive.id, treatmentPlanId: plans[1].id, title: "Beta" }),
    await session(10, { providerId: deleted.id, treatmentPlanId: plans[2].id, title: null }),
    await session(11, { clientId: other.id, treatmentPlanId: plans[3].id, title: "gamma", status: "CONFIRMED" }),
    await session(12, {
      title: "Delta",
      status: "CANCELLED",
      cancelledAt: at(7),
      cancelledBy: client.id,
      cancellationReason: "ill",
    }),
    await session(12, {
      providerId: inactive.id,
      clientId: other.id,
      title: "delta",
      status: "CANCELLED",
      cancelledAt: at(6),
      cancelledBy: admin.id,
      modality: "CHAT",
    }),
    // The same start as the next one (another provider and client): the order's tie is broken by id.
    await session(14, { clientId: other.id, title: "epsilon", type: "GROUP" }),
    await session(14, { providerId: inactive.id, title: "Epsilon", status: "NO_SHOW" }),
    await session(15, { title: "zeta", description: "needle in a haystack" }),
    await session(16, { providerId: deleted.id, clientId: other.id, title: "eta" }),
  ];
  rows.forEach((r, i) => (ids[`s${i}`] = r.id));
  await asTenant(db, tenantId, async (tx) => {
    const [withSku, withoutSku] = await tx
      .insert(items)
      .values([
        { tenantId, name: "Tape", sku: "T-1" },
        { tenantId, name: "Gloves" },
      ])
      .returning();
    const [unit] = await tx.insert(units).values({ tenantId, name: "roll" }).returning();
    const [, , gone] = await tx
      .insert(treatmentDetails)
      .values([
        { tenantId, sessionId: rows[0].id, itemId: withSku.id, unitId: unit.id, quantity: 2, createdBy: provider.id },
        { tenantId, sessionId: rows[0].id, itemId: withoutSku.id, quantity: 1, updatedBy: admin.id },
        { tenantId, sessionId: rows[0].id, itemId: withSku.id, quantity: 3 },
        { tenantId, sessionId: rows[3].id, unitId: unit.id, quantity: 4, createdBy: inactive.id },
        { tenantId, sessionId: rows[1].id, itemId: withSku.id, unitId: unit.id, quantity: 5 },
      ])
      .returning();
    ids.goneDetail = gone.id;
    await tx.update(treatmentDetails).set({ deletedAt: NOW }).where(eq(treatmentDetails.id, gone.id));
  });
  tokens.ADMIN = await planned.token(p.admin, p.tenant);
  tokens.PROVIDER = await planned.token(p.provider, p.tenant);
  tokens.CLIENT = await planned.token(p.client, p.tenant);
  tokens.OTHER_CLIENT = await planned.token(p.otherClient, p.tenant);
  // The deleted provider is a user row like any other; only the client viewer must never see it.
  expect(
    (await asTenant(db, tenantId, (tx) => tx.select().from(users).where(eq(users.id, deleted.id))))[0].status,
  ).toBe("deleted");
});
afterAll(async () => {
  await loaders.close();
  await planned.close();
});

/** Every field of Session and of what it nests, through a fragment, an alias and a directive. */
const PAGE = `
fragment U on User { id name email firstName lastName phone role staffId status timeZone username }
fragment S on Session {
  id title description type modality location startsAt endsAt durationMinutes actualStart actualEnd status
  notes providerNotes clientFeedback exercisesPerformed googleEventId outlookEventId createdAt updatedAt
  timing { phase timeUntilStartSeconds timeRemainingSeconds canJoin }
  provider { ...U } client { ...U }
  treatmentPlan { id title status planType clientRef clientName startDate endDate createdAt updatedAt client { id } }
  treatmentDetails {
    id quantity createdAt updatedAt createdBy { id } updatedBy { id } session { id }
    item { id name sku } unit { id name }
  }
  cancellation { cancelledAt reason noticeHours cancelledBy { ...U } }
}
query Page($filter: SessionFilter, $orderBy: SessionOrder, $first: Int, $after: String, $withTotal: Boolean!) {
  sessions(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    total: totalCount @include(if: $withTotal)
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ...S } }
    nodes { ... on Node { id } who: provider { name } }
  }
}`;

type Viewer = "ADMIN" | "PROVIDER" | "CLIENT" | "OTHER_CLIENT";
const VIEWERS: Viewer[] = ["ADMIN", "PROVIDER", "CLIENT", "OTHER_CLIENT"];

/** The same request to both servers: the planned answer, after checking it equals the DataLoader path's. */
async function both(query: string, variables: Record<string, unknown>, viewer: Viewer) {
  const fromLoaders = await loaders.gql(query, variables, tokens[viewer]);
  const fromPlanner = await planned.gql(query, variables, tokens[viewer]);
  expect(fromPlanner, `${viewer} ${JSON.stringify(variables)}`).toEqual(fromLoaders);
  return dataOf(fromPlanner);
}

const page = (variables: Record<string, unknown>, viewer: Viewer) =>
  both(PAGE, { withTotal: true, ...variables }, viewer).then((d) => d.sessions);

describe(`the planned sessions page equals the DataLoader path (${engine})`, () => {
  it("every field of a session and of its provider, client, plan, details (items, units) and cancellation, for each viewer", async () => {
    for (const viewer of VIEWERS) {
      const result = await page({ first: 20 }, viewer);
      expect(result.edges.length).toBe(viewer === "ADMIN" ? 10 : viewer === "PROVIDER" ? 5 : result.total);
      const nodes = result.edges.map((e: { node: Record<string, any> }) => e.node);
      for (const node of nodes)
        expect(node.treatmentDetails.map((d: { id: number }) => d.id)).not.toContain(ids.goneDetail);
      if (viewer === "CLIENT") {
        const byId = new Map(nodes.map((n: { id: string }) => [Number(n.id), n]));
        const node = (key: string) => byId.get(ids[key]) as Record<string, any>;
        // An inactive or a deleted provider is never shown to a client; nor another client's plan.
        expect(node("s1").provider).toBeNull();
        expect(node("s2").provider).toBeNull();
        expect(node("s0").provider.id).toBe(String(p.provider.id));
        expect(node("s1").treatmentPlan).toBeNull();
        expect(node("s2").treatmentPlan.title).toBe("Matched");
        expect(node("s0").treatmentPlan.title).toBe("Knee");
        expect(node("s0").treatmentDetails.map((d: { quantity: number }) => d.quantity)).toEqual([2, 1]);
        expect(node("s0").treatmentDetails[1].unit).toBeNull();
        expect(node("s4").cancellation.cancelledBy.id).toBe(String(p.client.id));
      }
      if (viewer === "ADMIN") {
        const node = result.edges.find((e: any) => Number(e.node.id) === ids.s2).node;
        expect(node.provider.status).toBe("deleted");
      }
    }
  });

  it("every order, both directions, page after page by cursor", async () => {
    const fields = ["STARTS_AT", "ENDS_AT", "CREATED_AT", "UPDATED_AT", "STATUS", "TITLE"];
    for (const viewer of ["ADMIN", "CLIENT"] as const)
      for (const field of fields)
        for (const direction of ["ASC", "DESC"]) {
          const seen: string[] = [];
          let after: string | null = null;
          for (let n = 0; n < 10; n++) {
            const result: Record<string, any> = await page({ first: 3, after, orderBy: { field, direction } }, viewer);
            seen.push(...result.edges.map((e: { node: { id: string } }) => e.node.id));
            expect(result.pageInfo.hasPreviousPage).toBe(after !== null);
            if (!result.pageInfo.hasNextPage) break;
            after = result.pageInfo.endCursor;
          }
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen.length).toBe(viewer === "ADMIN" ? 10 : 6);
        }
  });

  it("filters, empty pages, first: 0, and a bad cursor alike", async () => {
    const filters = [
      { providerId: String(p.provider.id) },
      { clientId: String(p.otherClient.id) },
      { status: ["CANCELLED", "NO_SHOW"], type: ["THERAPY", "GROUP"] },
      { modality: ["VIDEO", "CHAT"] },
      { from: at(10).toISOString(), to: at(14).toISOString() },
      { search: "NEEDLE" },
      { search: "nothing matches this" },
      { treatmentPlanId: "999999" },
    ];
    for (const viewer of VIEWERS)
      for (const filter of filters) {
        const result = await page({ first: 2, filter }, viewer);
        expect(result.edges.length).toBeLessThanOrEqual(2);
        await page({ first: 2, filter, withTotal: false }, viewer);
      }
    const empty = await page({ filter: { search: "nothing matches this" } }, "ADMIN");
    expect(empty).toMatchObject({ total: 0, edges: [], nodes: [], pageInfo: { startCursor: null, endCursor: null } });
    const none = await page({ first: 0 }, "ADMIN");
    expect(none).toMatchObject({ total: 10, edges: [], pageInfo: { hasNextPage: true } });
    const bad = await planned.gql(PAGE, { withTotal: true, after: "bm90IGEgY3Vyc29y" }, tokens.ADMIN);
    expect(bad).toEqual(await loaders.gql(PAGE, { withTotal: true, after: "bm90IGEgY3Vyc29y" }, tokens.ADMIN));
    expect(bad.errors?.[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("two connections of one request with different selections, and a plan's sessions through the DataLoader path", async () => {
    const query = `{
      a: sessions(first: 2) { nodes { id provider { name } } }
      b: sessions(first: 3, orderBy: { field: TITLE, direction: DESC }) {
        totalCount edges { node { id client { name } treatmentDetails { quantity } treatmentPlan {
          title sessions(first: 1) { totalCount nodes { id provider { name } } } } } }
      }
    }`;
    for (const viewer of VIEWERS) {
      const data = await both(query, {}, viewer);
      expect(data.a.nodes.length).toBeGreaterThan(0);
    }
  });
});

describe(`statements of the planned page (${engine})`, () => {
  const Q1 = `query($filter: SessionFilter!) { sessions(filter: $filter, first: 50) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id title status type modality startsAt endsAt location notes
      provider { id name email } client { id name email phone } treatmentPlan { id title status }
      treatmentDetails { id quantity item { id name sku } unit { id name } } } } }`;
  const Q2 = `query($filter: SessionFilter) { sessions(filter: $filter, first: 50) { nodes { id provider { name } client { name } } } }`;
  const DATA_TABLES = /"(sessions|users|treatment_plans|treatment_details|items|units)"/;

  /** Statements a request sends beyond those of `{ __typename }` (authentication's), and those naming data tables. */
  async function statementsOf(app: TestApp, query: string, variables: Record<string, unknown>) {
    const baseline = await captureStatements(app.database, () => app.gql(`{ __typename }`, {}, tokens.PROVIDER));
    const { result, statements } = await captureStatements(app.database, () =>
      app.gql(query, variables, tokens.PROVIDER),
    );
    expect(dataOf(result).sessions.nodes.length).toBeGreaterThan(0);
    const reads = statements.filter((text) => !baseline.statements.includes(text) && DATA_TABLES.test(text));
    return { reads, extra: statements.length - baseline.statements.length };
  }

  it("Q1 (the bench's page) and Q2 read their sessions data in ONE statement; the DataLoader path needs four", async () => {
    const filter = { providerId: String(p.provider.id) };
    const q1 = await statementsOf(planned, Q1, { filter });
    expect(q1.reads).toHaveLength(1);
    const q2 = await statementsOf(planned, Q2, { filter });
    expect(q2.reads).toHaveLength(1);
    // Beyond `{ __typename }` (which sends nothing once the caller is cached): the tenant settings and the page.
    expect(q2.extra).toBe(2);
    // The same page without the planner: the page with its total, users, plans, details.
    expect((await statementsOf(loaders, Q1, { filter })).reads).toHaveLength(4);
  });

  it("one statement text per shape, whatever the values (prepared once per connection)", async () => {
    const texts = async (variables: Record<string, unknown>) => (await statementsOf(planned, Q1, variables)).reads;
    const one = await texts({ filter: { providerId: String(p.provider.id), status: ["SCHEDULED"] } });
    const other = await texts({ filter: { providerId: String(p.provider.id), status: ["SCHEDULED", "COMPLETED"] } });
    expect(other).toEqual(one);
    expect(one[0]).toMatch(/json_agg/);
  });
});
