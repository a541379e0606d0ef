import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treatmentDetails, treatmentPlans, users, type SessionRow, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { eventually, subscribe } from "../helpers/ws.js";

/**
 * Who may see which user and which treatment plan (issue 14, "Who may see whom"): one rule
 * (src/modules/tenants/user.visibility.ts) behind node, users, every nested User field, the
 * subscriptions and the REST shims; a plan nested in a session obeys treatmentPlan(id)'s rule.
 */

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
/** A provider with no tie to p.client. */
let stranger: UserRow;
/** A provider p.client has a session with, without a care relationship. */
let sessionProvider: UserRow;
/** Providers in care with p.client that left: inactive, and deleted. */
let inactiveProvider: UserRow;
let deletedProvider: UserRow;
/** A client with a session of p.provider, not in their care. */
let sessionClient: UserRow;
const tokens = {} as Record<"admin" | "provider" | "client" | "otherClient", string>;
let plans: { mine: number; theirs: number };
let s: Record<
  "theirPlan" | "myPlan" | "viaSession" | "withInactive" | "cancelledByAdmin" | "ofSessionClient" | "ofStranger",
  SessionRow
>;

const at = (day: number, h: number) => new Date(Date.UTC(2031, 2, day, h));

beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  stranger = await makeUser(t.database, p.tenant, "PROVIDER");
  sessionProvider = await makeUser(t.database, p.tenant, "PROVIDER");
  inactiveProvider = await makeUser(t.database, p.tenant, "PROVIDER");
  deletedProvider = await makeUser(t.database, p.tenant, "PROVIDER");
  sessionClient = await makeUser(t.database, p.tenant, "CLIENT");
  await relate(t.database, p.tenant, inactiveProvider, p.client);
  await relate(t.database, p.tenant, deletedProvider, p.client);
  [tokens.admin, tokens.provider, tokens.client, tokens.otherClient] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient].map((u) => t.token(u, p.tenant)),
  );
  await asTenant(t.database, p.tenant.id, async (tx) => {
    const [mine] = await tx
      .insert(treatmentPlans)
      .values({ tenantId: p.tenant.id, clientId: p.client.id, title: "Mine" })
      .returning();
    // Explicitly another client's, and one matched to them by username only.
    const [theirs] = await tx
      .insert(treatmentPlans)
      .values({ tenantId: p.tenant.id, clientRef: p.otherClient.username, title: "Theirs" })
      .returning();
    plans = { mine: mine.id, theirs: theirs.id };
  });
  const mk = (values: Partial<SessionRow> & Pick<SessionRow, "providerId" | "clientId" | "startsAt" | "endsAt">) =>
    makeSession(t.database, p.tenant, values);
  s = {
    // A session of p.client linked (by old data) to another client's plan.
    theirPlan: await mk({
      providerId: p.provider.id,
      clientId: p.client.id,
      treatmentPlanId: plans.theirs,
      startsAt: at(3, 9),
      endsAt: at(3, 10),
    }),
    myPlan: await mk({
      providerId: p.provider.id,
      clientId: p.client.id,
      treatmentPlanId: plans.mine,
      startsAt: at(3, 11),
      endsAt: at(3, 12),
    }),
    viaSession: await mk({
      providerId: sessionProvider.id,
      clientId: p.client.id,
      startsAt: at(4, 9),
      endsAt: at(4, 10),
      status: "COMPLETED",
    }),
    withInactive: await mk({
      providerId: inactiveProvider.id,
      clientId: p.client.id,
      startsAt: at(5, 9),
      endsAt: at(5, 10),
    }),
    cancelledByAdmin: await mk({
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(6, 9),
      endsAt: at(6, 10),
      status: "CANCELLED",
      cancelledAt: at(1, 9),
      cancelledBy: p.admin.id,
    }),
    ofSessionClient: await mk({
      providerId: p.provider.id,
      clientId: sessionClient.id,
      startsAt: at(7, 9),
      endsAt: at(7, 10),
    }),
    ofStranger: await mk({
      providerId: stranger.id,
      clientId: p.otherClient.id,
      startsAt: at(7, 11),
      endsAt: at(7, 12),
    }),
  };
  await mk({
    providerId: deletedProvider.id,
    clientId: p.client.id,
    startsAt: at(8, 9),
    endsAt: at(8, 10),
    status: "COMPLETED",
  });
  // Leaving the practice after the sessions were held.
  await asTenant(t.database, p.tenant.id, async (tx) => {
    await tx.update(users).set({ status: "inactive" }).where(eq(users.id, inactiveProvider.id));
    await tx
      .update(users)
      .set({ status: "deleted", deletedAt: at(1, 0) })
      .where(eq(users.id, deletedProvider.id));
  });
});
afterAll(() => t.close());

