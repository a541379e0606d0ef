import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSecondInstance, startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually } from "../helpers/ws.js";
import { effects, jobsOf, makeEffects, recordEffect } from "./jobs.fixture.js";

let first: TestApp;
let second: TestApp;
const env = { JOBS_POLL_INTERVAL_MS: "100" };

beforeAll(async () => {
  first = await startTestApp({ env });
  // On PostgreSQL a second pool, as another process would have; on PGlite the one in-process database.
  second = await startSecondInstance(first, { env });
  await makeEffects(first);
});
afterAll(async () => {
  await second.close();
  await first.close();
});

describe(`jobs run once across instances (${engine})`, () => {
  it("two instances working one queue run each of 60 jobs exactly once, both taking part", async () => {
    const queue = "test-race";
    for (const [name, t] of [
      ["first", first],
      ["second", second],
    ] as const) {
      await t.app.deps.jobs.defineQueue(queue);
      await t.app.deps.jobs.work<{ key: string }>(
        queue,
        async ({ key }, job) => {
          // Long enough that both instances are fetching while the other runs.
          await new Promise((resolve) => setTimeout(resolve, 10));
          await recordEffect(first, queue, key, job.retryCount, name);
        },
        { concurrency: 3 },
      );
    }
    const keys = Array.from({ length: 60 }, (_, i) => `job-${i}`);
    await Promise.all(keys.map((key, i) => (i % 2 ? first : second).app.deps.jobs.sendNow(queue, { key })));

    await eventually(async () => (await effects(first, queue)).length >= keys.length, "not every job ran", 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ran = await effects(first, queue);
    expect(ran).toHaveLength(keys.length);
    expect(new Set(ran.map((r) => r.key)).size).toBe(keys.length);
    expect(new Set(ran.map((r) => r.instance))).toEqual(new Set(["first", "second"]));
    expect((await jobsOf(first, queue)).map((job) => job.state)).toEqual(keys.map(() => "completed"));
  });
});

describe(`a failing job is retried with growing delays (${engine})`, () => {
  it("retryDelay 1 s with backoff: retried after about 1-2 s, 2-4 s, 4-8 s, then completed; the effect happens once", async () => {
    const queue = "test-retry";
    const jobs = first.app.deps.jobs;
    await jobs.defineQueue(queue, { retryLimit: 3, retryDelay: 1, retryBackoff: true });
    const attempts: number[] = [];
    await jobs.work<{ key: string }>(queue, async ({ key }, job) => {
      attempts.push(Date.now());
      expect(job.retryCount).toBe(attempts.length - 1);
      if (job.retryCount < 3) throw new Error(`attempt ${job.retryCount + 1} fails`);
      await recordEffect(first, queue, key, job.retryCount);
    });
    await jobs.sendNow(queue, { key: "flaky" });

    await eventually(async () => (await effects(first, queue)).length === 1, "the job never succeeded", 25_000);
    const gaps = attempts.slice(1).map((at, i) => (at - attempts[i]) / 1000);
    expect(gaps).toHaveLength(3);
    // pg-boss's backoff: delay · 2^n / 2 plus up to as much again at random, n = the retry's number.
    expect(gaps[0]).toBeGreaterThanOrEqual(0.9);
    expect(gaps[1]).toBeGreaterThanOrEqual(1.9);
    expect(gaps[2]).toBeGreaterThanOrEqual(3.9);
    expect(gaps[2]).toBeGreaterThan(gaps[0]);
    expect(await effects(first, queue)).toMatchObject([{ key: "flaky", retry_count: 3 }]);
    const [job] = await jobsOf(first, queue);
    expect(job).toMatchObject({ state: "completed", retry_count: 3 });
  }, 40_000);

  it("a job that keeps failing ends FAILED after its retries, and other jobs of the queue still run", async () => {
    const queue = "test-exhaust";
    const jobs = first.app.deps.jobs;
    await jobs.defineQueue(queue, { retryLimit: 1, retryDelay: 1 });
    await jobs.work<{ key: string; fail: boolean }>(queue, async ({ key, fail }) => {
      if (fail) throw new Error("always fails");
      await recordEffect(first, queue, key);
    });
    await jobs.sendNow(queue, { key: "doomed", fail: true });
    await jobs.sendNow(queue, { key: "fine", fail: false });
    await eventually(
      async () => (await jobsOf(first, queue)).some((job) => job.state === "failed"),
      "the failing job never ended",
      10_000,
    );
    expect((await effects(first, queue)).map((e) => e.key)).toEqual(["fine"]);
    expect((await jobsOf(first, queue)).map((job) => [job.data.key, job.state, job.retry_count])).toEqual([
      ["doomed", "failed", 1],
      ["fine", "completed", 0],
    ]);
  });
});
