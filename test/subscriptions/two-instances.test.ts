import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSecondInstance, startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { redisAvailable, TEST_REDIS_URL } from "../helpers/redis.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { BOOK, dataOf, iso, NOW, practiceWithHours, SLOTS_CHANGED } from "./subscriptions.fixture.js";

const withRedis = await redisAvailable();

/** The same test on each wake-up signal: PostgreSQL's NOTIFY (the default) and Redis pub/sub (REDIS_URL). */
for (const signal of ["pg_notify", "redis"] as const) {
  describe.skipIf(signal === "redis" && !withRedis)(
    `two server instances on one database (${engine}, ${signal})`,
    () => {
      let first: TestApp;
      let second: TestApp;
      const env: Record<string, string> = signal === "redis" ? { REDIS_URL: TEST_REDIS_URL } : {};

      beforeAll(async () => {
        first = await startTestApp({ now: () => NOW, env });
        second = await startSecondInstance(first, { now: () => NOW, env });
      });
      afterAll(async () => {
        await second.close();
        await first.close();
      });

      it("a subscriber on the first instance receives a booking committed through the second", async () => {
        expect(first.app.deps.events.signal.kind).toBe(signal);
        const p = await practiceWithHours(first);
        const s = subscribe(first.url, p.tokens.client, SLOTS_CHANGED, {
          providerId: String(p.provider.id),
          from: "2030-01-07",
        });
        await eventually(() => first.app.deps.events.subscriberCount === 1, "the subscription never registered");
        const booked = dataOf(
          await second.gql(
            BOOK,
            { input: { clientId: String(p.client.id), startsAt: iso(16), durationMinutes: 60 } },
            p.tokens.provider,
          ),
        );
        const change = (await s.nth(1)).data!.slotsChanged;
        expect(change).toMatchObject({ providerId: String(p.provider.id), reason: "BOOKED", dates: ["2030-01-07"] });
        expect(change.days[0].slots.map((slot: { startsAt: string }) => slot.startsAt)).not.toContain(iso(16));
        expect(booked.bookSession.id).toBeDefined();
        expect(second.app.deps.events.subscriberCount).toBe(0);
        await s.dispose();
      });
    },
  );
}
