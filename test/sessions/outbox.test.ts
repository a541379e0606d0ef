import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainEvents, sessions } from "../../src/db/schema/index.js";
import { EVENTS_CHANNEL } from "../../src/modules/events/index.js";
import { bookSession } from "../../src/modules/sessions/index.js";
import { requestContext as contextOf, startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, relate } from "../helpers/factories.js";
import { at, NOW } from "./sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
});
afterAll(() => t.close());

/** The provider's request, calling the service directly: its own transaction, ended by finish(commit). */
const requestContext = () => contextOf(t, p.tenant, p.provider, "outbox-test");

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe(`the outbox (${engine})`, () => {
  it("the event is written in the booking's transaction: rolled back together, announced only on commit", async () => {
    const heard: string[] = [];
    const unlisten = await t.database.listen(EVENTS_CHANNEL, (payload) => heard.push(payload));
    try {
      const rolledBack = requestContext();
      const lost = await bookSession(rolledBack, { clientId: p.client.id, startsAt: at(9), durationMinutes: 60 });
      const inside = await rolledBack.db.run((tx) =>
        tx.select().from(domainEvents).where(eq(domainEvents.sessionId, lost.id)),
      );
      expect(inside.map((e) => e.type)).toEqual(["BOOKED"]);
      await rolledBack.db.finish(false);
      await settle();
      const after = await asTenant(t.database, p.tenant.id, async (tx) => ({
        sessions: await tx.select().from(sessions).where(eq(sessions.id, lost.id)),
        events: await tx.select().from(domainEvents),
      }));
      expect(after).toEqual({ sessions: [], events: [] });
      expect(heard).toEqual([]);

      const committed = requestContext();
      const kept = await bookSession(committed, { clientId: p.client.id, startsAt: at(9), durationMinutes: 60 });
      await committed.db.finish(true);
      const [event] = await asTenant(t.database, p.tenant.id, (tx) =>
        tx.select().from(domainEvents).where(eq(domainEvents.sessionId, kept.id)),
      );
      expect(event).toMatchObject({ type: "BOOKED", providerId: p.provider.id, clientId: p.client.id });
      for (let i = 0; i < 20 && !heard.length; i++) await settle();
      expect(heard).toEqual([`${p.tenant.id}:${event.id}`]);
    } finally {
      await unlisten();
    }
  });

  // PGlite runs one transaction at a time, so only a real server can show the ordering.
  it.skipIf(engine === "pglite")(
    "a tenant's events commit in id order: a second writer waits for the first one's commit",
    async () => {
      // The provider books otherClient too: only clients in their care (issue 14).
      await relate(t.database, p.tenant, p.provider, p.otherClient);
      const heard: string[] = [];
      const unlisten = await t.database.listen(EVENTS_CHANNEL, (payload) => heard.push(payload));
      try {
        const first = requestContext();
        const second = requestContext();
        const a = await bookSession(first, { clientId: p.client.id, startsAt: at(14), durationMinutes: 30 });
        let secondDone = false;
        const b = bookSession(second, { clientId: p.otherClient.id, startsAt: at(15), durationMinutes: 30 }).then(
          (row) => {
            secondDone = true;
            return row;
          },
        );
        await settle();
        expect(secondDone).toBe(false);
        await first.db.finish(true);
        const booked = await b;
        await second.db.finish(true);
        for (let i = 0; i < 20 && heard.length < 2; i++) await settle();
        const ids = await asTenant(t.database, p.tenant.id, (tx) =>
          tx.select().from(domainEvents).where(eq(domainEvents.type, "BOOKED")),
        );
        const idOf = (sessionId: number) => ids.find((e) => e.sessionId === sessionId)!.id;
        expect(idOf(booked.id)).toBeGreaterThan(idOf(a.id));
        expect(heard).toEqual([`${p.tenant.id}:${idOf(a.id)}`, `${p.tenant.id}:${idOf(booked.id)}`]);
      } finally {
        await unlisten();
      }
    },
  );
});
