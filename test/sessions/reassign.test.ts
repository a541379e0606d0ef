import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, treatmentPlans, type SessionRow, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { SESSION_CHANGED, SLOTS_CHANGED } from "../subscriptions/subscriptions.fixture.js";
import { at, dataOf, errorOf, eventsOf, iso, NOW, snapshot } from "./sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let tokens: { admin: string; provider: string; client: string };

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  tokens = {
    admin: await t.token(p.admin, p.tenant),
    provider: await t.token(p.provider, p.tenant),
    client: await t.token(p.client, p.tenant),
  };
});
afterAll(() => t.close());

const REASSIGN = `mutation($id: ID!, $providerId: ID, $clientId: ID) {
  reassignSession(id: $id, providerId: $providerId, clientId: $clientId) { id status startsAt endsAt provider { id } client { id } }
}`;
const SESSION = `query($id: ID!) { session(id: $id) { id provider { id } } }`;

let hour = 8;
/** A session of the practice's provider and client on its own hour of Monday the 14th (or of the given people). */
async function aSession(values: Partial<SessionRow> = {}): Promise<SessionRow> {
  hour += 1;
  return makeSession(t.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    title: "Knee rehab",
    notes: "clinical text",
    startsAt: at(hour, 0, 14),
    endsAt: at(hour + 1, 0, 14),
    ...values,
  });
}

const reassign = (id: number, change: { providerId?: number; clientId?: number }, token: string) =>
  t.gql(
    REASSIGN,
    {
      id: String(id),
      providerId: change.providerId === undefined ? undefined : String(change.providerId),
      clientId: change.clientId === undefined ? undefined : String(change.clientId),
    },
    token,
  );

