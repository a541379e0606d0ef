import { sql } from "drizzle-orm";
import { foreignKey, index, integer, pgEnum, pgTable, text, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";
import { sessions } from "./sessions.js";
import { tenantId } from "./tenants.js";

export const reminderChannelEnum = pgEnum("reminder_channel", ["EMAIL", "SMS"]);
export const reminderStatusEnum = pgEnum("reminder_status", ["PENDING", "SENT", "FAILED", "CANCELLED"]);

/**
 * One reminder of one session on one channel, due offset_minutes before the session starts
 * (the tenant's reminder settings). A reschedule re-times it (due_at moves), a cancellation,
 * completion or no-show cancels it; it is sent once, when due, by the job engine.
 */
export const reminders = pgTable(
  "reminders",
  {
    id: id(),
    tenantId: tenantId(),
    sessionId: integer("session_id").notNull(),
    channel: reminderChannelEnum("channel").notNull(),
    offsetMinutes: integer("offset_minutes").notNull(),
    dueAt: instant("due_at").notNull(),
    status: reminderStatusEnum("status").notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    /** Why the last attempt failed (the transport's error, no message content). */
    lastError: text("last_error"),
    sentAt: instant("sent_at"),
    /**
     * A sender's lease: while it is ahead, one worker is sending this reminder and no other may
     * claim it. A worker that dies mid-send leaves it to lapse, and the job's retry sends again.
     */
    claimedUntil: instant("claimed_until"),
    ...timestamps(),
  },
  (t) => [
    unique("reminders_tenant_id_key").on(t.tenantId, t.id),
    uniqueIndex("reminders_session_channel_offset_key").on(t.tenantId, t.sessionId, t.channel, t.offsetMinutes),
    index("reminders_due_idx")
      .on(t.dueAt)
      .where(sql`${t.status} = 'PENDING'`),
    foreignKey({ name: "reminders_session_fk", columns: [t.tenantId, t.sessionId], foreignColumns: [sessions.tenantId, sessions.id] }).onDelete("cascade"),
  ],
);

export type ReminderRow = typeof reminders.$inferSelect;
export type ReminderChannel = (typeof reminderChannelEnum.enumValues)[number];
export type ReminderStatus = (typeof reminderStatusEnum.enumValues)[number];
