import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slotHolds } from "../../src/db/schema/index.js";
import { joinGroupSession } from "../../src/modules/groups/index.js";
import { insertHold } from "../../src/modules/holds/index.js";
import { requestContext, type TestApp } from "../helpers/app.js";
import { asTenant, makeUser } from "../helpers/factories.js";
import { engine } from "../helpers/db.js";
import {
  clientsInCare,
  CREATE,
  dataOf,
  errorOf,
  eventsOfTenant,
  GET,
  groupsPractice,
  JOIN,
  seatsOf,
  snapshot,
} from "./groups.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof groupsPractice>>["p"];
let admin: string, provider: string, client: string;

beforeAll(async () => ({ t, p, admin, provider, client } = await groupsPractice()));
afterAll(() => t.close());

let hour = 8;
/** A new group of the provider on its own hour of Monday 2030-01-07 (never overlapping another test's). */
async function group(capacity = 3, extra: Record<string, unknown> = {}) {
  const startsAt = new Date(Date.UTC(2030, 0, 7, hour++)).toISOString();
  const { createGroupSession } = dataOf(
    await t.gql(
      CREATE,
      { input: { startsAt, durationMinutes: 60, capacity, title: "Mindfulness", ...extra } },
      provider,
    ),
  );
  return createGroupSession;
}

