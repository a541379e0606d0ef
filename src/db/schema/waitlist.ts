import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, index, integer, pgEnum, pgTable, text, unique } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";
import { sessions } from "./sessions.js";
import { reminderChannelEnum } from "./reminders.js";
import { tenantId, tenants, users } from "./tenants.js";

export const waitlistStatusEnum = pgEnum("waitlist_status", ["WAITING", "OFFERED", "BOOKED", "EXPIRED", "CANCELLED"]);

/**
 * A client waiting for any start in [earliest, latest] of duration_minutes with a provider,
 * served first come, first served (created_at, id). While OFFERED, its offer is the slot_holds
 * row naming it. passed_starts: starts offered to it and declined or let lapse (not offered again).
 */
export const waitlistEntries = pgTable(
  "waitlist_entries",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    clientId: integer("client_id").notNull(),
    earliest: instant("earliest").notNull(),
    latest: instant("latest").notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    status: waitlistStatusEnum("status").notNull().default("WAITING"),
    note: text("note"),
    passedStarts: instant("passed_starts").array().notNull().default(sql`'{}'`),
    sessionId: integer("session_id"),
    createdBy: integer("created_by"),
    ...timestamps(),
  },
  (t) => [
    unique("waitlist_entries_tenant_id_key").on(t.tenantId, t.id),
    index("waitlist_entries_provider_idx").on(t.tenantId, t.providerId, t.status, t.createdAt),
    index("waitlist_entries_client_idx").on(t.tenantId, t.clientId),
    // The waitlist's background pass reads open entries of every tenant (the ones due to settle).
    index("waitlist_entries_open_idx")
      .on(t.status, t.latest)
      .where(sql`${t.status} in ('WAITING', 'OFFERED')`),
    check("waitlist_entries_window", sql`${t.latest} >= ${t.earliest}`),
    check("waitlist_entries_duration_positive", sql`${t.durationMinutes} > 0`),
    foreignKey({ name: "waitlist_entries_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "waitlist_entries_client_fk", columns: [t.tenantId, t.clientId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "waitlist_entries_session_fk", columns: [t.tenantId, t.sessionId], foreignColumns: [sessions.tenantId, sessions.id] }),
  ],
);

export type WaitlistEntryRow = typeof waitlistEntries.$inferSelect;
export type WaitlistStatus = (typeof waitlistStatusEnum.enumValues)[number];

/**
 * A provider whose time may have freed up, written by triggers in the transaction of the change
 * (drizzle/0011: a cancellation, a reschedule away, a deleted session, a removed hold, an
 * availability change, a cancelled group) only while the provider has WAITING entries. So a
 * rolled-back change asks for nothing, and a committed one is not lost: the waitlist claims
 * these rows (FOR UPDATE SKIP LOCKED) and offers what fits.
 */
export const waitlistRefills = pgTable(
  "waitlist_refills",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: integer("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    providerId: integer("provider_id").notNull(),
    requestedAt: instant("requested_at").notNull().defaultNow(),
  },
  (t) => [index("waitlist_refills_tenant_provider_idx").on(t.tenantId, t.providerId)],
);

export type WaitlistRefillRow = typeof waitlistRefills.$inferSelect;

/** A tenant's settings of the capabilities beyond one appointment (one row per tenant, defaults when absent). */
export const tenantSettings = pgTable(
  "tenant_settings",
  {
    tenantId: integer("tenant_id")
      .primaryKey()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** How long a waitlist offer's hold lasts. */
    waitlistOfferMinutes: integer("waitlist_offer_minutes").notNull().default(15),
    /** Reminders: minutes before a session's start, one reminder per offset and channel. */
    reminderOffsetsMinutes: integer("reminder_offsets_minutes").array().notNull().default(sql`'{1440,60}'`),
    /** Off until an admin chooses channels: texting or emailing patients is the practice's decision. */
    reminderChannels: reminderChannelEnum("reminder_channels").array().notNull().default(sql`'{}'`),
    ...timestamps(),
  },
  (t) => [
    check("tenant_settings_offer_minutes_range", sql`${t.waitlistOfferMinutes} between 5 and 1440`),
    check(
      "tenant_settings_reminder_offsets_range",
      sql`cardinality(${t.reminderOffsetsMinutes}) <= 5 and 5 <= all(${t.reminderOffsetsMinutes}) and 20160 >= all(${t.reminderOffsetsMinutes})`,
    ),
  ],
);

export type TenantSettingsRow = typeof tenantSettings.$inferSelect;