const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on User { name email phone } } }`;

/** The ids among `candidates` that node(id) shows to the token. */
async function walk(token: string, candidates: UserRow[]): Promise<number[]> {
  const shown: number[] = [];
  for (const user of candidates) {
    const result = await t.gql(NODE, { id: String(user.id) }, token);
    expect(result.errors).toBeUndefined();
    if (result.data?.node) shown.push(Number(result.data.node.id));
  }
  return shown.sort((a, b) => a - b);
}

const everyone = () => [
  p.admin,
  p.provider,
  p.client,
  p.otherClient,
  stranger,
  sessionProvider,
  inactiveProvider,
  deletedProvider,
  sessionClient,
  other.client,
];
const idsOf = (...list: UserRow[]) => list.map((u) => u.id).sort((a, b) => a - b);
const sortedIds = (list: { id: string }[]) => list.map((u) => Number(u.id)).sort((a, b) => a - b);

describe(`who may see which user (${engine})`, () => {
  it("a client walking ids sees only themself and the providers they are in care with or had a session with", async () => {
    expect(await walk(tokens.client, everyone())).toEqual(idsOf(p.client, p.provider, sessionProvider));
    const listed = await t.gql(`{ users { id } }`, {}, tokens.client);
    expect(sortedIds(listed.data!.users)).toEqual(idsOf(p.client, p.provider, sessionProvider));
    // The other client sees only the providers of their own sessions (and never p.client's data).
    expect(await walk(tokens.otherClient, everyone())).toEqual(idsOf(p.otherClient, stranger));
  });

  it("inactive and deleted providers are never shown to a client, even with a care relationship and sessions", async () => {
    const node = await t.gql(NODE, { id: String(inactiveProvider.id) }, tokens.client);
    expect(node).toMatchObject({ status: 200, data: { node: null } });
    expect((await t.gql(NODE, { id: String(deletedProvider.id) }, tokens.client)).data?.node).toBeNull();
    // Staff still see who held the session.
    expect((await t.gql(NODE, { id: String(inactiveProvider.id) }, tokens.provider)).data?.node).toMatchObject({
      id: String(inactiveProvider.id),
    });
  });

  it("a provider sees the staff and the clients in their care or with a session of theirs", async () => {
    expect(await walk(tokens.provider, everyone())).toEqual(
      idsOf(p.admin, p.provider, p.client, stranger, sessionProvider, inactiveProvider, deletedProvider, sessionClient),
    );
    const listed = await t.gql(`{ users { id } }`, {}, tokens.provider);
    // The list shows active users only.
    expect(sortedIds(listed.data!.users)).toEqual(
      idsOf(p.admin, p.provider, p.client, stranger, sessionProvider, sessionClient),
    );
    const clients = await t.gql(`{ users(role: CLIENT) { id } }`, {}, tokens.provider);
    expect(sortedIds(clients.data!.users)).toEqual(idsOf(p.client, sessionClient));
  });

  it("an admin sees everyone of the tenant, and nobody of another tenant", async () => {
    expect(await walk(tokens.admin, everyone())).toEqual(idsOf(...everyone().filter((u) => u !== other.client)));
  });

  it("nested users are null when hidden: session.provider, cancelledBy, createdBy/updatedBy, AvailabilityRule.provider", async () => {
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx.insert(treatmentDetails).values({
        tenantId: p.tenant.id,
        sessionId: s.myPlan.id,
        quantity: 1,
        createdBy: p.admin.id,
        updatedBy: p.provider.id,
      }),
    );
    const q = `query($id: ID!) { session(id: $id) { provider { id } client { id } cancellation { cancelledBy { id } } treatmentDetails { createdBy { id } updatedBy { id } } } }`;
    const asClient = async (id: number) => (await t.gql(q, { id: String(id) }, tokens.client)).data!.session;
    expect(await asClient(s.withInactive.id)).toMatchObject({ provider: null, client: { id: String(p.client.id) } });
    expect(await asClient(s.viaSession.id)).toMatchObject({ provider: { id: String(sessionProvider.id) } });
    expect((await asClient(s.cancelledByAdmin.id)).cancellation).toEqual({ cancelledBy: null });
    expect((await asClient(s.myPlan.id)).treatmentDetails).toEqual([
      { createdBy: null, updatedBy: { id: String(p.provider.id) } },
    ]);
    const asProvider = (await t.gql(q, { id: String(s.cancelledByAdmin.id) }, tokens.provider)).data!.session;
    expect(asProvider.cancellation).toEqual({ cancelledBy: { id: String(p.admin.id) } });

    const rule = await t.gql(
      `mutation($input: AvailabilityRuleInput!) { createAvailabilityRule(input: $input) { id } }`,
      { input: { providerId: String(stranger.id), dayOfWeek: 1, startTime: "09:00", endTime: "17:00" } },
      tokens.admin,
    );
    const ruleId = rule.data!.createAvailabilityRule.id;
    const ruleQuery = `query($id: ID!) { node(id: $id) { ... on AvailabilityRule { id provider { id name } } } }`;
    expect((await t.gql(ruleQuery, { id: ruleId }, tokens.client)).data?.node).toEqual({ id: ruleId, provider: null });
    expect((await t.gql(ruleQuery, { id: ruleId }, tokens.provider)).data?.node).toMatchObject({
      provider: { id: String(stranger.id) },
    });
  });

  it("a plan's client and clientMatch are null to a provider who may not see that client", async () => {
    const q = `query($id: ID!) { treatmentPlan(id: $id) { id client { id email } clientMatch { method client { id } } } }`;
    expect((await t.gql(q, { id: String(plans.theirs) }, tokens.provider)).data!.treatmentPlan).toEqual({
      id: String(plans.theirs),
      client: null,
      clientMatch: null,
    });
    expect((await t.gql(q, { id: String(plans.theirs) }, tokens.admin)).data!.treatmentPlan).toMatchObject({
      client: { id: String(p.otherClient.id) },
      clientMatch: { method: "USERNAME", client: { id: String(p.otherClient.id) } },
    });
  });

  it("a subscription delivers sessions with the same rule: a client is not shown the inactive provider nor the admin who cancelled", async () => {
    const before = t.app.deps.events.subscriberCount;
    const watcher = subscribe<{ sessionChanged: { session: Record<string, any> } }>(
      t.url,
      tokens.client,
      `subscription { sessionChanged { type session { id provider { id } client { id } treatmentPlan { id } cancellation { cancelledBy { id } } } } }`,
    );
    await eventually(() => t.app.deps.events.subscriberCount === before + 1, "the subscription never registered");
    const cancelled = await t.gql(
      `mutation($id: ID!) { cancelSession(id: $id) { id } }`,
      { id: String(s.withInactive.id) },
      tokens.admin,
    );
    expect(cancelled.errors).toBeUndefined();
    const event = (await watcher.nth(1)).data!.sessionChanged;
    expect(event.session).toEqual({
      id: String(s.withInactive.id),
      provider: null,
      client: { id: String(p.client.id) },
      treatmentPlan: null,
      cancellation: { cancelledBy: null },
    });
    await watcher.dispose();
  });
});

describe(`who may see which treatment plan (${engine})`, () => {
  it("a plan nested in a session is null for another client's plan, shown for the client's own", async () => {
    const q = `query($id: ID!) { session(id: $id) { treatmentPlan { id title } } }`;
    expect((await t.gql(q, { id: String(s.theirPlan.id) }, tokens.client)).data!.session).toEqual({
      treatmentPlan: null,
    });
    expect((await t.gql(q, { id: String(s.myPlan.id) }, tokens.client)).data!.session).toEqual({
      treatmentPlan: { id: String(plans.mine), title: "Mine" },
    });
    // The same plan through the list of sessions, and staff still see it.
    const list = await t.gql(`{ sessions(first: 100) { nodes { id treatmentPlan { id } } } }`, {}, tokens.client);
    const byId = new Map(
      list.data!.sessions.nodes.map((n: { id: string; treatmentPlan: unknown }) => [n.id, n.treatmentPlan]),
    );
    expect(byId.get(String(s.theirPlan.id))).toBeNull();
    expect((await t.gql(q, { id: String(s.theirPlan.id) }, tokens.provider)).data!.session).toEqual({
      treatmentPlan: { id: String(plans.theirs), title: "Theirs" },
    });
    // treatmentPlan(id) keeps its rule for the same plan.
    expect(
      (await t.gql(`query($id: ID!) { treatmentPlan(id: $id) { id } }`, { id: String(plans.theirs) }, tokens.client))
        .errors?.[0].extensions.code,
    ).toMatch(/FORBIDDEN|NOT_FOUND/);
  });
});

describe(`REST shims show users by the same rule (${engine})`, () => {
  it("sapphire: the client list holds the provider's own clients, including those with a session of theirs", async () => {
    const list = await rest(t.url, "GET", "/sapphire/scheduler/clients/", { token: tokens.provider });
    expect(list.status).toBe(200);
    expect(sortedIds(list.body)).toEqual(idsOf(p.client, sessionClient));
    const asClient = await rest(t.url, "GET", "/sapphire/scheduler/clients/", { token: tokens.client });
    expect(sortedIds(asClient.body)).toEqual(idsOf(p.client));
  });

  it("sapphire: a plan's client hidden from the caller is answered as no match (404, matched_client null)", async () => {
    const hidden = await rest(t.url, "GET", `/sapphire/treatment-plan/plans/${plans.theirs}/client/`, {
      token: tokens.provider,
    });
    expect(hidden.status).toBe(404);
    expect(hidden.body.matched_client).toBeNull();
    expect(hidden.text).not.toContain(p.otherClient.email!);
    const shown = await rest(t.url, "GET", `/sapphire/treatment-plan/plans/${plans.theirs}/client/`, {
      token: tokens.admin,
    });
    expect([shown.status, shown.body.matched_client?.id]).toEqual([200, p.otherClient.id]);
  });

  it("sapphire and booking: a client reading a session of an inactive provider gets no details of them", async () => {
    const session = await rest(t.url, "GET", `/sapphire/scheduler/sessions/${s.withInactive.id}/`, {
      token: tokens.client,
    });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({
      staff: inactiveProvider.id,
      staff_details: null,
      client_details: { id: p.client.id },
    });
    const meetings = await rest(t.url, "GET", "/booking/meetings", { token: tokens.client });
    expect(meetings.status).toBe(200);
    const meeting = meetings.body.find((m: { id: string }) => m.id === String(s.withInactive.id));
    expect(meeting.therapist).toEqual({ user: null });
    expect(meeting.client.user).toMatchObject({ email: p.client.email });
    expect(meetings.text).not.toContain(inactiveProvider.email!);
    expect(meetings.text).not.toContain(deletedProvider.email!);
  });
});

describe(`X-Tenant-Code (${engine})`, () => {
  it("another tenant's code is 403 / FORBIDDEN on GraphQL, and 403 in each shim's own format", async () => {
    const gql = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${tokens.client}`,
        "x-tenant-code": other.tenant.code,
      },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    const body = (await gql.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    expect([gql.status, body.errors[0].extensions.code, body.data ?? null]).toEqual([403, "FORBIDDEN", null]);
    const headers = { "x-tenant-code": other.tenant.code };
    const sapphire = await rest(t.url, "GET", "/sapphire/scheduler/clients/", { token: tokens.provider, headers });
    expect([sapphire.status, typeof sapphire.body.detail]).toEqual([403, "string"]);
    const booking = await rest(t.url, "GET", "/booking/meetings", { token: tokens.client, headers });
    expect([booking.status, booking.body.statusCode]).toEqual([403, 403]);
    const fitness = await rest(t.url, "GET", "/api/v1/sessions", { token: tokens.provider, headers });
    expect([fitness.status, fitness.body.success]).toEqual([403, false]);
    // The token's own code is fine.
    const own = await rest(t.url, "GET", "/sapphire/scheduler/clients/", {
      token: tokens.provider,
      headers: { "x-tenant-code": p.tenant.code },
    });
    expect(own.status).toBe(200);
  });
});
