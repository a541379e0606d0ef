import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, pgTable, text, unique } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";
import { tenantId, users } from "./tenants.js";
import { treatmentPlans } from "./treatment-plans.js";

/**
 * A series of sessions (a course): an RFC 5545 rule expanded in the provider's zone. Its
 * occurrences are ordinary sessions (sessions.series_id, sessions.occurrence_index); the series
 * keeps the rule, so what is booked and what the rule says can be compared and edited together.
 * Its status is not stored: it follows its occurrences.
 */
export const sessionSeries = pgTable(
  "session_series",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    clientId: integer("client_id").notNull(),
    treatmentPlanId: integer("treatment_plan_id"),
    /** The RRULE value, e.g. "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=12" (no "RRULE:" prefix, no DTSTART). */
    recurrence: text("recurrence").notNull(),
    /** The IANA zone whose wall-clock time the occurrences keep across DST. */
    timeZone: text("time_zone").notNull(),
    /** The first occurrence (DTSTART). */
    startsAt: instant("starts_at").notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    /** Original starts of occurrences taken out of the rule (EXDATE). */
    exceptions: instant("exceptions").array().notNull().default(sql`'{}'`),
    createdBy: integer("created_by"),
    ...timestamps(),
  },
  (t) => [
    unique("session_series_tenant_id_key").on(t.tenantId, t.id),
    index("session_series_provider_idx").on(t.tenantId, t.providerId),
    index("session_series_client_idx").on(t.tenantId, t.clientId),
    index("session_series_plan_idx").on(t.tenantId, t.treatmentPlanId),
    check("session_series_duration_positive", sql`${t.durationMinutes} > 0`),
    foreignKey({ name: "session_series_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "session_series_client_fk", columns: [t.tenantId, t.clientId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "session_series_plan_fk", columns: [t.tenantId, t.treatmentPlanId], foreignColumns: [treatmentPlans.tenantId, treatmentPlans.id] }),
  ],
);

export type SessionSeriesRow = typeof sessionSeries.$inferSelect;
