import { sql } from "drizzle-orm";
import { bigint, boolean, check, foreignKey, index, integer, jsonb, pgEnum, pgTable, text, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";
import { tenantId, users } from "./tenants.js";

export const webhookDeliveryStatusEnum = pgEnum("webhook_delivery_status", ["PENDING", "DELIVERED", "FAILED"]);

/**
 * A receiver of the tenant's committed events (Standard Webhooks). The secret signs every
 * delivery, so it is kept as given (whsec_ + base64) and shown to the admin only once.
 * active turns false when the endpoint fails repeatedly (disabled_at says when).
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: id(),
    tenantId: tenantId(),
    url: text("url").notNull(),
    /** Subscribed event types (session.booked, ...: the list in the schema outline). */
    events: text("events").array().notNull(),
    secret: text("secret").notNull(),
    active: boolean("active").notNull().default(true),
    /** Deliveries that ended FAILED in a row since the last success. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledAt: instant("disabled_at"),
    createdBy: integer("created_by"),
    ...timestamps(),
  },
  (t) => [
    unique("webhook_endpoints_tenant_id_key").on(t.tenantId, t.id),
    index("webhook_endpoints_tenant_idx").on(t.tenantId, t.active),
    check("webhook_endpoints_has_events", sql`cardinality(${t.events}) > 0`),
    foreignKey({ name: "webhook_endpoints_created_by_fk", columns: [t.tenantId, t.createdBy], foreignColumns: [users.tenantId, users.id] }),
  ],
);

/**
 * One event for one endpoint. The body is fixed when the delivery is created, so every retry
 * sends the same bytes under the same webhook-id (the event id). Not tied to domain_events by
 * a foreign key: the outbox's retention may prune the event while its delivery is still kept.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    tenantId: tenantId(),
    endpointId: integer("endpoint_id").notNull(),
    eventId: bigint("event_id", { mode: "number" }).notNull(),
    eventType: text("event_type").notNull(),
    payload: jsonb("payload").notNull().$type<Record<string, unknown>>(),
    status: webhookDeliveryStatusEnum("status").notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    /** Why the last attempt failed (a status line, a timeout, a refused address): never the receiver's body. */
    lastError: text("last_error"),
    nextAttemptAt: instant("next_attempt_at"),
    deliveredAt: instant("delivered_at"),
    ...timestamps(),
  },
  (t) => [
    unique("webhook_deliveries_tenant_id_key").on(t.tenantId, t.id),
    uniqueIndex("webhook_deliveries_endpoint_event_key").on(t.endpointId, t.eventId),
    index("webhook_deliveries_endpoint_idx").on(t.tenantId, t.endpointId, t.id),
    index("webhook_deliveries_pending_idx")
      .on(t.endpointId, t.eventId)
      .where(sql`${t.status} = 'PENDING'`),
    foreignKey({ name: "webhook_deliveries_endpoint_fk", columns: [t.tenantId, t.endpointId], foreignColumns: [webhookEndpoints.tenantId, webhookEndpoints.id] }).onDelete("cascade"),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatusEnum.enumValues)[number];
