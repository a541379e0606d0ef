import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, pgTable, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { id, instant } from "./columns.js";
import { groupSessions } from "./groups.js";
import { tenantId, users } from "./tenants.js";
import { waitlistEntries } from "./waitlist.js";

/**
 * A slot kept for a few minutes (a checkout, a waitlist offer). It blocks the provider's time
 * for everyone else while expires_at is ahead: expiry is part of the rule, read at every check
 * (provider_time_is_free() in drizzle/0011), not a background chore; expired rows are deleted
 * eventually. A hold with group_session_id keeps one seat of that group instead of the provider's time.
 */
export const slotHolds = pgTable(
  "slot_holds",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    /** Whom the slot is kept for (null: the holder's own checkout without a client yet). */
    clientId: integer("client_id"),
    startsAt: instant("starts_at").notNull(),
    endsAt: instant("ends_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
    /** Set when the hold is a waitlist offer: at most one per entry. */
    waitlistEntryId: integer("waitlist_entry_id"),
    /** Set when the hold keeps a seat of a group session rather than the provider's time. */
    groupSessionId: integer("group_session_id"),
    createdBy: integer("created_by").notNull(),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [
    unique("slot_holds_tenant_id_key").on(t.tenantId, t.id),
    index("slot_holds_provider_starts_idx").on(t.tenantId, t.providerId, t.startsAt),
    index("slot_holds_expires_idx").on(t.expiresAt),
    index("slot_holds_group_idx").on(t.tenantId, t.groupSessionId),
    uniqueIndex("slot_holds_waitlist_entry_key").on(t.tenantId, t.waitlistEntryId),
    check("slot_holds_ends_after_starts", sql`${t.endsAt} > ${t.startsAt}`),
    foreignKey({ name: "slot_holds_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "slot_holds_client_fk", columns: [t.tenantId, t.clientId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "slot_holds_waitlist_entry_fk", columns: [t.tenantId, t.waitlistEntryId], foreignColumns: [waitlistEntries.tenantId, waitlistEntries.id] }).onDelete("cascade"),
    foreignKey({ name: "slot_holds_group_fk", columns: [t.tenantId, t.groupSessionId], foreignColumns: [groupSessions.tenantId, groupSessions.id] }).onDelete("cascade"),
  ],
);

export type SlotHoldRow = typeof slotHolds.$inferSelect;
