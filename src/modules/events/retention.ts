import type { Jobs } from "../jobs/index.js";
import type { EventDispatcher } from "./dispatcher.js";

/** The queue of outbox pruning: one job waiting at a time, which queues the next when it runs. */
export const EVENT_RETENTION_QUEUE = "event-retention";

/**
 * Prunes the outbox (EventDispatcher.prune: events older than EVENT_RETENTION_DAYS) every
 * intervalSeconds as a job: the first is queued by whichever instance starts first (policy
 * short: one waiting job, so the other instances' sends are dropped), and each run first queues
 * the next, then prunes; a failed run is retried. Never at start: a large backlog must not delay
 * readiness. 0: never.
 */
export async function scheduleEventRetention(
  events: EventDispatcher,
  jobs: Jobs,
  intervalSeconds: number,
): Promise<void> {
  if (intervalSeconds <= 0) return;
  await jobs.defineQueue(EVENT_RETENTION_QUEUE, { policy: "short", retryLimit: 5, retryDelay: 30, retryBackoff: true });
  const next = () => jobs.sendNow(EVENT_RETENTION_QUEUE, {}, { singletonKey: "next", startAfter: intervalSeconds });
  await jobs.work(EVENT_RETENTION_QUEUE, async () => {
    await next();
    await events.prune();
  });
  await next();
}
