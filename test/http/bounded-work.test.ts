/**
 * Bounded work per request (issue 14): the cost limit computed on what really executes
 * (fragments expanded, variables applied, aliases counted), amplification through duplicate
 * providers, durations and lists without `first`, and the response budget (MAX_RESPONSE_BYTES)
 * refusing a response before it is built. Through the real server, HTTP and graphql-ws.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  availabilityRules,
  sessions,
  treatmentDetails,
  treatmentPlans,
  users,
  type UserRow,
} from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { captureStatements, engine } from "../helpers/db.js";
import { asTenant, makePractice, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { subscribe } from "../helpers/ws.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let token: string;
let admin: string;
let second: UserRow;
let third: UserRow;
const SESSION_COUNT = 120;
/** Notes long enough that 100 sessions print about 100 KB. */
const NOTES = "n".repeat(800);

beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database);
  token = await t.token(p.provider, p.tenant);
  admin = await t.token(p.admin, p.tenant);
  second = await makeUser(t.database, p.tenant, "PROVIDER");
  third = await makeUser(t.database, p.tenant, "PROVIDER");
  const start = Date.UTC(2030, 0, 1, 8);
  await asTenant(t.database, p.tenant.id, async (tx) => {
    const tenantId = p.tenant.id;
    const [plan] = await tx
      .insert(treatmentPlans)
      .values({ tenantId, clientId: p.client.id, title: "Plan" })
      .returning();
    // Every session in the one plan: each nested plan page can hold a full 100.
    const rows = await tx
      .insert(sessions)
      .values(
        Array.from({ length: SESSION_COUNT }, (_, i) => ({
          tenantId,
          providerId: p.provider.id,
          clientId: p.client.id,
          treatmentPlanId: plan.id,
          title: `Session ${i}`,
          notes: NOTES,
          startsAt: new Date(start + i * 3_600_000),
          endsAt: new Date(start + (i + 1) * 3_600_000),
        })),
      )
      .returning();
    await tx.insert(treatmentDetails).values(rows.map((s) => ({ tenantId, sessionId: s.id, quantity: 1 })));
    for (const provider of [p.provider, second]) {
      await tx.insert(availabilityRules).values(
        [1, 2, 3, 4, 5].map((dayOfWeek) => ({
          tenantId,
          providerId: provider.id,
          dayOfWeek,
          startTime: "08:00",
          endTime: "18:00",
        })),
      );
    }
  });
});
afterAll(() => t.close());

const COST_REFUSED = /Cost limit of 25000 exceeded/;

