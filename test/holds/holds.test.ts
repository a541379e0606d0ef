import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupSessions } from "../../src/db/schema/index.js";
import { whyNotBookableForClient } from "../../src/modules/availability/index.js";
import { requestContext, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makeSession, makeUser, relate } from "../helpers/factories.js";
import {
  at,
  BOOK,
  dataOf,
  errorOf,
  expire,
  HOLD,
  holdChanges,
  holdRows,
  holdsPractice,
  iso,
  offeredStarts,
  RELEASE,
  SLOT_HOLD,
  snapshot,
} from "./holds.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof holdsPractice>>["p"];
let tokens: Awaited<ReturnType<typeof holdsPractice>>["tokens"];

beforeAll(async () => ({ t, p, tokens } = await holdsPractice()));
afterAll(() => t.close());

const hold = (input: Record<string, unknown>, token: string) =>
  t.gql(HOLD, { input: { providerId: String(p.provider.id), durationMinutes: 60, ...input } }, token);
const held = async (input: Record<string, unknown>, token: string) => dataOf(await hold(input, token)).holdSlot;
const book = (input: Record<string, unknown>, token: string) =>
  t.gql(BOOK, { input: { providerId: String(p.provider.id), durationMinutes: 60, ...input } }, token);
type Err = ReturnType<typeof errorOf> & { reason: string; occurrences?: unknown[] };
const failure = (result: Awaited<ReturnType<typeof hold>>) => errorOf(result) as Err;

/** A call that must fail without writing anything (no hold, no session, no event). */
async function refused(call: () => ReturnType<typeof hold>): Promise<Err> {
  const before = { ...(await snapshot(t, p.tenant)), holds: await holdRows(t, p.tenant) };
  const error = failure(await call());
  expect({ ...(await snapshot(t, p.tenant)), holds: await holdRows(t, p.tenant) }).toEqual(before);
  return error;
}

