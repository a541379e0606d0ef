import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSecondInstance, startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually } from "../helpers/ws.js";
import {
  at,
  bookedHour,
  CANCEL,
  dataOf,
  entriesOf,
  holdsOf,
  joinFor,
  NOW,
  refillsOf,
  waitlistPractice,
} from "./waitlist.fixture.js";

/**
 * Exactly once across instances: two servers on one database (on PostgreSQL each with its own
 * pool, as two processes), both processing refill requests at once and polling besides.
 */
describe(`one offer per freed slot across two instances (${engine})`, () => {
  let first: TestApp;
  let second: TestApp;
  const env = { WAITLIST_POLL_INTERVAL_MS: "50" };

  beforeAll(async () => {
    first = await startTestApp({ now: () => NOW, env });
    second = await startSecondInstance(first, { now: () => NOW, env });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  for (const round of [1, 2, 3]) {
    it(`two fitting entries, one cancelled session: exactly one OFFERED entry and one hold (round ${round})`, async () => {
      const p = await waitlistPractice(first);
      const booked = await bookedHour(first, p, 15);
      await joinFor(first, p, p.tokens.client, p.client.id, at(15));
      await joinFor(second, p, p.tokens.otherClient, p.otherClient.id, at(15));
      await eventually(
        async () => (await refillsOf(first, p.tenant)).length === 0,
        "the joins' requests were never processed",
      );

      dataOf(await (round % 2 ? first : second).gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
      await Promise.all([
        first.app.waitlist.processRefills(),
        second.app.waitlist.processRefills(),
        first.app.waitlist.processRefills(),
        second.app.waitlist.processRefills(),
      ]);
      // Let the pollers run a few more times on both instances.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await Promise.all([first.app.waitlist.processRefills(), second.app.waitlist.processRefills()]);

      const entries = await entriesOf(first, p.tenant);
      expect(entries.filter((e) => e.status === "OFFERED")).toHaveLength(1);
      // First come, first served: the earlier entry got it.
      expect(entries.map((e) => e.status)).toEqual(["OFFERED", "WAITING"]);
      const holds = await holdsOf(first, p.tenant);
      expect(holds).toHaveLength(1);
      expect(holds[0].waitlistEntryId).toBe(entries[0].id);
      expect(await refillsOf(first, p.tenant)).toEqual([]);
    });
  }
});
