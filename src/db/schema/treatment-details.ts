import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, pgTable, text, unique } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";
import { tenantId, tenants } from "./tenants.js";
import { sessions } from "./sessions.js";

export const items = pgTable(
  "items",
  { id: id(), tenantId: tenantId(), name: text("name").notNull(), sku: text("sku"), ...timestamps() },
  (t) => [index("items_tenant_idx").on(t.tenantId), unique("items_tenant_id_key").on(t.tenantId, t.id), unique("items_tenant_sku_key").on(t.tenantId, t.sku)],
);

export const units = pgTable(
  "units",
  { id: id(), tenantId: tenantId(), name: text("name").notNull(), ...timestamps() },
  (t) => [index("units_tenant_idx").on(t.tenantId), unique("units_tenant_id_key").on(t.tenantId, t.id)],
);

/** Items used in a treatment (= a session). Soft-deleted rows stay but vanish from every read. */
export const treatmentDetails = pgTable(
  "treatment_details",
  {
    id: id(),
    // Not tenantId(): deleting a tenant must not cascade into clinical records either.
    tenantId: integer("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "restrict" }),
    sessionId: integer("session_id"),
    itemId: integer("item_id"),
    unitId: integer("unit_id"),
    quantity: integer("quantity").notNull(),
    createdBy: integer("created_by"),
    updatedBy: integer("updated_by"),
    deletedBy: integer("deleted_by"),
    deletedAt: instant("deleted_at"),
    ...timestamps(),
  },
  (t) => [
    index("treatment_details_tenant_idx").on(t.tenantId),
    index("treatment_details_session_idx").on(t.tenantId, t.sessionId),
    index("treatment_details_item_idx").on(t.tenantId, t.itemId),
    check("treatment_details_quantity_positive", sql`${t.quantity} > 0`),
    // Clinical records: deleting a session (or anything above it) never removes its details.
    foreignKey({ name: "treatment_details_session_fk", columns: [t.tenantId, t.sessionId], foreignColumns: [sessions.tenantId, sessions.id] }).onDelete("restrict"),
    foreignKey({ name: "treatment_details_item_fk", columns: [t.tenantId, t.itemId], foreignColumns: [items.tenantId, items.id] }),
    foreignKey({ name: "treatment_details_unit_fk", columns: [t.tenantId, t.unitId], foreignColumns: [units.tenantId, units.id] }),
  ],
);

export type ItemRow = typeof items.$inferSelect;
export type UnitRow = typeof units.$inferSelect;
export type TreatmentDetailRow = typeof treatmentDetails.$inferSelect;
