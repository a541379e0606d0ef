import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { items, sessions, treatmentDetails, treatmentPlans, units, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeUser } from "../helpers/factories.js";
import { dataOf, NOW } from "./sessions.fixture.js";

let t: TestApp;
/** The same server without the sessions planner: the DataLoader path's statements. */
let loaders: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string;

/** 60 sessions over 5 providers, 10 clients and 5 plans, each with 2 treatment details (item + unit). */
beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  loaders = await startTestApp({
    now: () => NOW,
    database: t.database,
    databaseUrl: t.databaseUrl,
    env: { SESSION_PLANNER: "false" },
  });
  p = await makePractice(t.database);
  admin = await t.token(p.admin, p.tenant);
  const providers: UserRow[] = [];
  const clients: UserRow[] = [];
  for (let i = 0; i < 5; i++) providers.push(await makeUser(t.database, p.tenant, "PROVIDER"));
  for (let i = 0; i < 10; i++) clients.push(await makeUser(t.database, p.tenant, "CLIENT"));
  await asTenant(t.database, p.tenant.id, async (tx) => {
    const tenantId = p.tenant.id;
    const plans = await tx
      .insert(treatmentPlans)
      .values(clients.slice(0, 5).map((c) => ({ tenantId, clientId: c.id, title: `Plan ${c.id}` })))
      .returning();
    const [item1, item2] = await tx
      .insert(items)
      .values([
        { tenantId, name: "Gloves" },
        { tenantId, name: "Tape" },
      ])
      .returning();
    const [unit] = await tx.insert(units).values({ tenantId, name: "box" }).returning();
    const rows = await tx
      .insert(sessions)
      .values(
        Array.from({ length: 60 }, (_, i) => ({
          tenantId,
          providerId: providers[i % 5].id,
          clientId: clients[i % 10].id,
          treatmentPlanId: i % 2 ? plans[i % 5].id : null,
          title: `S${i}`,
          startsAt: new Date(Date.UTC(2030, 0, 7, i)),
          endsAt: new Date(Date.UTC(2030, 0, 7, i, 50)),
        })),
      )
      .returning();
    await tx
      .insert(treatmentDetails)
      .values(
        rows.flatMap((s) =>
          [item1, item2].map((item) => ({ tenantId, sessionId: s.id, itemId: item.id, unitId: unit.id, quantity: 2 })),
        ),
      );
  });
});
afterAll(async () => {
  await loaders.close();
  await t.close();
});

const PAGE = `query($first: Int) { sessions(first: $first) { totalCount edges { cursor node {
  id title provider { id name } client { id name } treatmentPlan { id title }
  treatmentDetails { quantity item { name } unit { name } } } } } }`;

async function statementsFor(first: number, app = t) {
  return (await statementTextsFor(first, app)).length;
}

async function statementTextsFor(first: number, app = t): Promise<string[]> {
  const texts: string[] = [];
  app.database.statementTexts = texts;
  const result = dataOf(await app.gql(PAGE, { first }, admin));
  app.database.statementTexts = undefined;
  const edges = result.sessions.edges as { node: Record<string, any> }[];
  expect(edges).toHaveLength(first);
  expect(result.sessions.totalCount).toBe(60);
  for (const { node } of edges) {
    expect(node.provider.name).toBeTruthy();
    expect(node.client.name).toBeTruthy();
    expect(node.treatmentDetails.map((d: { item: { name: string } }) => d.item.name)).toEqual(["Gloves", "Tape"]);
    expect(node.treatmentDetails[0].unit.name).toBe("box");
  }
  expect(edges.some(({ node }) => node.treatmentPlan?.title)).toBe(true);
  return texts;
}

describe(`statements per page (${engine})`, () => {
  it("a page of 5 and a page of 50, with provider, client, plan and treatment details (items, units), cost the same few statements", async () => {
    // warms the tenant directory's cache of each server
    for (const app of [t, loaders]) dataOf(await app.gql(`{ me { id } }`, {}, admin));
    for (const app of [t, loaders]) {
      const five = await statementsFor(5, app);
      const fifty = await statementsFor(50, app);
      expect(await statementsFor(5, app)).toBe(five);
      expect(fifty).toBe(five);
    }
    // auth (2) + the page with its totalCount (1) + users (1) + plans (1) + details with items and units (1)
    expect(await statementsFor(50, loaders)).toBeLessThanOrEqual(6);
    // The planner reads it all in the page's statement (test/sessions/planner.test.ts).
    expect(await statementsFor(50)).toBe((await statementsFor(50, loaders)) - 3);
  });

  it("a page of 5 and a page of 50 send the same statement texts (batches pass ids as one array), so each is prepared once per connection", async () => {
    expect(await statementTextsFor(50)).toEqual(await statementTextsFor(5));
    const five = await statementTextsFor(5, loaders);
    const fifty = await statementTextsFor(50, loaders);
    expect(fifty).toEqual(five);
    expect(fifty.filter((text) => /= any\(\$\d+::int\[\]\)/.test(text)).length).toBeGreaterThanOrEqual(3);
  });
});

describe(`status, type and modality lists as one array parameter (${engine})`, () => {
  const FILTERED = `query($filter: SessionFilter) { sessions(first: 100, filter: $filter) { totalCount nodes { id status type modality } } }`;

  async function filteredTexts(filter: Record<string, string[]>) {
    const texts: string[] = [];
    t.database.statementTexts = texts;
    const result = dataOf(await t.gql(FILTERED, { filter }, admin));
    t.database.statementTexts = undefined;
    const nodes = result.sessions.nodes as { status: string; type: string; modality: string }[];
    for (const node of nodes) {
      expect(filter.status).toContain(node.status);
      expect(filter.type).toContain(node.type);
      expect(filter.modality).toContain(node.modality);
    }
    return { texts, total: result.sessions.totalCount as number };
  }

  it("lists of one and of several values send the same statement texts, each list as `= any($n::text[]::enum[])`", async () => {
    const one = await filteredTexts({ status: ["SCHEDULED"], type: ["THERAPY"], modality: ["IN_PERSON"] });
    const several = await filteredTexts({
      status: ["SCHEDULED", "CONFIRMED", "COMPLETED", "NO_SHOW"],
      type: ["THERAPY", "PERSONAL", "GROUP"],
      modality: ["IN_PERSON", "VIDEO", "AUDIO", "CHAT"],
    });
    // The 60 sessions are SCHEDULED THERAPY IN_PERSON (the defaults): both filters find them all.
    expect(one.total).toBe(60);
    expect(several.total).toBe(60);
    expect(several.texts).toEqual(one.texts);
    const page = one.texts.find((text) => /session_status\[\]/.test(text));
    expect(page).toMatch(/"status" = any\(\$\d+::text\[\]::session_status\[\]\)/);
    expect(page).toMatch(/"type" = any\(\$\d+::text\[\]::session_type\[\]\)/);
    expect(page).toMatch(/"modality" = any\(\$\d+::text\[\]::modality\[\]\)/);
  });
});
