import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { instant } from "./columns.js";
import { tenantId } from "./tenants.js";

export const AUDIT_OUTCOMES = ["success", "denied", "invalid", "not_found", "conflict", "error"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Who did what to which record, when, in which request, and how it ended: one row per write,
 * one per request that returned sessions' clinical text (entity_ids: every session read), one
 * per refused read. Append-only: the app role may only SELECT and INSERT,
 * and a trigger refuses UPDATE, DELETE and TRUNCATE to everyone (drizzle/0004_audit_log_append_only.sql).
 * actor_id has no foreign key: the record outlives the user.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantId(),
    actorId: integer("actor_id"),
    /** "bookSession" (GraphQL), "POST /api/v1/sessions" (REST), "read" (a session's notes). */
    action: text("action").notNull(),
    /** The record's GraphQL type: "Session", "TreatmentDetail", ... */
    entity: text("entity").notNull(),
    entityId: text("entity_id"),
    /** A read's records: every session whose notes, provider notes or feedback the request returned. */
    entityIds: text("entity_ids").array().notNull().default(sql`'{}'::text[]`),
    outcome: text("outcome").notNull().$type<AuditOutcome>(),
    requestId: text("request_id").notNull(),
    occurredAt: instant("occurred_at").notNull().defaultNow(),
  },
  (t) => [
    index("audit_log_entity_idx").on(t.tenantId, t.entity, t.entityId, t.id),
    // auditLog(entity, id) also finds the bulk reads that listed the record.
    index("audit_log_entity_ids_idx").using("gin", t.entityIds),
    check("audit_log_outcome_check", sql`${t.outcome} in (${sql.raw(AUDIT_OUTCOMES.map((o) => `'${o}'`).join(", "))})`),
  ],
);

export type AuditLogRow = typeof auditLog.$inferSelect;
