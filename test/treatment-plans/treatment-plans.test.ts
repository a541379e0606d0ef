import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treatmentPlans, type TreatmentPlanRow, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { at, dataOf, errorOf, NOW } from "../sessions/sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string, foreigner: string;
const u: Record<string, UserRow> = {};

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  [admin, provider, client] = await Promise.all([p.admin, p.provider, p.client].map((x) => t.token(x, p.tenant)));
  foreigner = await t.token(other.admin, other.tenant);
  const mk = (key: string, role: UserRow["role"], values: Partial<UserRow>) =>
    makeUser(t.database, p.tenant, role, values).then((x) => (u[key] = x));
  // Created before the username match, so a lower id cannot be why the username match wins.
  await mk("byStaffIdShadowed", "CLIENT", { staffId: "CLIENT001", name: "Bob Example" });
  await mk("byUsername", "CLIENT", { username: "CLIENT001", name: "Ann Example" });
  await mk("byStaffId", "CLIENT", { staffId: "S-77", name: "Cid Example" });
  await mk("providerS77", "PROVIDER", { username: "S-77", name: "Jane Provider" });
  await mk("byId", "CLIENT", { name: "Dan Example" });
  await mk("janeFirst", "CLIENT", { name: "Mary Jane Watson" });
  await mk("janeSecond", "CLIENT", { name: "Jane Doe" });
  await mk("adminJane", "ADMIN", { name: "Jane Admin" });
  await makeUser(t.database, other.tenant, "CLIENT", { username: "OTHER-TENANT", name: "Zed Elsewhere" });
  // A staff id that is another (older) client's numeric id: the staff id rule comes first.
  await mk("staffIsNumber", "CLIENT", { staffId: String(u.byStaffIdShadowed.id), name: "Eve Example" });
});
afterAll(() => t.close());

const PLAN = `id clientRef clientName planType title status startDate endDate
  client { id } clientMatch { method client { id } } progress { completed scheduled total }`;
const CREATE = `mutation($input: TreatmentPlanInput!) { createTreatmentPlan(input: $input) { ${PLAN} } }`;
const UPDATE = `mutation($id: ID!, $input: TreatmentPlanPatch!) { updateTreatmentPlan(id: $id, input: $input) { ${PLAN} } }`;
const GET = `query($id: ID!) { treatmentPlan(id: $id) { ${PLAN} } }`;
const LIST = `query($clientId: ID) { treatmentPlans(clientId: $clientId) { id client { id } clientMatch { method } } }`;

const plansInDb = () =>
  asTenant(t.database, p.tenant.id, (tx) => tx.select().from(treatmentPlans).orderBy(treatmentPlans.id));
async function create(input: Record<string, unknown>, token = provider) {
  return dataOf(await t.gql(CREATE, { input }, token)).createTreatmentPlan;
}
async function rejected(query: string, variables: Record<string, unknown>, token: string) {
  const before = await plansInDb();
  const error = errorOf(await t.gql(query, variables, token));
  expect(await plansInDb()).toEqual(before);
  return error;
}
const match = (user: UserRow, method: string) => ({ client: { id: String(user.id) }, method });

