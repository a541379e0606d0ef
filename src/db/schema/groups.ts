import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, pgTable, text, unique } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";
import { tenantId, users } from "./tenants.js";
import { modalityEnum, sessionTypeEnum } from "./session-enums.js";

/**
 * A group session (a class, group therapy): one provider's time with `capacity` seats. Each seat
 * is an ordinary session of its client (sessions.group_session_id). The group occupies the
 * provider's time like a session: see provider_time_is_free() in drizzle/0011. Seats are counted
 * under the group's row lock by seats_within_capacity() (SESSION_FULL): the database decides the
 * last seat. Its status is not stored apart from its own cancellation: it follows its seats.
 */
export const groupSessions = pgTable(
  "group_sessions",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    title: text("title"),
    description: text("description"),
    type: sessionTypeEnum("type").notNull().default("GROUP"),
    modality: modalityEnum("modality").notNull().default("IN_PERSON"),
    location: text("location"),
    startsAt: instant("starts_at").notNull(),
    endsAt: instant("ends_at").notNull(),
    capacity: integer("capacity").notNull(),
    cancelledAt: instant("cancelled_at"),
    cancelledBy: integer("cancelled_by"),
    cancellationReason: text("cancellation_reason"),
    createdBy: integer("created_by"),
    ...timestamps(),
  },
  (t) => [
    unique("group_sessions_tenant_id_key").on(t.tenantId, t.id),
    index("group_sessions_provider_starts_idx").on(t.tenantId, t.providerId, t.startsAt),
    check("group_sessions_capacity_range", sql`${t.capacity} between 2 and 200`),
    check("group_sessions_ends_after_starts", sql`${t.endsAt} > ${t.startsAt}`),
    foreignKey({ name: "group_sessions_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }),
  ],
);

export type GroupSessionRow = typeof groupSessions.$inferSelect;
