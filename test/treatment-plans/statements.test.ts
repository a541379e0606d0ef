/**
 * TreatmentPlan.sessions is batched: the pages of every plan in a response come from ONE
 * statement (a window over each plan), however many plans there are, at any nesting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, treatmentPlans, type TreatmentPlanRow, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { captureStatements, engine } from "../helpers/db.js";
import { asTenant, makePractice, makeUser } from "../helpers/factories.js";
import { dataOf, NOW } from "../sessions/sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string;
const clients: UserRow[] = [];
let plans: TreatmentPlanRow[];
/** Sessions per plan: plan i has i % 4 of them (some none), plus one outside any plan per client. */
const countOf = (i: number) => i % 4;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  admin = await t.token(p.admin, p.tenant);
  for (let i = 0; i < 8; i++) clients.push(await makeUser(t.database, p.tenant, "CLIENT"));
  await asTenant(t.database, p.tenant.id, async (tx) => {
    const tenantId = p.tenant.id;
    plans = await tx
      .insert(treatmentPlans)
      .values(clients.map((c, i) => ({ tenantId, clientId: c.id, title: `Plan ${i}` })))
      .returning();
    let hour = 0;
    const rows = plans.flatMap((plan, i) =>
      [...Array.from({ length: countOf(i) }, () => plan.id), null].map((planId) => ({
        tenantId,
        providerId: p.provider.id,
        clientId: clients[i].id,
        treatmentPlanId: planId,
        title: `P${i} S${hour}`,
        // Later rows start earlier: the page order (by start) is not the insertion order.
        startsAt: new Date(Date.UTC(2030, 1, 28) - ++hour * 3_600_000),
        endsAt: new Date(Date.UTC(2030, 1, 28) - hour * 3_600_000 + 1_800_000),
      })),
    );
    await tx.insert(sessions).values(rows);
  });
});
afterAll(() => t.close());

const PLANS = `query($c: ID) { treatmentPlans(clientId: $c) { id title sessions(first: 2) {
  totalCount pageInfo { hasNextPage endCursor } nodes { id title startsAt client { id name } } } } }`;

type Page = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: { id: string; title: string; startsAt: string; client: { id: string } }[];
};

describe(`TreatmentPlan.sessions statements (${engine})`, () => {
  it("a list of 8 plans with a page of sessions each costs the statements of 1 plan: one for all the pages", async () => {
    dataOf(await t.gql(`{ me { id } }`, {}, admin)); // warms the tenant directory's cache
    const one = await captureStatements(t.database, () => t.gql(PLANS, { c: String(clients[1].id) }, admin));
    const all = await captureStatements(t.database, () => t.gql(PLANS, {}, admin));
    expect(dataOf(one.result).treatmentPlans).toHaveLength(1);
    const listed = dataOf(all.result).treatmentPlans as { id: string; sessions: Page }[];
    expect(listed).toHaveLength(8);
    expect(all.statements.length).toBe(one.statements.length);
    // auth (3) + plans (1) + every plan's page (1) + clients (1)
    expect(all.statements.length).toBeLessThanOrEqual(6);
    expect(all.statements.filter((s) => /from "sessions"/.test(s))).toHaveLength(1);

    // Each plan got its own first two sessions by start, its own total and its own next page.
    for (const plan of listed) {
      const i = plans.findIndex((row) => String(row.id) === plan.id);
      expect(plan.sessions.totalCount).toBe(countOf(i));
      expect(plan.sessions.nodes).toHaveLength(Math.min(2, countOf(i)));
      expect(plan.sessions.pageInfo.hasNextPage).toBe(countOf(i) > 2);
      for (const node of plan.sessions.nodes) expect(node.client.id).toBe(String(clients[i].id));
      const starts = plan.sessions.nodes.map((n) => n.startsAt);
      expect(starts).toEqual([...starts].sort());
    }
  });

  it("the next page through `after`, and a cursor past the end still brings the plan's total", async () => {
    const query = `query($id: ID!, $after: String) { treatmentPlan(id: $id) { sessions(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { title } } } }`;
    const id = String(plans[3].id); // 3 sessions
    const first = dataOf(await t.gql(query, { id }, admin)).treatmentPlan.sessions;
    expect(first.nodes).toHaveLength(2);
    const second = dataOf(await t.gql(query, { id, after: first.pageInfo.endCursor }, admin)).treatmentPlan.sessions;
    expect(second).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false, hasPreviousPage: true } });
    expect(second.nodes).toHaveLength(1);
    expect(second.nodes[0].title).not.toBe(first.nodes[1].title);
    const past = dataOf(await t.gql(query, { id, after: second.pageInfo.endCursor }, admin)).treatmentPlan.sessions;
    expect(past).toMatchObject({ totalCount: 3, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it("nested under a page of sessions, the plans' pages are still one statement", async () => {
    const query = `{ sessions(first: 30) { nodes { id treatmentPlan { id sessions(first: 3) { totalCount nodes { id } } } } } }`;
    const { result, statements } = await captureStatements(t.database, () => t.gql(query, {}, admin));
    const nodes = dataOf(result).sessions.nodes as { treatmentPlan: { sessions: { totalCount: number } } | null }[];
    expect(nodes.filter((n) => n.treatmentPlan).length).toBeGreaterThan(5);
    // the page (1) + its plans (1) + the plans' pages (1)
    expect(statements.filter((s) => /from "sessions"/.test(s))).toHaveLength(2);
  });

  it("a CLIENT sees only their own sessions in a plan page, and a bad cursor is BAD_USER_INPUT on the field", async () => {
    const client = await t.token(clients[3], p.tenant);
    const own = dataOf(
      await t.gql(
        `query($id: ID!) { treatmentPlan(id: $id) { sessions { totalCount } } }`,
        { id: String(plans[3].id) },
        client,
      ),
    );
    expect(own.treatmentPlan.sessions.totalCount).toBe(3);
    const bad = await t.gql(
      `query($id: ID!) { treatmentPlan(id: $id) { sessions(after: "nope") { totalCount } } }`,
      { id: String(plans[3].id) },
      admin,
    );
    expect(bad.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { after: expect.any(String) },
    });
  });
});