describe(`joinGroupSession (${engine})`, () => {
  it("a client takes a seat: an ordinary session of theirs with the group's provider, times and details, linked to the group", async () => {
    const g = await group(3, { modality: "VIDEO", location: "Room 2" });
    const { joinGroupSession: seat } = dataOf(await t.gql(JOIN, { id: g.id }, client));
    expect(seat).toMatchObject({
      status: "SCHEDULED",
      startsAt: g.startsAt,
      endsAt: g.endsAt,
      title: "Mindfulness",
      type: "GROUP",
      modality: "VIDEO",
      location: "Room 2",
      client: { id: String(p.client.id) },
      provider: { id: String(p.provider.id) },
      groupSession: { id: g.id },
    });
    const { groupSession } = dataOf(await t.gql(GET, { id: g.id }, provider));
    expect(groupSession).toMatchObject({ seatsTaken: 1, seatsLeft: 2, status: "SCHEDULED" });
    expect(groupSession.attendees.map((a: { id: string }) => a.id)).toEqual([seat.id]);
    // The BOOKED event names the group (webhooks' group.seat_taken), and carries no title.
    const booked = (await eventsOfTenant(t, p.tenant)).filter((e) => e.sessionId === Number(seat.id));
    expect(booked.map((e) => e.type)).toEqual(["BOOKED"]);
    expect(booked[0].payload).toMatchObject({ groupSessionId: Number(g.id) });
    expect(JSON.stringify(booked[0].payload)).not.toContain("Mindfulness");
  });

  it("the same client twice: CONFLICT ALREADY_JOINED, nothing written", async () => {
    const g = await group();
    dataOf(await t.gql(JOIN, { id: g.id, clientId: String(p.client.id) }, provider));
    const before = await snapshot(t, p.tenant);
    for (const token of [provider, admin]) {
      const err = errorOf(await t.gql(JOIN, { id: g.id, clientId: String(p.client.id) }, token));
      expect(err).toMatchObject({ code: "CONFLICT", reason: "ALREADY_JOINED" });
    }
    expect(await snapshot(t, p.tenant)).toEqual(before);
  });

  it("who may join whom: a provider only clients in their care, a CLIENT only themself; another provider sees no group", async () => {
    const g = await group();
    const before = await snapshot(t, p.tenant);
    const notInCare = errorOf(await t.gql(JOIN, { id: g.id, clientId: String(p.otherClient.id) }, provider));
    expect(notInCare).toMatchObject({ code: "BAD_USER_INPUT", reason: "NOT_IN_CARE" });
    const forOther = errorOf(await t.gql(JOIN, { id: g.id, clientId: String(p.otherClient.id) }, client));
    expect(forOther).toMatchObject({ code: "FORBIDDEN" });
    expect(errorOf(await t.gql(JOIN, { id: g.id }, provider))).toMatchObject({ reason: "VALIDATION" });
    const stranger = await t.token(await makeUser(t.database, p.tenant, "PROVIDER"), p.tenant);
    expect(errorOf(await t.gql(JOIN, { id: g.id, clientId: String(p.client.id) }, stranger))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await snapshot(t, p.tenant)).toEqual(before);
    // An ADMIN joins any client of the tenant (and so puts them in the provider's care).
    dataOf(await t.gql(JOIN, { id: g.id, clientId: String(p.otherClient.id) }, admin));
  });

  it("a seat kept by a hold for the client: consumed by the join, in its savepoint; another client's hold is NOT_FOUND", async () => {
    const g = await group(2);
    const ctx = requestContext(t, p.tenant, p.provider);
    const hold = await ctx.db.run((tx) =>
      insertHold(tx, ctx, {
        providerId: p.provider.id,
        clientId: p.client.id,
        startsAt: new Date(g.startsAt),
        endsAt: new Date(g.endsAt),
        ttlSeconds: 300,
        groupSessionId: Number(g.id),
      }),
    );
    await ctx.db.finish(true);
    expect(dataOf(await t.gql(GET, { id: g.id }, provider)).groupSession).toMatchObject({
      seatsTaken: 0,
      seatsLeft: 1,
    });

    // Not the hold's client: as if there were no such hold.
    const other = requestContext(t, p.tenant, p.admin);
    await expect(joinGroupSession(other, Number(g.id), p.otherClient.id, { holdId: hold.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await other.db.finish(false);

    const mine = requestContext(t, p.tenant, p.client);
    const seat = await joinGroupSession(mine, Number(g.id), null, { holdId: hold.id });
    await mine.db.finish(true);
    expect(seat).toMatchObject({ clientId: p.client.id, groupSessionId: Number(g.id) });
    const left = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .select()
        .from(slotHolds)
        .where(and(eq(slotHolds.groupSessionId, Number(g.id)))),
    );
    expect(left).toEqual([]);
    const consumed = (await eventsOfTenant(t, p.tenant)).filter(
      (e) => e.type === "SLOT_HOLD_CHANGED" && (e.payload as { holdId: number }).holdId === hold.id,
    );
    expect(consumed.map((e) => (e.payload as { change: string }).change)).toEqual(["PLACED", "CONSUMED"]);
    expect(dataOf(await t.gql(GET, { id: g.id }, provider)).groupSession).toMatchObject({
      seatsTaken: 1,
      seatsLeft: 1,
    });
    expect(await seatsOf(t, p.tenant, g.id)).toHaveLength(1);
  });

  it("a hold of another group is VALIDATION; an expired hold joins when a seat is free, else HOLD_EXPIRED", async () => {
    const g = await group(2);
    const elsewhere = await group(2);
    const ctx = requestContext(t, p.tenant, p.provider);
    const keep = (of: { id: string; startsAt: string; endsAt: string }, ttlSeconds: number) =>
      ctx.db.run((tx) =>
        insertHold(tx, ctx, {
          providerId: p.provider.id,
          clientId: p.client.id,
          startsAt: new Date(of.startsAt),
          endsAt: new Date(of.endsAt),
          ttlSeconds,
          groupSessionId: Number(of.id),
        }),
      );
    const wrongGroup = await keep(elsewhere, 300);
    const expired = await keep(g, 0);
    await ctx.db.finish(true);

    const wrong = requestContext(t, p.tenant, p.client);
    await expect(joinGroupSession(wrong, Number(g.id), null, { holdId: wrongGroup.id })).rejects.toMatchObject({
      reason: "VALIDATION",
    });
    await wrong.db.finish(false);

    // Fill the group while the client's hold is expired: its seat went to others.
    const [a, b] = await clientsInCare(t, p.tenant, p.provider, 2);
    for (const c of [a, b]) dataOf(await t.gql(JOIN, { id: g.id, clientId: String(c.user.id) }, provider));
    // The provider joins the client (a CLIENT's own join also checks availability, where the
    // holds branch's excludeGroupSessionId keeps the group's other seats from counting as busy).
    const late = requestContext(t, p.tenant, p.provider);
    await expect(joinGroupSession(late, Number(g.id), p.client.id, { holdId: expired.id })).rejects.toMatchObject({
      code: "CONFLICT",
      reason: "HOLD_EXPIRED",
    });
    await late.db.finish(false);

    // A seat frees up: the expired hold no longer matters, the client joins like anyone.
    const seats = await seatsOf(t, p.tenant, g.id);
    dataOf(await t.gql(`mutation($id: ID!) { cancelSession(id: $id) { id } }`, { id: seats[0].id }, provider));
    const again = requestContext(t, p.tenant, p.provider);
    const seat = await joinGroupSession(again, Number(g.id), p.client.id, { holdId: expired.id });
    await again.db.finish(true);
    expect(seat.groupSessionId).toBe(Number(g.id));
  });
});
