import { describe, expect, it } from "vitest";
import type { JobEngine } from "../../src/modules/jobs/index.js";
import { startSecondInstance, startTestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually } from "../helpers/ws.js";
import {
  at,
  BOOK,
  createEndpoint,
  dataOf,
  deliveriesOf,
  idsOf,
  NOW,
  sleep,
  startReceiver,
  webhookPractice,
  WEBHOOK_TEST_ENV,
} from "./webhooks.fixture.js";

describe(`webhooks across instances and restarts (${engine})`, () => {
  it("two instances on one database deliver each event once", { timeout: 60_000 }, async () => {
    const { t, p, tokens } = await webhookPractice();
    const second = await startSecondInstance(t, { now: () => NOW, env: WEBHOOK_TEST_ENV });
    const r = await startReceiver();
    try {
      await createEndpoint(t, tokens.admin, r.url, ["session.booked"]);
      // Bookings through both instances, so both wake their consumers and workers.
      const hours = [8, 9, 10, 11, 12, 13, 14, 15];
      const results = await Promise.all(
        hours.map((hour, i) =>
          (i % 2 ? second : t).gql(
            BOOK,
            {
              input: {
                providerId: String(p.provider.id),
                clientId: String(p.client.id),
                startsAt: at(hour).toISOString(),
                durationMinutes: 30,
              },
            },
            tokens.admin,
          ),
        ),
      );
      expect(results.map((result) => result.errors ?? null)).toEqual(hours.map(() => null));
      await eventually(
        () => r.received.length >= hours.length,
        `not every webhook arrived (${r.received.length} of ${hours.length})`,
        30_000,
      );
      await sleep(1000);
      expect(idsOf(r.received)).toHaveLength(hours.length);
      expect(new Set(idsOf(r.received)).size).toBe(hours.length);
      expect((await deliveriesOf(t, p.tenant)).map((d) => d.status)).toEqual(hours.map(() => "DELIVERED"));
    } finally {
      await r.close();
      await second.close();
      await t.close();
    }
  });

  it("an instance that goes away between the commit and the delivery loses nothing: the next one delivers", async () => {
    const first = await webhookPractice();
    const { p, tokens } = first;
    const r = await startReceiver();
    let next: Awaited<ReturnType<typeof startTestApp>> | undefined;
    try {
      await createEndpoint(first.t, tokens.admin, r.url, ["session.booked"]);
      // The instance's workers stop before the booking: its event consumer's job is committed with it, never run here.
      await (first.t.app.deps.jobs as JobEngine).stop();
      const input = {
        providerId: String(p.provider.id),
        clientId: String(p.client.id),
        startsAt: at(9).toISOString(),
        durationMinutes: 30,
      };
      const booked = dataOf(await first.t.gql(BOOK, { input }, tokens.admin)).bookSession;
      await sleep(500);
      expect(r.received).toEqual([]);
      expect(await deliveriesOf(first.t, p.tenant)).toEqual([]);
      await first.t.app.close();

      next = await startTestApp({
        now: () => NOW,
        env: WEBHOOK_TEST_ENV,
        database: first.t.database,
        databaseUrl: first.t.databaseUrl,
      });
      await eventually(
        () => r.received.length === 1,
        "the committed booking was never delivered after the restart",
        10_000,
      );
      expect(JSON.parse(r.received[0].body)).toMatchObject({ type: "session.booked", data: { sessionId: booked.id } });
    } finally {
      await r.close();
      await next?.app.close();
      await first.t.database.close();
    }
  });
});
