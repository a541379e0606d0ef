import { and, eq, exists, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Tx } from "../../db/client.js";
import { reminders, sessions, tenants, users, type ReminderRow, type ReminderStatus } from "../../db/schema/index.js";
import { isActiveSql } from "../../rules/session-states.js";
import type { AppDeps } from "../context.js";
import type { ReminderFacts } from "./reminder.message.js";
import type { ReminderTransports } from "./reminder.transports.js";

/** The job that sends one reminder: its id and the due time it was scheduled for. */
export interface ReminderJob {
  reminderId: number;
  /** ISO instant. A reminder re-timed since (a reschedule) no longer matches: the job does nothing. */
  dueAt: string;
}

export type SendOutcome = "sent" | "stale" | "no-address" | "channel-off";

/** Longer than a transport may take (three 10 s SMTP timeouts); a worker that died mid-send lets it lapse. */
const LEASE = sql`interval '2 minutes'`;

const clients = alias(users, "client");
const providers = alias(users, "provider");

/**
 * Sends a due reminder once. The claim is one UPDATE: the reminder still PENDING (or FAILED, on a
 * retry) at exactly the job's due time, its session still SCHEDULED or CONFIRMED, and no other
 * sender's lease running. Two workers (or two instances, or two jobs for one reminder) cannot
 * both win it: the loser's UPDATE, once the winner's commits, no longer matches. The send runs
 * outside any transaction (a slow SMTP server holds no connection), and its outcome is written
 * only over the winner's own lease.
 */
export class ReminderSender {
  constructor(
    private readonly deps: AppDeps,
    private readonly transports: ReminderTransports,
  ) {}

  /** Throws on a transport failure, after recording it (FAILED, attempts, last_error): the job is retried. */
  async send(job: ReminderJob): Promise<SendOutcome> {
    const { database } = this.deps;
    const dueAt = new Date(job.dueAt);
    // reminders is not FORCE RLS: the owner finds any tenant's row, then works under that tenant.
    const [owner] = await database.db
      .select({ tenantId: reminders.tenantId })
      .from(reminders)
      .where(eq(reminders.id, job.reminderId));
    if (!owner || Number.isNaN(dueAt.getTime())) return "stale";
    const claimed = await database.withTenant(owner.tenantId, (tx) => claim(tx, job.reminderId, dueAt));
    if (!claimed) return "stale";
    const { reminder, facts, to } = claimed;
    const finish = (values: { status: ReminderStatus; lastError: string | null; sentAt?: SQL }) =>
      database.withTenant(owner.tenantId, (tx) =>
        tx
          .update(reminders)
          .set({ ...values, claimedUntil: null, updatedAt: sql`now()` })
          .where(
            and(
              eq(reminders.id, reminder.id),
              eq(reminders.dueAt, reminder.dueAt),
              eq(reminders.claimedUntil, reminder.claimedUntil!),
            ),
          ),
      );
    if (!to) {
      await finish({
        status: "CANCELLED",
        lastError: `the client has no ${reminder.channel === "EMAIL" ? "email address" : "phone number"}`,
      });
      return "no-address";
    }
    const transport = this.transports[reminder.channel];
    if (!transport) {
      await finish({ status: "CANCELLED", lastError: `${reminder.channel} is not configured on this server` });
      return "channel-off";
    }
    try {
      await transport.send(to, facts);
    } catch (err) {
      await finish({ status: "FAILED", lastError: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    await finish({ status: "SENT", sentAt: sql`now()`, lastError: null });
    return "sent";
  }
}

/** The reminder claimed for this sender (its lease set, one attempt more) with what it is to say, or null when it is not to be sent now. */
async function claim(
  tx: Tx,
  reminderId: number,
  dueAt: Date,
): Promise<{ reminder: ReminderRow; facts: ReminderFacts; to: string | null } | null> {
  const [reminder] = await tx
    .update(reminders)
    .set({
      // Milliseconds, as a JS Date holds it: finish() compares the lease it was given.
      claimedUntil: sql`date_trunc('milliseconds', clock_timestamp()) + ${LEASE}`,
      attempts: sql`${reminders.attempts} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(reminders.id, reminderId),
        eq(reminders.dueAt, dueAt),
        inArray(reminders.status, ["PENDING", "FAILED"]),
        or(isNull(reminders.claimedUntil), lt(reminders.claimedUntil, sql`clock_timestamp()`)),
        exists(
          tx
            .select({ one: sql`1` })
            .from(sessions)
            .where(
              and(
                eq(sessions.tenantId, reminders.tenantId),
                eq(sessions.id, reminders.sessionId),
                isActiveSql(sessions.status),
              ),
            ),
        ),
      ),
    )
    .returning();
  if (!reminder) return null;
  const [row] = await tx
    .select({
      sessionId: sessions.id,
      revision: sessions.revision,
      startsAt: sessions.startsAt,
      endsAt: sessions.endsAt,
      modality: sessions.modality,
      location: sessions.location,
      providerName: providers.name,
      practiceName: tenants.name,
      timeZone: clients.timeZone,
      email: clients.email,
      phone: clients.phone,
    })
    .from(sessions)
    .innerJoin(clients, and(eq(clients.tenantId, sessions.tenantId), eq(clients.id, sessions.clientId)))
    .innerJoin(providers, and(eq(providers.tenantId, sessions.tenantId), eq(providers.id, sessions.providerId)))
    .innerJoin(tenants, eq(tenants.id, sessions.tenantId))
    .where(and(eq(sessions.tenantId, reminder.tenantId), eq(sessions.id, reminder.sessionId)));
  const { email, phone, ...facts } = row;
  const address = (reminder.channel === "EMAIL" ? email : phone)?.trim() || null;
  return { reminder, facts, to: address };
}
