import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainEvents } from "../../src/db/schema/index.js";
import { EVENTS_CHANNEL } from "../../src/modules/events/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeUser, relate } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { BOOK, dataOf, iso, NOW } from "./subscriptions.fixture.js";

const WATCH = `subscription($after: String) { sessionChanged(after: $after) { id type cursor session { id } } }`;
type Watched = { sessionChanged: { id: string; type: string; cursor: string; session: { id: string } } };

/** Bookings per provider, all at once: enough for their writes to overlap on a 2-core machine. */
const PER_PROVIDER = 12;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
});
afterAll(() => t.close());

/**
 * What subscribers are promised, under a tenant's concurrent writes of different people (the
 * case a narrower event lock would open up): every event once, in commit order (which is id
 * order, so that a cursor is a complete resume point), none skipped, live and on resume.
 */
describe(`a tenant's concurrent writes and their events (${engine})`, () => {
  it("two providers booking at once: subscribers see every event once, in commit order, with no gaps; a resumed one too", async () => {
    const p = await makePractice(t.database);
    const secondProvider = await makeUser(t.database, p.tenant, "PROVIDER");
    await relate(t.database, p.tenant, secondProvider, p.otherClient);
    const bookers = [
      { token: await t.token(p.provider, p.tenant), clientId: p.client.id },
      { token: await t.token(secondProvider, p.tenant), clientId: p.otherClient.id },
    ];
    const admin = await t.token(p.admin, p.tenant);
    const live = subscribe<Watched>(t.url, admin, WATCH, {});
    await eventually(() => t.app.deps.events.subscriberCount === 1, "the subscription never registered");
    // NOTIFY is delivered in commit order: what this connection hears is the order of the commits.
    const committed: number[] = [];
    const unlisten = await t.database.listen(EVENTS_CHANNEL, (payload) => {
      const [tenantId, id] = payload.split(":").map(Number);
      if (tenantId === p.tenant.id) committed.push(id);
    });
    try {
      const booked = await Promise.all(
        Array.from({ length: PER_PROVIDER }, (_, i) =>
          bookers.map(async ({ token, clientId }) => {
            const input = { clientId: String(clientId), startsAt: iso(8 + (i % 12), 0, 7 + Math.floor(i / 12)) };
            return dataOf(await t.gql(BOOK, { input: { ...input, durationMinutes: 30 } }, token)).bookSession.id;
          }),
        ).flat(),
      );
      expect(new Set(booked).size).toBe(2 * PER_PROVIDER);

      const events = await asTenant(t.database, p.tenant.id, (tx) =>
        tx
          .select({ id: domainEvents.id, sessionId: domainEvents.sessionId })
          .from(domainEvents)
          .where(eq(domainEvents.tenantId, p.tenant.id))
          .orderBy(asc(domainEvents.id)),
      );
      const ids = events.map((e) => e.id);
      expect(events.map((e) => String(e.sessionId)).sort()).toEqual([...booked].sort());

      await eventually(() => committed.length === ids.length, "not every commit was announced");
      expect(committed).toEqual(ids);

      const received = await live.nth(ids.length, 10_000).then(() => live.received);
      expect(received.map((r) => Number(r.data!.sessionChanged.cursor))).toEqual(ids);
      expect(received.map((r) => r.data!.sessionChanged.type)).toEqual(ids.map(() => "BOOKED"));

      // Resumed after the fifth event: the rest, from the outbox, each once and in order.
      const resumed = subscribe<Watched>(t.url, admin, WATCH, { after: received[4].data!.sessionChanged.cursor });
      await resumed.nth(ids.length - 5, 10_000);
      expect(resumed.received.map((r) => Number(r.data!.sessionChanged.cursor))).toEqual(ids.slice(5));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(live.received).toHaveLength(ids.length);
      expect(resumed.received).toHaveLength(ids.length - 5);
      await resumed.dispose();
    } finally {
      await unlisten();
      await live.dispose();
    }
  });
});