describe(`client matching, in the documented order, among CLIENT users (${engine})`, () => {
  it("username, then staff id, then numeric id, then name contains (case-insensitive); null when nothing matches", async () => {
    const cases: [Record<string, unknown>, ReturnType<typeof match> | null][] = [
      [{ clientRef: "CLIENT001", clientName: "Jane" }, match(u.byUsername, "USERNAME")],
      [{ clientRef: "S-77" }, match(u.byStaffId, "STAFF_ID")],
      [{ clientRef: String(u.byStaffIdShadowed.id) }, match(u.staffIsNumber, "STAFF_ID")],
      [{ clientRef: String(u.byId.id), clientName: "Ann" }, match(u.byId, "NUMERIC_ID")],
      [{ clientRef: "nobody", clientName: "jANE" }, match(u.janeFirst, "NAME")],
      [{ clientName: "doe" }, match(u.janeSecond, "NAME")],
      // Not a CLIENT, another tenant's, wildcards, an empty name: no match.
      [{ clientRef: String(p.provider.id), clientName: "Jane Admin" }, null],
      [{ clientRef: "OTHER-TENANT", clientName: "Zed" }, null],
      [{ clientRef: "client001", clientName: "%" }, null],
      [{ clientRef: "x", clientName: "   " }, null],
    ];
    for (const [input, expected] of cases) {
      // An admin sees every client the matching can find; a provider only their own (issue 14).
      const plan = await create(input, admin);
      expect(plan.clientMatch, JSON.stringify(input)).toEqual(expected);
      expect(plan.client).toEqual(expected ? expected.client : null);
    }
  });

  it("a plan's explicit client is its client; clientMatch still tells what the legacy matching finds", async () => {
    const plan = await create({ clientId: p.client.id, clientRef: "CLIENT001" }, admin);
    expect(plan).toMatchObject({ client: { id: String(p.client.id) }, clientMatch: match(u.byUsername, "USERNAME") });
    expect((await plansInDb()).at(-1)).toMatchObject({
      clientId: p.client.id,
      createdBy: p.admin.id,
      tenantId: p.tenant.id,
      createdAt: NOW,
    });
  });

  it("a list of plans matches all its clients in a fixed number of statements", async () => {
    const before = t.database.statements;
    const result = dataOf(
      await t.gql(
        `{ treatmentPlans { id client { id } clientMatch { method client { name } } progress { total } } }`,
        {},
        admin,
      ),
    );
    expect(result.treatmentPlans.length).toBeGreaterThanOrEqual(10);
    // auth (2), the plans, the match candidates, the explicit clients, the progress counts.
    expect(t.database.statements - before).toBeLessThanOrEqual(6);
  });
});

