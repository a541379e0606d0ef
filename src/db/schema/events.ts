import { bigint, index, integer, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { instant } from "./columns.js";
import { tenantId } from "./tenants.js";

/**
 * The outbox: one row per domain event, written in the transaction that caused it.
 * The id is the cursor subscribers resume from.
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
    /** The session row as it was after the change (a deleted session can still be shown). */
    snapshot: jsonb("snapshot").$type<Record<string, unknown>>(),
    occurredAt: instant("occurred_at").notNull().defaultNow(),
  },
  (t) => [index("domain_events_tenant_idx").on(t.tenantId, t.id), index("domain_events_provider_idx").on(t.tenantId, t.providerId, t.id)],
);

export type DomainEventRow = typeof domainEvents.$inferSelect;
