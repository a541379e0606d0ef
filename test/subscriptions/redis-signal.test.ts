import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { domainEvents } from "../../src/db/schema/index.js";
import { EVENTS_CHANNEL, RedisSignal } from "../../src/modules/events/index.js";
import { bookSession } from "../../src/modules/sessions/index.js";
import { requestContext, startSecondInstance, startTestApp, type TestApp } from "../helpers/app.js";
import { engine, openTestDatabase } from "../helpers/db.js";
import { asTenant, makePractice, makeSession } from "../helpers/factories.js";
import { hearRedis, privateRedis, redisAvailable, TEST_REDIS_URL } from "../helpers/redis.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { at, BOOK, dataOf, iso, NOW, SESSION_CHANGED } from "./subscriptions.fixture.js";

const withRedis = await redisAvailable();

describe("REDIS_URL", () => {
  const config = (REDIS_URL: string) => loadConfig({ NODE_ENV: "test", JWT_SECRET: "x".repeat(32), REDIS_URL });

  it("unset or empty: NOTIFY; a redis:// or rediss:// URL is taken; anything else is refused at start, without echoing it", () => {
    expect(config("").redisUrl).toBeUndefined();
    expect(config("redis://127.0.0.1:6379").redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config("rediss://:secret@cache.example:6380/2").redisUrl).toBe("rediss://:secret@cache.example:6380/2");
    for (const bad of ["127.0.0.1:6379", "http://127.0.0.1:6379", "redis://", "not a url :secret@"]) {
      expect(() => config(bad)).toThrow(ConfigError);
      expect(() => config(bad)).toThrow(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL with a host/);
    }
  });

  it("a Redis that cannot be reached fails the start with a clear message (the password hidden)", async () => {
    const { database } = await openTestDatabase();
    try {
      const closed = await privateRedis();
      await closed.stop();
      const url = closed.url.replace("redis://", "redis://:hunter2@");
      const start = startTestApp({ database, env: { REDIS_URL: url } });
      await expect(start).rejects.toThrow(ConfigError);
      await expect(start).rejects.toThrow(
        /^Cannot connect to Redis at REDIS_URL \(redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\)/,
      );
    } finally {
      await database.close();
    }
  });
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe.skipIf(!withRedis)(`the Redis wake-up signal (${engine})`, () => {
  describe("announcing", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ now: () => NOW, env: { REDIS_URL: TEST_REDIS_URL } });
    });
    afterAll(() => t.close());

    it("announces a committed event once, after its commit; a rolled-back one never; NOTIFY is not used", async () => {
      const p = await makePractice(t.database);
      const signal = t.app.deps.events.signal as RedisSignal;
      const redis = await hearRedis(TEST_REDIS_URL, signal.channel);
      const notified: string[] = [];
      const unlisten = await t.database.listen(EVENTS_CHANNEL, (payload) => notified.push(payload));
      try {
        const rolledBack = requestContext(t, p.tenant, p.provider);
        await bookSession(rolledBack, { clientId: p.client.id, startsAt: at(9), durationMinutes: 60 });
        await rolledBack.db.finish(false);
        await settle();
        expect(redis.heard).toEqual([]);

        const committed = requestContext(t, p.tenant, p.provider);
        const kept = await bookSession(committed, { clientId: p.client.id, startsAt: at(9), durationMinutes: 60 });
        await settle();
        // Written, not committed: not announced yet.
        expect(redis.heard).toEqual([]);
        await committed.db.finish(true);
        await eventually(() => redis.heard.length > 0, "the committed event was never announced on Redis");
        const [event] = await asTenant(t.database, p.tenant.id, (tx) =>
          tx.select().from(domainEvents).where(eq(domainEvents.sessionId, kept.id)),
        );
        await settle();
        expect(redis.heard).toEqual([`${p.tenant.id}:${event.id}`]);
        expect(notified).toEqual([]);
      } finally {
        await unlisten();
        await redis.close();
      }
    });

    it("an event whose announcement was lost reaches subscribers through the periodic catch-up", async () => {
      const caughtUp = await startTestApp({
        now: () => NOW,
        database: t.database,
        databaseUrl: t.databaseUrl,
        env: { REDIS_URL: TEST_REDIS_URL, EVENT_CATCH_UP_SECONDS: "1" },
      });
      try {
        const p = await makePractice(t.database);
        const s = subscribe(caughtUp.url, await caughtUp.token(p.admin, p.tenant), SESSION_CHANGED, {});
        await eventually(() => caughtUp.app.deps.events.subscriberCount === 1, "the subscription never registered");
        // As if the writer had died between its commit and its publish: a committed event nobody announced.
        const session = await makeSession(t.database, p.tenant, {
          providerId: p.provider.id,
          clientId: p.client.id,
          startsAt: new Date(iso(10)),
          endsAt: new Date(iso(11)),
        });
        await asTenant(t.database, p.tenant.id, (tx) =>
          tx.insert(domainEvents).values({
            tenantId: p.tenant.id,
            type: "UPDATED",
            sessionId: session.id,
            providerId: p.provider.id,
            clientId: p.client.id,
            payload: { appointmentId: session.id, status: "SCHEDULED" },
          }),
        );
        const received = (await s.nth(1, 10_000)).data!.sessionChanged;
        expect(received).toMatchObject({ type: "UPDATED", session: { id: String(session.id) } });
        await s.dispose();
      } finally {
        await caughtUp.close();
      }
    });
  });

  describe("a Redis restart", () => {
    let redis: Awaited<ReturnType<typeof privateRedis>>;
    let first: TestApp;
    let second: TestApp;

    beforeAll(async () => {
      redis = await privateRedis();
      // No periodic catch-up within the test: what is delivered comes from the reconnect.
      const env = { REDIS_URL: redis.url, EVENT_CATCH_UP_SECONDS: "3600" };
      first = await startTestApp({ now: () => NOW, env });
      second = await startSecondInstance(first, { now: () => NOW, env });
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
      await redis?.stop();
    });

    it("a booking committed through one instance while Redis is down reaches the other's subscriber once it is back", async () => {
      const p = await makePractice(first.database);
      const provider = await first.token(p.provider, p.tenant);
      const s = subscribe(first.url, await first.token(p.admin, p.tenant), SESSION_CHANGED, {});
      await eventually(() => first.app.deps.events.subscriberCount === 1, "the subscription never registered");
      const book = async (hour: number) =>
        Number(
          dataOf(
            await second.gql(
              BOOK,
              { input: { clientId: String(p.client.id), startsAt: iso(hour), durationMinutes: 60 } },
              provider,
            ),
          ).bookSession.id,
        );
      const before = await book(9);
      expect((await s.nth(1)).data!.sessionChanged.session.id).toBe(String(before));

      await redis.stop();
      // Writes go on without Redis: the outbox is the source of truth.
      const during = await book(11);
      await settle();
      expect(s.received).toHaveLength(1);

      await redis.start();
      const caught = (await s.nth(2, 20_000)).data!.sessionChanged;
      expect(caught).toMatchObject({ type: "BOOKED", session: { id: String(during) } });
      const after = await book(13);
      expect((await s.nth(3, 10_000)).data!.sessionChanged.session.id).toBe(String(after));
      await settle();
      expect(s.received).toHaveLength(3);
      await s.dispose();
    });
  });
});