describe(`treatment plans (${engine})`, () => {
  let plan: TreatmentPlanRow;
  beforeAll(async () => {
    [plan] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .insert(treatmentPlans)
        .values({
          tenantId: p.tenant.id,
          clientRef: p.client.username,
          clientName: "whoever",
          title: "ABA",
          planType: "Comprehensive ABA",
        })
        .returning(),
    );
  });

  it("create: every field; dates checked; a client needs clientId, clientRef or clientName", async () => {
    const created = await create({
      clientRef: "CLIENT001",
      clientName: " Ann ",
      planType: "Focused",
      title: "Plan A",
      startDate: "2030-01-01",
      endDate: "2030-06-30",
    });
    expect(created).toMatchObject({
      clientRef: "CLIENT001",
      clientName: "Ann",
      planType: "Focused",
      title: "Plan A",
      status: "active",
      startDate: "2030-01-01",
      endDate: "2030-06-30",
    });
    expect(await rejected(CREATE, { input: { title: "orphan" } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { clientRef: "a treatment plan needs clientId, clientRef or clientName" },
    });
    expect(
      await rejected(CREATE, { input: { clientRef: "x", startDate: "2030-02-01", endDate: "2030-01-01" } }, provider),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "endDate must not be before startDate",
    });
    expect(await rejected(CREATE, { input: { clientRef: "x", startDate: "2030-02-30" } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
    });
    expect(await rejected(CREATE, { input: { clientId: p.provider.id } }, provider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Client not found",
    });
    expect(await rejected(CREATE, { input: { clientId: other.client.id } }, provider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Client not found",
    });
    expect(await rejected(CREATE, { input: { clientRef: "x" } }, client)).toMatchObject({
      code: "FORBIDDEN",
      message: "This requires the ADMIN or PROVIDER role",
    });
  });

  it("update: only the given fields; empty status or no client left are BAD_USER_INPUT", async () => {
    const created = await create({ clientRef: "nobody-yet", title: "T" });
    const updated = dataOf(
      await t.gql(
        UPDATE,
        { id: created.id, input: { clientRef: "CLIENT001", status: "completed", endDate: "2030-03-01" } },
        admin,
      ),
    ).updateTreatmentPlan;
    expect(updated).toMatchObject({
      title: "T",
      clientRef: "CLIENT001",
      status: "completed",
      endDate: "2030-03-01",
      clientMatch: match(u.byUsername, "USERNAME"),
    });
    expect(await rejected(UPDATE, { id: created.id, input: { status: " " } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { status: "status must not be empty" },
    });
    expect(await rejected(UPDATE, { id: created.id, input: { clientRef: null } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "a treatment plan needs clientId, clientRef or clientName",
    });
    expect(await rejected(UPDATE, { id: created.id, input: { startDate: "2030-04-01" } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "endDate must not be before startDate",
    });
    expect(await rejected(UPDATE, { id: 99999999, input: { title: "x" } }, provider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Treatment plan not found",
    });
    expect(await rejected(UPDATE, { id: created.id, input: { title: "x" } }, client)).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await rejected(UPDATE, { id: created.id, input: { title: "x" } }, foreigner)).toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("who sees which plans: staff all; a client their own only; another tenant none", async () => {
    expect(dataOf(await t.gql(GET, { id: plan.id }, client)).treatmentPlan).toMatchObject({
      id: String(plan.id),
      client: { id: String(p.client.id) },
    });
    const mine = dataOf(await t.gql(LIST, {}, client)).treatmentPlans.map((x: { id: string }) => x.id);
    expect(mine).toContain(String(plan.id));
    expect(
      dataOf(await t.gql(LIST, { clientId: p.client.id }, provider)).treatmentPlans.map((x: { id: string }) => x.id),
    ).toEqual(mine);
    const ofAnn = dataOf(await t.gql(LIST, { clientId: u.byUsername.id }, admin)).treatmentPlans as {
      client: { id: string };
    }[];
    expect(ofAnn.length).toBeGreaterThan(0);
    expect(ofAnn.every((x) => x.client.id === String(u.byUsername.id))).toBe(true);
    const annPlan = (await plansInDb()).find((x) => x.clientRef === "CLIENT001" && x.clientId === null)!;
    expect(errorOf(await t.gql(GET, { id: annPlan.id }, client))).toMatchObject({
      code: "FORBIDDEN",
      message: "You do not have permission to view this treatment plan",
    });
    expect(errorOf(await t.gql(LIST, { clientId: u.byUsername.id }, client))).toMatchObject({ code: "FORBIDDEN" });
    expect(errorOf(await t.gql(GET, { id: plan.id }, foreigner))).toMatchObject({
      code: "NOT_FOUND",
      message: "Treatment plan not found",
    });
    expect(dataOf(await t.gql(LIST, {}, foreigner)).treatmentPlans).toEqual([]);
    const node = `query($id: ID!) { node(id: $id) { __typename id } }`;
    expect(dataOf(await t.gql(node, { id: plan.id }, provider)).node).toEqual({
      __typename: "TreatmentPlan",
      id: String(plan.id),
    });
  });

  it("sessions (a connection) and progress", async () => {
    const base = { providerId: p.provider.id, clientId: p.client.id, treatmentPlanId: plan.id };
    await makeSession(t.database, p.tenant, { ...base, startsAt: at(9), endsAt: at(10), status: "COMPLETED" });
    await makeSession(t.database, p.tenant, { ...base, startsAt: at(11), endsAt: at(12), status: "CANCELLED" });
    const book = `mutation($input: BookSessionInput!) { bookSession(input: $input) { id client { id } } }`;
    const booked = dataOf(
      await t.gql(
        book,
        { input: { treatmentPlanId: plan.id, startsAt: at(13).toISOString(), durationMinutes: 60 } },
        provider,
      ),
    ).bookSession;
    expect(booked.client.id).toBe(String(p.client.id));
    const q = `query($id: ID!) { treatmentPlan(id: $id) { progress { completed scheduled total }
      sessions(first: 2) { totalCount nodes { startsAt } pageInfo { hasNextPage endCursor } } } }`;
    const result = dataOf(await t.gql(q, { id: plan.id }, client)).treatmentPlan;
    expect(result.progress).toEqual({ completed: 1, scheduled: 1, total: 3 });
    expect(result.sessions).toMatchObject({
      totalCount: 3,
      nodes: [{ startsAt: at(9).toISOString() }, { startsAt: at(11).toISOString() }],
      pageInfo: { hasNextPage: true },
    });
    const rest = `query($id: ID!, $after: String) { treatmentPlan(id: $id) { sessions(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage } } } }`;
    const next = dataOf(await t.gql(rest, { id: plan.id, after: result.sessions.pageInfo.endCursor }, client))
      .treatmentPlan.sessions;
    expect(next).toEqual({ nodes: [{ id: booked.id }], pageInfo: { hasNextPage: false } });
    const [row] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.select().from(treatmentPlans).where(eq(treatmentPlans.id, plan.id)),
    );
    expect(row.clientId).toBeNull(); // matching is not written back
  });
});