describe(`reassignSession (${engine})`, () => {
  it("an admin moves a session to a covering provider: care is created, the event names the previous people, no clinical text", async () => {
    const covering = await makeUser(t.database, p.tenant, "PROVIDER");
    const s = await aSession();
    const moved = dataOf(await reassign(s.id, { providerId: covering.id }, tokens.admin)).reassignSession;
    expect(moved).toMatchObject({
      id: String(s.id),
      status: "SCHEDULED",
      startsAt: s.startsAt.toISOString(),
      provider: { id: String(covering.id) },
      client: { id: String(p.client.id) },
    });
    // The old provider no longer sees it; the covering one does.
    expect(errorOf(await t.gql(SESSION, { id: s.id }, tokens.provider))).toMatchObject({
      code: "NOT_FOUND",
      reason: "NOT_FOUND",
    });
    expect(dataOf(await t.gql(SESSION, { id: s.id }, await t.token(covering, p.tenant))).session.provider.id).toBe(
      String(covering.id),
    );

    const [event] = await eventsOf(t, p.tenant, s.id);
    expect(event).toMatchObject({ type: "REASSIGNED", providerId: covering.id, clientId: p.client.id });
    expect(event.payload).toMatchObject({
      previousProviderId: p.provider.id,
      previousClientId: p.client.id,
      therapistId: covering.id,
      clientId: p.client.id,
      reassignedBy: p.admin.id,
    });
    expect(JSON.stringify(event.payload)).not.toMatch(/Knee rehab|clinical text/);

    // An admin's reassignment puts the client in the covering provider's care, as an admin's booking does.
    const coveringToken = await t.token(covering, p.tenant);
    const book = `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`;
    dataOf(
      await t.gql(
        book,
        { input: { clientId: String(p.client.id), startsAt: iso(20, 0, 14), durationMinutes: 30 } },
        coveringToken,
      ),
    );

    // The write is audited like every mutation.
    await eventually(async () => {
      const rows = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(auditLog));
      return rows.some(
        (r) =>
          r.action === "reassignSession" &&
          r.entity === "Session" &&
          Number(r.entityId) === s.id &&
          r.outcome === "success",
      );
    }, "no audit entry for reassignSession");
  });

  it("the session's provider moves it to a provider the client is in care with, or to another client in their care; not outside care", async () => {
    const colleague = await makeUser(t.database, p.tenant, "PROVIDER");
    await relate(t.database, p.tenant, colleague, p.client);
    const s = await aSession();
    expect(
      dataOf(await reassign(s.id, { providerId: colleague.id }, tokens.provider)).reassignSession.provider.id,
    ).toBe(String(colleague.id));

    const s2 = await aSession();
    const stranger = await makeUser(t.database, p.tenant, "PROVIDER");
    expect(errorOf(await reassign(s2.id, { providerId: stranger.id }, tokens.provider))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "NOT_IN_CARE",
      fieldErrors: { clientId: expect.any(String) },
    });
    // otherClient is not in the provider's care; once they are, the provider may move the session to them.
    expect(errorOf(await reassign(s2.id, { clientId: p.otherClient.id }, tokens.provider))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "NOT_IN_CARE",
    });
    await relate(t.database, p.tenant, p.provider, p.otherClient);
    expect(
      dataOf(await reassign(s2.id, { clientId: p.otherClient.id }, tokens.provider)).reassignSession.client.id,
    ).toBe(String(p.otherClient.id));
  });

  it("its client and other providers are refused; unknown or wrong-role ids are NOT_FOUND; nothing changes", async () => {
    const s = await aSession();
    const other = await makeUser(t.database, p.tenant, "PROVIDER");
    const before = await snapshot(t, p.tenant);
    expect(errorOf(await reassign(s.id, { providerId: other.id }, tokens.client))).toMatchObject({
      code: "FORBIDDEN",
      reason: "FORBIDDEN",
    });
    expect(errorOf(await reassign(s.id, { providerId: other.id }, await t.token(other, p.tenant)))).toMatchObject({
      code: "NOT_FOUND",
      reason: "NOT_FOUND",
      message: "Session not found",
    });
    expect(errorOf(await reassign(s.id, { providerId: 99_999_999 }, tokens.admin))).toMatchObject({
      code: "NOT_FOUND",
      reason: "NOT_FOUND",
      message: "Provider not found",
    });
    expect(errorOf(await reassign(s.id, { providerId: p.client.id }, tokens.admin))).toMatchObject({
      code: "NOT_FOUND",
      message: "Provider not found",
    });
    expect(errorOf(await reassign(s.id, { clientId: p.provider.id }, tokens.admin))).toMatchObject({
      code: "NOT_FOUND",
      message: "Client not found",
    });
    expect(errorOf(await reassign(s.id, {}, tokens.admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
    });
    expect(await snapshot(t, p.tenant)).toEqual(before);
  });

  it("a session of a plan moves only to the plan's own client: another client is OTHER_CLIENTS_PLAN", async () => {
    const [plan] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .insert(treatmentPlans)
        .values({ tenantId: p.tenant.id, clientId: p.client.id, title: "Knee plan" })
        .returning(),
    );
    const s = await aSession({ treatmentPlanId: plan.id });
    const before = await snapshot(t, p.tenant);
    expect(errorOf(await reassign(s.id, { clientId: p.otherClient.id }, tokens.admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "OTHER_CLIENTS_PLAN",
      fieldErrors: { treatmentPlanId: expect.any(String) },
    });
    expect(await snapshot(t, p.tenant)).toEqual(before);
    // Another provider for the same client keeps the plan.
    const covering = await makeUser(t.database, p.tenant, "PROVIDER");
    dataOf(await reassign(s.id, { providerId: covering.id }, tokens.admin));
  });

  it("a conflict for the new provider is CONFLICT SESSION_OVERLAP; a cancelled session is INVALID_TRANSITION", async () => {
    const busy = await makeUser(t.database, p.tenant, "PROVIDER");
    const c2 = await makeUser(t.database, p.tenant, "CLIENT");
    const s = await aSession();
    const blocker = await makeSession(t.database, p.tenant, {
      providerId: busy.id,
      clientId: c2.id,
      title: "Blocker",
      startsAt: s.startsAt,
      endsAt: s.endsAt,
    });
    expect(errorOf(await reassign(s.id, { providerId: busy.id }, tokens.admin))).toEqual({
      code: "CONFLICT",
      reason: "SESSION_OVERLAP",
      message: `Scheduling conflict detected with session "Blocker" at ${s.startsAt.toISOString()}`,
      conflictingSessionId: blocker.id,
    });
    const cancelled = await aSession({ status: "CANCELLED" });
    const refused = errorOf(await reassign(cancelled.id, { providerId: busy.id }, tokens.admin));
    expect(refused).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: "Cannot reassign this session: it is already cancelled, and cancelled sessions are final",
    });
  });

  it("both providers' slotsChanged hear of it, and sessionChanged reaches who sees the session now", async () => {
    const covering = await makeUser(t.database, p.tenant, "PROVIDER");
    const s = await aSession();
    await eventually(() => t.app.deps.events.subscriberCount === 0, "an earlier subscription was not released");
    const range = { from: "2030-01-14", to: "2030-01-14" };
    const oldSlots = subscribe(t.url, tokens.admin, SLOTS_CHANGED, { providerId: String(p.provider.id), ...range });
    const newSlots = subscribe(t.url, tokens.admin, SLOTS_CHANGED, { providerId: String(covering.id), ...range });
    const clientEvents = subscribe(t.url, tokens.client, SESSION_CHANGED, {});
    await eventually(() => t.app.deps.events.subscriberCount === 3, "the subscriptions never registered");

    dataOf(await reassign(s.id, { providerId: covering.id }, tokens.admin));
    for (const [sub, providerId] of [
      [oldSlots, p.provider.id],
      [newSlots, covering.id],
    ] as const) {
      const change = (await sub.nth(1)).data!.slotsChanged;
      expect(change).toMatchObject({ providerId: String(providerId), dates: ["2030-01-14"], reason: "REASSIGNED" });
    }
    const seen = (await clientEvents.nth(1)).data!.sessionChanged;
    expect(seen).toMatchObject({
      type: "REASSIGNED",
      session: { id: String(s.id), provider: { id: String(covering.id) }, client: { id: String(p.client.id) } },
    });
    await Promise.all([oldSlots.dispose(), newSlots.dispose(), clientEvents.dispose()]);
  });

  it("a race of reassignments into the same slot of one provider: exactly one wins, the rest are CONFLICT", async () => {
    const target = await makeUser(t.database, p.tenant, "PROVIDER");
    const N = 6;
    const startsAt = at(7, 0, 21);
    const endsAt = at(8, 0, 21);
    const people: UserRow[][] = [];
    for (let i = 0; i < N; i++)
      people.push([await makeUser(t.database, p.tenant, "PROVIDER"), await makeUser(t.database, p.tenant, "CLIENT")]);
    const racing = await Promise.all(
      people.map(([provider, client]) =>
        makeSession(t.database, p.tenant, {
          providerId: provider.id,
          clientId: client.id,
          title: "Race",
          startsAt,
          endsAt,
        }),
      ),
    );
    const results = await Promise.all(racing.map((s) => reassign(s.id, { providerId: target.id }, tokens.admin)));
    const winners = results.filter((r) => r.data?.reassignSession);
    const losers = results.filter((r) => !r.data?.reassignSession);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(N - 1);
    for (const loser of losers) expect(errorOf(loser)).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    const events = (await Promise.all(racing.map((s) => eventsOf(t, p.tenant, s.id)))).flat();
    expect(events.filter((e) => e.type === "REASSIGNED")).toHaveLength(1);
  });
});
