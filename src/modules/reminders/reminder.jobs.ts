import { and, eq } from "drizzle-orm";
import { anyId } from "../../db/any-id.js";
import type { Tx } from "../../db/client.js";
import type { Jobs, QueueOptions } from "../jobs/index.js";
import { reminders } from "../../db/schema/index.js";
import type { ReminderJob } from "./reminder.sender.js";

/** The queue whose jobs send one reminder each (data: ReminderJob). */
export const REMINDER_QUEUE = "reminder.send";

/**
 * Retries of a failed send, like a webhook delivery's: exponential backoff from 10 s
 * (10 s, 20 s, 40 s, ... about 1 h 25 min after the first failure), then it stays FAILED.
 */
export const REMINDER_RETRY = { retryLimit: 10, retryDelay: 10, retryBackoff: true } as const;

/**
 * The queue: one waiting job per reminder and due time ("short"), retried as above. A job whose
 * worker died is expired and retried only after the sender's lease (2 minutes) has lapsed, so
 * the retry can claim the reminder again.
 */
export const REMINDER_QUEUE_OPTIONS: QueueOptions = { policy: "short", expireInSeconds: 180, ...REMINDER_RETRY };

/**
 * Queues the sending of each reminder at its due time, in tx. A job names the due time it is
 * for: when the reminder is re-timed, the old job finds nothing to claim and the new one sends.
 * One job per reminder and due time (the singleton key); a duplicate would claim nothing anyway.
 */
export async function scheduleReminderJobs(
  tx: Tx,
  jobs: Jobs,
  due: readonly { id: number; dueAt: Date }[],
): Promise<void> {
  for (const { id, dueAt } of due) {
    const data: ReminderJob = { reminderId: id, dueAt: dueAt.toISOString() };
    await jobs.send(tx, REMINDER_QUEUE, data, {
      startAfter: dueAt,
      singletonKey: `reminder-${id}-${dueAt.toISOString()}`,
      ...REMINDER_RETRY,
    });
  }
}

/**
 * The PENDING reminders of these sessions: what a batch of session events has to schedule (one
 * whose due time has just passed is sent at once; the database never makes one PENDING at a
 * time already passed).
 */
export function pendingRemindersOf(tx: Tx, sessionIds: readonly number[]): Promise<{ id: number; dueAt: Date }[]> {
  return tx
    .select({ id: reminders.id, dueAt: reminders.dueAt })
    .from(reminders)
    .where(and(anyId(reminders.sessionId, sessionIds), eq(reminders.status, "PENDING")));
}
