import { foreignKey, index, integer, pgEnum, pgTable, text, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";

export const tenants = pgTable("tenants", {
  id: id(),
  code: text("code").notNull().unique(),
  name: text("name").notNull(),
  timeZone: text("time_zone").notNull(),
  ...timestamps(),
});

/** The owning tenant: every tenant-owned table has one, indexed and guarded by row-level security. */
export const tenantId = () =>
  integer("tenant_id")
    .notNull()
    .references(() => tenants.id, { onDelete: "cascade" });

export const roleEnum = pgEnum("role", ["ADMIN", "PROVIDER", "CLIENT"]);

export const users = pgTable(
  "users",
  {
    id: id(),
    tenantId: tenantId(),
    role: roleEnum("role").notNull(),
    username: text("username").notNull(),
    name: text("name").notNull(),
    firstName: text("first_name"),
    lastName: text("last_name"),
    email: text("email"),
    phone: text("phone"),
    staffId: text("staff_id"),
    /** active | inactive | deleted; only active users can authenticate. */
    status: text("status").notNull().default("active"),
    timeZone: text("time_zone").notNull(),
    /** The identity provider's subject (JWT `sub`) when it is not our numeric id. */
    externalSubject: text("external_subject"),
    /** Slot settings for providers: minimum notice before a bookable start, and a gap kept around sessions. */
    minNoticeMinutes: integer("min_notice_minutes").notNull().default(0),
    bufferMinutes: integer("buffer_minutes").notNull().default(0),
    deletedAt: instant("deleted_at"),
    ...timestamps(),
  },
  (t) => [
    index("users_tenant_idx").on(t.tenantId),
    unique("users_tenant_id_key").on(t.tenantId, t.id),
    unique("users_tenant_username_key").on(t.tenantId, t.username),
    uniqueIndex("users_tenant_external_subject_key").on(t.tenantId, t.externalSubject),
    index("users_tenant_role_idx").on(t.tenantId, t.role),
  ],
);

/** A provider may work with a client: clients book only with their providers. */
export const careRelationships = pgTable(
  "care_relationships",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    clientId: integer("client_id").notNull(),
    createdAt: instant("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("care_relationships_tenant_idx").on(t.tenantId),
    unique("care_relationships_pair_key").on(t.tenantId, t.providerId, t.clientId),
    index("care_relationships_client_idx").on(t.tenantId, t.clientId),
    foreignKey({ name: "care_relationships_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
    foreignKey({ name: "care_relationships_client_fk", columns: [t.tenantId, t.clientId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
  ],
);

export type TenantRow = typeof tenants.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type Role = (typeof roleEnum.enumValues)[number];