function expectRefusedByCost(result: Awaited<ReturnType<TestApp["gql"]>>) {
  expect(result.status).toBe(400);
  expect(result.data ?? null).toBeNull();
  expect(result.errors?.[0].message).toMatch(COST_REFUSED);
  expect(result.errors?.[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
}

describe(`the cost limit cannot be bypassed (${engine})`, () => {
  // 100 sessions, each with its plan's 100 sessions: 10,000 rows (and, before plans' pages were
  // batched, 1 + 100 statements). Armor's cost rule costed `first: $n` inside a fragment as 1.
  const namedFragment = `query($n: Int) { sessions(first: 100) { nodes { ...Fan } } }
    fragment Fan on Session { treatmentPlan { sessions(first: $n) { nodes { id } } } }`;
  const inlineFragment = `query($n: Int) { sessions(first: 100) { nodes { ...Fan } } }
    fragment Fan on Session { ... on Session { treatmentPlan { ... { sessions(first: $n) { nodes { id title } } } } } }`;
  // One alias alone is under the limit (30 × 100 sessions, about 15,200); two are not.
  const aliases = `query($n: Int) { a: sessions(first: 30) { nodes { ...Fan } } b: sessions(first: 30) { nodes { ...Fan } } }
    fragment Fan on Session { treatmentPlan { sessions(first: $n) { nodes { id } } } }`;
  const oneAlias = `query($n: Int) { a: sessions(first: 30) { nodes { ...Fan } } }
    fragment Fan on Session { treatmentPlan { sessions(first: $n) { nodes { id } } } }`;

  it("a named fragment with `first: $n` is costed with the variable applied, and refused before anything runs", async () => {
    const { result, statements } = await captureStatements(t.database, () => t.gql(namedFragment, { n: 100 }, token));
    expectRefusedByCost(result);
    expect(statements.some((s) => /from "sessions"/.test(s))).toBe(false);
  });

  it("inline fragments (with and without a type condition) are expanded", async () => {
    expectRefusedByCost(await t.gql(inlineFragment, { n: 100 }, token));
  });

  it("aliases are each counted", async () => {
    expect((await t.gql(oneAlias, { n: 100 }, token)).errors).toBeUndefined();
    expectRefusedByCost(await t.gql(aliases, { n: 100 }, token));
  });

  it("three levels deep through fragments, with `first: $n` everywhere", async () => {
    const deep = `query($n: Int) { sessions(first: $n) { nodes { ...Fan } } }
      fragment Fan on Session { treatmentPlan { sessions(first: $n) { nodes { treatmentPlan { sessions(first: $n) { nodes { id } } } } } } }`;
    expectRefusedByCost(await t.gql(deep, { n: 30 }, token));
    expect((await t.gql(deep, { n: 3 }, token)).errors).toBeUndefined();
  });

  it("an honest query with the same fragments runs", async () => {
    const result = await t.gql(namedFragment, { n: 3 }, token);
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.sessions.nodes;
    expect(nodes).toHaveLength(100);
    expect(nodes[0].treatmentPlan.sessions.nodes).toHaveLength(3);
  });

  it("@skip with a variable is honoured: the skipped fan-out costs nothing", async () => {
    const skippable = `query($n: Int, $skip: Boolean!) { sessions(first: 2) { nodes { id ...Fan @skip(if: $skip) } } }
      fragment Fan on Session { treatmentPlan { sessions(first: $n) { nodes { treatmentPlan { sessions(first: $n) { nodes { id } } } } } } }`;
    expect((await t.gql(skippable, { n: 100, skip: true }, token)).errors).toBeUndefined();
    expectRefusedByCost(
      await t.gql(skippable.replace("sessions(first: 2)", "sessions(first: 100)"), { n: 100, skip: false }, token),
    );
  });

  it("the same over graphql-ws: a subscription whose fragment fans out is refused", async () => {
    const query = `subscription($n: Int) { sessionChanged { ...E } }
      fragment E on SessionEvent { session { treatmentPlan { sessions(first: $n) { nodes { treatmentPlan { sessions(first: $n) { nodes { id } } } } } } } }`;
    const s = subscribe(t.url, token, query, { n: 100 });
    await s.ended;
    expect(s.received[0].errors?.[0].message).toMatch(COST_REFUSED);
    await s.dispose();
    const cheap = subscribe(t.url, token, query, { n: 2 });
    await cheap.connected;
    // Refusals arrive right after subscribe; nothing arriving means the subscription is open.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cheap.received).toEqual([]);
    await cheap.dispose();
  });
});

describe(`amplification (${engine})`, () => {
  const BY_PROVIDER = `query($ps: [ID!]!, $from: Date!, $to: Date, $d: [Int!]) {
    availableSlotsByProvider(providerIds: $ps, from: $from, to: $to, durations: $d) { providerId days { date slots { startsAt availableDurations } } } }`;

  it("duplicate providers collapse: answered once each, counted once against the 100-provider limit and in the cost", async () => {
    const ps = [...Array.from({ length: 150 }, () => String(p.provider.id)), String(second.id), String(p.provider.id)];
    // 152 ids, 2 distinct, 14 days: costed as 2 providers (about 5,700), not 152.
    const result = await t.gql(BY_PROVIDER, { ps, from: "2030-03-04", to: "2030-03-17" }, admin);
    expect(result.errors).toBeUndefined();
    const answered = result.data!.availableSlotsByProvider as { providerId: string; days: unknown[] }[];
    expect(answered.map((a) => a.providerId)).toEqual([String(p.provider.id), String(second.id)]);
    expect(answered[0].days).toHaveLength(14);
  });

  it("durations take at most 8 distinct values: 9 are BAD_USER_INPUT naming durations; duplicates collapse", async () => {
    const nine = await t.gql(
      BY_PROVIDER,
      { ps: [String(p.provider.id)], from: "2030-03-04", d: [15, 30, 45, 60, 75, 90, 105, 120, 135] },
      admin,
    );
    expect(nine.data ?? null).toBeNull();
    expect(nine.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { durations: "durations may list at most 8 distinct values, got 9" },
    });

    const repeated = [15, 30, 45, 60, 75, 90, 105, 120];
    const eight = await t.gql(
      BY_PROVIDER,
      { ps: [String(p.provider.id)], from: "2030-03-04", d: [...repeated, ...repeated, 30] },
      admin,
    );
    expect(eight.errors).toBeUndefined();
    const slot = eight.data!.availableSlotsByProvider[0].days[0].slots[0] as { availableDurations: number[] };
    expect(slot.availableDurations).toEqual(repeated);
  });

  it("lists without `first` are costed at their real size: the days of the range, the starts of a day, the distinct providers", async () => {
    // One provider over 62 days: 62 days × 50 starts a day, about 12,600: answered.
    const one = await t.gql(BY_PROVIDER, { ps: [String(p.provider.id)], from: "2030-03-01", to: "2030-05-01" }, admin);
    expect(one.errors).toBeUndefined();
    expect(one.data!.availableSlotsByProvider[0].days).toHaveLength(62);
    // Three providers over the same 62 days: about 37,800 (each list used to count as one entry).
    const three = [p.provider, second, third].map((u) => String(u.id));
    expectRefusedByCost(await t.gql(BY_PROVIDER, { ps: three, from: "2030-03-01", to: "2030-05-01" }, admin));
    // ... and over 9 days, about 5,500: answered.
    expect(
      (await t.gql(BY_PROVIDER, { ps: three, from: "2030-03-01", to: "2030-03-09" }, admin)).errors,
    ).toBeUndefined();
    // Every plan of the tenant (a list without `first`) with 100 of its sessions each.
    expectRefusedByCost(
      await t.gql(`{ treatmentPlans { id sessions(first: 100) { nodes { id title } } } }`, {}, admin),
    );
    expect(
      (await t.gql(`{ treatmentPlans { id sessions(first: 10) { nodes { id title } } } }`, {}, admin)).errors,
    ).toBeUndefined();
  });
});

describe(`the response budget: MAX_RESPONSE_BYTES (${engine})`, () => {
  let small: TestApp;
  let smallToken: string;
  beforeAll(async () => {
    // 30 KB: a page of 5 sessions with their notes (about 2 KB each) fits, a page of 100 does not.
    small = await startTestApp({ database: t.database, env: { MAX_RESPONSE_BYTES: "30000" } });
    smallToken = await small.token(p.provider, p.tenant);
  });
  afterAll(() => small.close());

  const PAGE = `query($n: Int) { sessions(first: $n) { totalCount nodes { id title notes client { name } treatmentDetails { quantity } } } }`;

  it("a response over the budget is refused with BAD_USER_INPUT while its rows are read: nothing nested is loaded", async () => {
    const { result, statements } = await captureStatements(t.database, () => small.gql(PAGE, { n: 100 }, smallToken));
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/larger than 30000 bytes \(MAX_RESPONSE_BYTES\)/),
      extensions: { code: "BAD_USER_INPUT" },
    });
    // The page and what it nests came in ONE statement (the sessions planner) and were refused: nothing more was read.
    expect(statements.filter((s) => /"(sessions|treatment_details)"/.test(s))).toHaveLength(1);

    const fits = await small.gql(PAGE, { n: 5 }, smallToken);
    expect(fits.errors).toBeUndefined();
    expect(fits.data!.sessions.nodes).toHaveLength(5);
  });

  it("nested pages are charged too: plans' sessions over the budget are refused", async () => {
    const result = await small.gql(`{ treatmentPlans { sessions(first: 30) { nodes { id notes } } } }`, {}, smallToken);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("computed slots are charged: 62 days of a provider's slots (about 70 KB) are refused, one day is answered", async () => {
    const query = `query($ps: [ID!]!, $to: Date!) { availableSlotsByProvider(providerIds: $ps, from: "2030-03-04", to: $to) { days { slots { startsAt availableDurations } } } }`;
    const big = await small.gql(query, { ps: [String(p.provider.id)], to: "2030-05-01" }, smallToken);
    expect(big.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/MAX_RESPONSE_BYTES/),
      extensions: { code: "BAD_USER_INPUT" },
    });
    expect(
      (await small.gql(query, { ps: [String(p.provider.id)], to: "2030-03-04" }, smallToken)).errors,
    ).toBeUndefined();
  });

  it("root lists are charged too: 150 clients with 100-character names (about 70 KB) are refused, the three staff answered", async () => {
    const q = await makePractice(t.database);
    await asTenant(t.database, q.tenant.id, (tx) =>
      tx.insert(users).values(
        Array.from({ length: 150 }, (_, i) => ({
          tenantId: q.tenant.id,
          role: "CLIENT" as const,
          username: `bulk${i}`,
          name: `${i} ${"x".repeat(96)}`,
          timeZone: q.tenant.timeZone,
        })),
      ),
    );
    const qAdmin = await small.token(q.admin, q.tenant);
    const all = await small.gql(`{ users { id name email } }`, {}, qAdmin);
    expect(all.data ?? null).toBeNull();
    expect(all.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/MAX_RESPONSE_BYTES/),
      extensions: { code: "BAD_USER_INPUT" },
    });
    const staff = await small.gql(`{ users(role: PROVIDER) { id name } }`, {}, qAdmin);
    expect(staff.errors).toBeUndefined();
    expect(staff.data!.users).toHaveLength(1);
  });

  it("the REST shims share the budget and answer in their own format (fitness: 400 { success: false })", async () => {
    const over = await rest(small.url, "GET", "/api/v1/sessions?per_page=100", { token: smallToken });
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ success: false, error: expect.stringMatching(/MAX_RESPONSE_BYTES/) });
    const fits = await rest(small.url, "GET", "/api/v1/sessions?per_page=5", { token: smallToken });
    expect(fits.status).toBe(200);
  });
});
