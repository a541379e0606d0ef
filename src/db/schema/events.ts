import { bigint, index, integer, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { instant } from "./columns.js";
import { tenantId } from "./tenants.js";

/**
 * The outbox: one row per domain event, written in the transaction that caused it.
 * The id is the cursor subscribers resume from. It holds what delivery needs (ids, times,
 * status, type, people), never clinical text: subscribers read the record's current state
 * when they deliver, so an old version of a note cannot be replayed from here.
 * Rows older than EVENT_RETENTION_DAYS are pruned by the server (EventDispatcher.prune).
 */
export const domainEvents = pgTable(
  "domain_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantId(),
    type: text("type").notNull(),
    sessionId: integer("session_id"),
    providerId: integer("provider_id"),
    clientId: integer("client_id"),
    payload: jsonb("payload").notNull().$type<Record<string, unknown>>(),
    occurredAt: instant("occurred_at").notNull().defaultNow(),
  },
  (t) => [index("domain_events_tenant_idx").on(t.tenantId, t.id), index("domain_events_provider_idx").on(t.tenantId, t.providerId, t.id), index("domain_events_occurred_idx").on(t.tenantId, t.occurredAt)],
);

export type DomainEventRow = typeof domainEvents.$inferSelect;

/**
 * How far each background consumer of committed events (webhook fan-out, reminders, ...) has
 * read a tenant's outbox. A consumer advances its cursor in the same transaction as the writes
 * it makes for those events, so each event is consumed exactly once, in order, across restarts
 * and instances. A tenant's events commit in id order (the tenant event lock), so a cursor never
 * skips an event that commits later.
 */
export const eventConsumerCursors = pgTable(
  "event_consumer_cursors",
  {
    consumer: text("consumer").notNull(),
    tenantId: tenantId(),
    lastEventId: bigint("last_event_id", { mode: "number" }).notNull(),
    updatedAt: instant("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.tenantId] })],
);