describe(`holds (${engine})`, () => {
  it("freeIntervals (and the fitness API's trainer availability built on it) leave held time out of the free gaps, and list no hold as booked", async () => {
    const FREE = `query($p: ID!) { freeIntervals(providerId: $p, date: "2030-01-08", minDurationMinutes: 30) { startsAt endsAt } }`;
    const free = async () =>
      dataOf(await t.gql(FREE, { p: String(p.provider.id) }, tokens.provider)).freeIntervals as {
        startsAt: string;
        endsAt: string;
      }[];
    const covers = (gaps: { startsAt: string; endsAt: string }[], start: string) =>
      gaps.some((g) => g.startsAt <= start && g.endsAt > start);
    const start = "2030-01-08T15:00:00.000Z";
    expect(covers(await free(), start)).toBe(true);
    const h = await held({ startsAt: start }, tokens.provider);
    expect(covers(await free(), start)).toBe(false);
    expect(dataOf(await t.gql(RELEASE, { id: h.id }, tokens.provider)).releaseHold).toBe(true);
    expect(covers(await free(), start)).toBe(true);
  });

  it("availableSlots hides a live hold, and offers the time again after release and after expiry", async () => {
    const before = await offeredStarts(t, p.provider.id, "2030-01-07", tokens.otherClient);
    expect(before).toContain(iso(15));
    const h = await held({ startsAt: iso(15), clientId: String(p.client.id) }, tokens.provider);
    expect(h).toMatchObject({ startsAt: iso(15), endsAt: iso(16), provider: { id: String(p.provider.id) } });
    expect(h.client).toEqual({ id: String(p.client.id) });
    // By the database's clock: about 300 s from now, whatever the server's frozen clock says.
    const ttl = (Date.parse(h.expiresAt) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(301);

    for (const token of [tokens.otherClient, tokens.client, tokens.admin]) {
      const starts = await offeredStarts(t, p.provider.id, "2030-01-07", token);
      expect(starts).not.toContain(iso(15));
      expect(starts).not.toContain(iso(14, 30)); // would run into the hold
      expect(starts).toContain(iso(16));
    }

    expect(dataOf(await t.gql(RELEASE, { id: h.id }, tokens.provider)).releaseHold).toBe(true);
    expect(await offeredStarts(t, p.provider.id, "2030-01-07", tokens.otherClient)).toContain(iso(15));
    expect(await holdChanges(t, p.tenant, h.id)).toEqual(["PLACED", "RELEASED"]);
    expect((await holdRows(t, p.tenant)).find((r) => r.id === Number(h.id))).toBeUndefined();

    const again = await held({ startsAt: iso(15) }, tokens.provider);
    expect(await offeredStarts(t, p.provider.id, "2030-01-07", tokens.otherClient)).not.toContain(iso(15));
    await expire(t, p.tenant, again.id);
    // Expired blocks nothing at once: the row is still there (no sweep ran), the time is offered.
    expect((await holdRows(t, p.tenant)).map((r) => r.id)).toContain(Number(again.id));
    expect(await offeredStarts(t, p.provider.id, "2030-01-07", tokens.otherClient)).toContain(iso(15));
    expect(dataOf(await t.gql(RELEASE, { id: again.id }, tokens.provider)).releaseHold).toBe(true);
    expect(await holdChanges(t, p.tenant, again.id)).toEqual(["PLACED", "EXPIRED"]);
  });

  it("booking into another's hold is SLOT_HELD; the holder books through it with holdId and consumes it; another's holdId is NOT_FOUND", async () => {
    const h = await held({ startsAt: iso(16, 0, 8) }, tokens.client);
    expect(h.client).toEqual({ id: String(p.client.id) });

    const intoIt = await refused(() =>
      book({ clientId: String(p.otherClient.id), startsAt: iso(16, 30, 8) }, tokens.admin),
    );
    expect(intoIt).toMatchObject({ code: "CONFLICT", reason: "SLOT_HELD" });
    // The same for a hold-less client booking (their availability check comes after).
    const asOther = await makeUser(t.database, p.tenant, "CLIENT");
    await relate(t.database, p.tenant, p.provider, asOther);
    const otherToken = await t.token(asOther, p.tenant);
    expect(await refused(() => book({ startsAt: iso(16, 0, 8) }, otherToken))).toMatchObject({ reason: "SLOT_HELD" });

    // Someone else's hold: NOT_FOUND, as if unknown (the admin and the provider see it, but did not place it).
    expect(
      await refused(() => book({ clientId: String(p.client.id), startsAt: iso(16, 0, 8), holdId: h.id }, tokens.admin)),
    ).toMatchObject({ code: "NOT_FOUND" });
    expect(await refused(() => book({ startsAt: iso(16, 0, 8), holdId: h.id }, otherToken))).toMatchObject({
      code: "NOT_FOUND",
    });
    // An id that never named a hold: NOT_FOUND too (a hold that ended is told apart by its PLACED event).
    expect(await refused(() => book({ startsAt: iso(16, 0, 8), holdId: "2000000000" }, tokens.client))).toMatchObject({
      code: "NOT_FOUND",
    });
    // The holder's own hold, but not this time: VALIDATION on holdId.
    const mismatch = await refused(() =>
      book({ startsAt: iso(16, 0, 8), durationMinutes: 30, holdId: h.id }, tokens.client),
    );
    expect(mismatch).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { holdId: expect.any(String) },
    });

    const session = dataOf(await book({ startsAt: iso(16, 0, 8), holdId: h.id }, tokens.client)).bookSession;
    expect(session).toMatchObject({
      startsAt: iso(16, 0, 8),
      endsAt: iso(17, 0, 8),
      client: { id: String(p.client.id) },
    });
    expect((await holdRows(t, p.tenant)).find((r) => r.id === Number(h.id))).toBeUndefined();
    expect(await holdChanges(t, p.tenant, h.id)).toEqual(["PLACED", "CONSUMED"]);
  });

  it("after expiry: a free time books like a normal booking; a time taken meanwhile is HOLD_EXPIRED", async () => {
    const free = await held({ startsAt: iso(18, 0, 8) }, tokens.client);
    await expire(t, p.tenant, free.id);
    const booked = dataOf(await book({ startsAt: iso(18, 0, 8), holdId: free.id }, tokens.client)).bookSession;
    expect(booked.startsAt).toBe(iso(18, 0, 8));
    expect(await holdChanges(t, p.tenant, free.id)).toEqual(["PLACED", "EXPIRED"]);

    // Taken by a session.
    const lost = await held({ startsAt: iso(19, 0, 8) }, tokens.client);
    await expire(t, p.tenant, lost.id);
    dataOf(await book({ clientId: String(p.otherClient.id), startsAt: iso(19, 0, 8) }, tokens.admin));
    expect(await refused(() => book({ startsAt: iso(19, 0, 8), holdId: lost.id }, tokens.client))).toMatchObject({
      code: "CONFLICT",
      reason: "HOLD_EXPIRED",
    });

    // Taken by another live hold.
    const second = await held({ startsAt: iso(20, 0, 8) }, tokens.client);
    await expire(t, p.tenant, second.id);
    await held({ startsAt: iso(20, 0, 8) }, tokens.provider);
    expect(await refused(() => book({ startsAt: iso(20, 0, 8), holdId: second.id }, tokens.client))).toMatchObject({
      reason: "HOLD_EXPIRED",
    });

    // A hold that is gone (released) is no hold: the time is free, the booking goes through.
    const released = await held({ startsAt: iso(21, 0, 8) }, tokens.client);
    dataOf(await t.gql(RELEASE, { id: released.id }, tokens.client));
    expect(
      dataOf(await book({ startsAt: iso(21, 0, 8), holdId: released.id }, tokens.client)).bookSession.startsAt,
    ).toBe(iso(21, 0, 8));
  });

  it("who may hold: a CLIENT for themself within availability; a PROVIDER their own time; an ADMIN any provider's; who sees a hold", async () => {
    const tuesdays = await makeUser(t.database, p.tenant, "PROVIDER"); // no availability at all
    await relate(t.database, p.tenant, tuesdays, p.client);
    expect(
      await refused(() => hold({ startsAt: iso(15, 0, 9), clientId: String(p.otherClient.id) }, tokens.client)),
    ).toMatchObject({ code: "FORBIDDEN" });
    expect(
      await refused(() => hold({ providerId: String(tuesdays.id), startsAt: iso(15, 0, 9) }, tokens.client)),
    ).toMatchObject({ code: "BAD_USER_INPUT", reason: "OUTSIDE_AVAILABILITY" });
    const notInCare = await t.token(await makeUser(t.database, p.tenant, "CLIENT"), p.tenant);
    expect(await refused(() => hold({ startsAt: iso(15, 0, 9) }, notInCare))).toMatchObject({ code: "FORBIDDEN" });
    expect(
      await refused(() => hold({ providerId: String(tuesdays.id), startsAt: iso(15, 0, 9) }, tokens.provider)),
    ).toMatchObject({ code: "FORBIDDEN" });
    const stranger = await makeUser(t.database, p.tenant, "CLIENT");
    expect(
      await refused(() => hold({ startsAt: iso(15, 0, 9), clientId: String(stranger.id) }, tokens.provider)),
    ).toMatchObject({ code: "BAD_USER_INPUT", reason: "NOT_IN_CARE" });

    // A provider holds any time of their own (no availability check); an ADMIN any provider's.
    const night = await held({ startsAt: iso(4, 0, 9) }, tokens.provider);
    expect(night.client).toBeNull();
    const byAdmin = await held(
      { providerId: String(tuesdays.id), startsAt: iso(15, 0, 9), clientId: String(p.otherClient.id) },
      tokens.admin,
    );
    expect(byAdmin.provider).toEqual({ id: String(tuesdays.id) });

    // Seen by its creator, its client, its provider and ADMINs (also as a node); NOT_FOUND to anyone else.
    for (const token of [tokens.admin, tokens.otherClient]) {
      expect(dataOf(await t.gql(SLOT_HOLD, { id: byAdmin.id }, token)).slotHold.id).toBe(byAdmin.id);
    }
    expect(failure(await t.gql(SLOT_HOLD, { id: byAdmin.id }, tokens.provider))).toMatchObject({ code: "NOT_FOUND" });
    expect(failure(await t.gql(SLOT_HOLD, { id: night.id }, tokens.client))).toMatchObject({ code: "NOT_FOUND" });
    expect(failure(await t.gql(RELEASE, { id: night.id }, tokens.client))).toMatchObject({ code: "NOT_FOUND" });
    const node = dataOf(
      await t.gql(
        `query($id: ID!) { node(id: $id) { __typename ... on SlotHold { startsAt } } }`,
        { id: night.id },
        tokens.provider,
      ),
    ).node;
    expect(node).toEqual({ __typename: "SlotHold", startsAt: iso(4, 0, 9) });
    expect(
      dataOf(await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: night.id }, tokens.otherClient)).node,
    ).toBeNull();
  });

  it("bad input: ttl outside 30..900, a duration that does not fit, a start in the past: a reason, nothing written", async () => {
    const start = iso(15, 0, 10);
    expect(await refused(() => hold({ startsAt: start, ttlSeconds: 29 }, tokens.provider))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { ttlSeconds: expect.stringContaining("30") },
    });
    expect(await refused(() => hold({ startsAt: start, ttlSeconds: 901 }, tokens.provider))).toMatchObject({
      reason: "VALIDATION",
      fieldErrors: { ttlSeconds: expect.any(String) },
    });
    for (const durationMinutes of [0, -5, 24 * 60 + 1])
      expect(await refused(() => hold({ startsAt: start, durationMinutes }, tokens.provider))).toMatchObject({
        reason: "VALIDATION",
        fieldErrors: { durationMinutes: expect.any(String) },
      });
    expect(await refused(() => hold({ startsAt: "2030-01-06T11:00:00.000Z" }, tokens.provider))).toMatchObject({
      reason: "IN_THE_PAST",
    });
    expect(await refused(() => hold({ startsAt: start, providerId: String(p.client.id) }, tokens.admin))).toMatchObject(
      {
        code: "NOT_FOUND",
      },
    );
    // The edges are allowed.
    expect((await held({ startsAt: start, ttlSeconds: 30, durationMinutes: 10 }, tokens.provider)).id).toBeTruthy();
    expect((await held({ startsAt: iso(16, 0, 10), ttlSeconds: 900 }, tokens.provider)).id).toBeTruthy();
  });

  it("a hold over a session or a group session's time is SESSION_OVERLAP; back-to-back holds and sessions are allowed", async () => {
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(15, 0, 11),
      endsAt: at(16, 0, 11),
    });
    const overSession = await refused(() => hold({ startsAt: iso(15, 30, 11) }, tokens.provider));
    expect(overSession).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    // A client hears that the time is taken, nothing about whose session it is.
    const other = await makeUser(t.database, p.tenant, "CLIENT");
    await relate(t.database, p.tenant, p.provider, other);
    const asClient = await refused(async () => hold({ startsAt: iso(15, 30, 11) }, await t.token(other, p.tenant)));
    expect(asClient).toMatchObject({ reason: "SESSION_OVERLAP", message: "That time is no longer available" });
    expect(asClient.conflictingSessionId).toBeUndefined();

    await held({ startsAt: iso(16, 0, 11) }, tokens.provider);
    await held({ startsAt: iso(14, 0, 11) }, tokens.provider);
    // A session right after a hold.
    dataOf(await book({ clientId: String(p.client.id), startsAt: iso(17, 0, 11) }, tokens.provider));

    await asTenant(t.database, p.tenant.id, (tx) =>
      tx.insert(groupSessions).values({
        tenantId: p.tenant.id,
        providerId: p.provider.id,
        startsAt: at(19, 0, 11),
        endsAt: at(20, 0, 11),
        capacity: 5,
      }),
    );
    expect(
      await refused(() => hold({ startsAt: iso(19, 30, 11), durationMinutes: 30 }, tokens.provider)),
    ).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    expect(
      await refused(() => book({ clientId: String(p.client.id), startsAt: iso(19, 0, 11) }, tokens.provider)),
    ).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    const starts = await offeredStarts(t, p.provider.id, "2030-01-11", tokens.client);
    expect(starts).not.toContain(iso(19, 0, 11));
    expect(starts).toContain(iso(20, 0, 11));
    await held({ startsAt: iso(20, 0, 11) }, tokens.provider);
  });

  it("bookSeries over a hold: ALL_OR_NOTHING refuses with SLOT_HELD, SKIP_CONFLICTS skips it, previewSeries says why", async () => {
    const BOOK_SERIES = `mutation($input: BookSeriesInput!) { bookSeries(input: $input) {
      sessions { startsAt } skipped { startsAt reason } } }`;
    const PREVIEW = `query($input: BookSeriesInput!) { previewSeries(input: $input) { startsAt bookable reason } }`;
    const input = {
      providerId: String(p.provider.id),
      clientId: String(p.client.id),
      durationMinutes: 50,
      startsAt: iso(15, 0, 14),
      recurrence: "FREQ=WEEKLY;COUNT=3",
    };
    await held({ startsAt: iso(15, 0, 21) }, tokens.provider);
    const preview = dataOf(await t.gql(PREVIEW, { input }, tokens.admin)).previewSeries;
    expect(preview.map((o: { bookable: boolean; reason: string | null }) => [o.bookable, o.reason])).toEqual([
      [true, null],
      [false, "SLOT_HELD"],
      [true, null],
    ]);
    const all = await refused(() => t.gql(BOOK_SERIES, { input }, tokens.admin));
    expect(all).toMatchObject({ code: "CONFLICT", reason: "SLOT_HELD" });
    expect(all.occurrences).toEqual([{ startsAt: iso(15, 0, 21), reason: "SLOT_HELD" }]);
    const skipping = dataOf(
      await t.gql(BOOK_SERIES, { input: { ...input, conflictPolicy: "SKIP_CONFLICTS" } }, tokens.admin),
    );
    expect(skipping.bookSeries.sessions.map((s: { startsAt: string }) => s.startsAt)).toEqual([
      iso(15, 0, 14),
      iso(15, 0, 28),
    ]);
    expect(skipping.bookSeries.skipped).toEqual([{ startsAt: iso(15, 0, 21), reason: "SLOT_HELD" }]);
  });

  it("the client booking rule: a group's time refuses a client, except for the group they join (excludeGroupSessionId); their own hold does not refuse them (excludeHoldId)", async () => {
    const [group] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .insert(groupSessions)
        .values({
          tenantId: p.tenant.id,
          providerId: p.provider.id,
          startsAt: at(15, 0, 12),
          endsAt: at(16, 0, 12),
          capacity: 3,
        })
        .returning(),
    );
    // Another client's seat in it: a session of the provider at the group's time.
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.otherClient.id,
      startsAt: at(15, 0, 12),
      endsAt: at(16, 0, 12),
      groupSessionId: group.id,
    });
    const mine = await held({ startsAt: iso(17, 0, 12) }, tokens.client);
    const ctx = requestContext(t, p.tenant, p.client);
    try {
      const slot = { providerId: p.provider.id, clientId: p.client.id, startsAt: at(15, 0, 12), endsAt: at(16, 0, 12) };
      expect(await whyNotBookableForClient(ctx, slot)).toBe("OUTSIDE_AVAILABILITY");
      expect(await whyNotBookableForClient(ctx, { ...slot, excludeGroupSessionId: group.id })).toBeUndefined();
      const held17 = { ...slot, startsAt: at(17, 0, 12), endsAt: at(18, 0, 12) };
      expect(await whyNotBookableForClient(ctx, held17)).toBe("OUTSIDE_AVAILABILITY");
      expect(await whyNotBookableForClient(ctx, { ...held17, excludeHoldId: Number(mine.id) })).toBeUndefined();
    } finally {
      await ctx.db.finish(false);
    }
  });
});
