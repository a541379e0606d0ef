import type { AppDeps } from "../context.js";
import type { Jobs } from "../jobs/index.js";
import { pendingRemindersOf, REMINDER_QUEUE, REMINDER_QUEUE_OPTIONS, scheduleReminderJobs } from "./reminder.jobs.js";
import { ReminderSender, type ReminderJob } from "./reminder.sender.js";
import type { ReminderTransports } from "./reminder.transports.js";

/**
 * Reminders on the job engine: every committed session event (a booking, a series' occurrences,
 * a seat, a reschedule, a reassignment) queues the sending of its session's PENDING reminders at
 * their due times, in the consumer's transaction (exactly once per event); each job claims and
 * sends its reminder (ReminderSender). A transport failure throws: the engine retries the job
 * with backoff (REMINDER_RETRY) and the worker goes on.
 */
export async function startReminderDelivery(
  deps: AppDeps,
  jobs: Jobs,
  transports: ReminderTransports,
): Promise<ReminderSender> {
  const sender = new ReminderSender(deps, transports);
  await jobs.defineQueue(REMINDER_QUEUE, REMINDER_QUEUE_OPTIONS);
  await jobs.work<ReminderJob>(REMINDER_QUEUE, async (data) => {
    await sender.send(data);
  });
  jobs.onEvents("reminders", async (tx, events) => {
    const sessionIds = [...new Set(events.flatMap((e) => (e.sessionId === null ? [] : [e.sessionId])))];
    if (sessionIds.length) await scheduleReminderJobs(tx, jobs, await pendingRemindersOf(tx, sessionIds));
  });
  return sender;
}
