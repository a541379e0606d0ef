import { sql } from "drizzle-orm";
import { check, date, foreignKey, index, integer, pgTable, text, unique } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns.js";
import { tenantId, users } from "./tenants.js";

export const treatmentPlans = pgTable(
  "treatment_plans",
  {
    id: id(),
    tenantId: tenantId(),
    /** The legacy free-text client id, e.g. "CLIENT001"; matched to a client user (see client matching). */
    clientRef: text("client_ref"),
    clientName: text("client_name"),
    /** The client user, when given explicitly or resolved. */
    clientId: integer("client_id"),
    planType: text("plan_type"),
    title: text("title"),
    status: text("status").notNull().default("active"),
    startDate: date("start_date", { mode: "string" }),
    endDate: date("end_date", { mode: "string" }),
    /** How many sessions the payer authorized (null = unlimited); every session of the plan that is not CANCELLED counts. */
    authorizedSessions: integer("authorized_sessions"),
    /** No session of the plan may start after this date (in the provider's zone). */
    authorizedUntil: date("authorized_until", { mode: "string" }),
    createdBy: integer("created_by"),
    ...timestamps(),
  },
  (t) => [
    index("treatment_plans_tenant_idx").on(t.tenantId),
    unique("treatment_plans_tenant_id_key").on(t.tenantId, t.id),
    index("treatment_plans_client_idx").on(t.tenantId, t.clientId),
    check("treatment_plans_authorized_sessions_nonnegative", sql`${t.authorizedSessions} >= 0`),
    foreignKey({ name: "treatment_plans_client_fk", columns: [t.tenantId, t.clientId], foreignColumns: [users.tenantId, users.id] }),
  ],
);

export type TreatmentPlanRow = typeof treatmentPlans.$inferSelect;
