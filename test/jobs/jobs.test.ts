import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEventRow } from "../../src/db/schema/index.js";
import { EVENT_CONSUMERS_QUEUE } from "../../src/modules/jobs/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { eventually } from "../helpers/ws.js";
import { BOOK, dataOf, iso } from "../sessions/sessions.fixture.js";
import { effects, jobsOf, makeEffects, recordEffect } from "./jobs.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let tokens: { provider: string; client: string };
const consumed: DomainEventRow[] = [];

beforeAll(async () => {
  t = await startTestApp({ env: { JOBS_POLL_INTERVAL_MS: "100" } });
  await makeEffects(t);
  p = await makePractice(t.database);
  tokens = { provider: await t.token(p.provider, p.tenant), client: await t.token(p.client, p.tenant) };
  const jobs = t.app.deps.jobs;
  await jobs.defineQueue("test-once");
  await jobs.work<{ key: string }>("test-once", async ({ key }) => recordEffect(t, "test-once", key));
  jobs.onEvents("test-consumer", async (_tx, events) => void consumed.push(...events));
});
afterAll(() => t.close());

describe(`the job engine (${engine})`, () => {
  it("/readyz reports the engine started, with its queues", async () => {
    const body = (await (await fetch(`${t.url}/readyz`)).json()) as { jobs: { started: boolean; queues: string[] } };
    expect(body.jobs.started).toBe(true);
    expect(body.jobs.queues).toEqual(expect.arrayContaining([EVENT_CONSUMERS_QUEUE, "hold-expiry", "test-once"]));
  });

  it("a job sent in a tenant transaction (as the app role) runs once that transaction commits", async () => {
    await asTenant(t.database, p.tenant.id, (tx) => t.app.deps.jobs.send(tx, "test-once", { key: "committed" }));
    await eventually(async () => (await effects(t, "test-once")).length === 1, "the committed job never ran");
    expect((await effects(t, "test-once")).map((e) => e.key)).toEqual(["committed"]);
    await eventually(
      async () => (await jobsOf(t, "test-once")).every((job) => job.state === "completed"),
      "the job was never completed",
    );
  });

  it("a job sent in a transaction that rolls back never exists", async () => {
    const before = (await jobsOf(t, "test-once")).length;
    await expect(
      asTenant(t.database, p.tenant.id, async (tx) => {
        await t.app.deps.jobs.send(tx, "test-once", { key: "rolled-back" });
        throw new Error("the change fails after queuing its job");
      }),
    ).rejects.toThrow("the change fails");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await jobsOf(t, "test-once")).toHaveLength(before);
    expect((await effects(t, "test-once")).map((e) => e.key)).not.toContain("rolled-back");
  });

  it("a booking's event reaches an event consumer; a rolled-back booking schedules nothing", async () => {
    const book = (startsAt: string) =>
      t.gql(BOOK, { input: { clientId: String(p.client.id), startsAt, durationMinutes: 60 } }, tokens.provider);
    const booked = dataOf(await book(iso(15))).bookSession as { id: string };
    await eventually(
      () => consumed.some((e) => e.type === "BOOKED" && e.sessionId === Number(booked.id)),
      "the consumer never saw the booking",
    );
    await eventually(
      async () => (await jobsOf(t, EVENT_CONSUMERS_QUEUE)).every((job) => job.state === "completed"),
      "the wake-up job never completed",
    );
    const jobsBefore = (await jobsOf(t, EVENT_CONSUMERS_QUEUE)).length;
    const seenBefore = consumed.length;

    // Overlaps the first: refused by the database, its savepoint (event and job with it) rolled back.
    const refused = await book(iso(15, 30));
    expect(refused.errors?.[0].extensions.reason).toBe("SESSION_OVERLAP");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await jobsOf(t, EVENT_CONSUMERS_QUEUE)).toHaveLength(jobsBefore);
    expect(consumed).toHaveLength(seenBefore);
  });
});
