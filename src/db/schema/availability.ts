import { sql } from "drizzle-orm";
import { boolean, check, date, foreignKey, index, integer, pgTable, smallint, text, time } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns.js";
import { tenantId, users } from "./tenants.js";

/** Weekly wall-clock availability in the provider's time zone. */
export const availabilityRules = pgTable(
  "availability_rules",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    dayOfWeek: smallint("day_of_week").notNull(),
    startTime: time("start_time").notNull(),
    endTime: time("end_time").notNull(),
    isAvailable: boolean("is_available").notNull().default(true),
    notes: text("notes"),
    ...timestamps(),
  },
  (t) => [
    index("availability_rules_tenant_idx").on(t.tenantId),
    index("availability_rules_provider_idx").on(t.tenantId, t.providerId, t.dayOfWeek),
    check("availability_rules_day_of_week", sql`${t.dayOfWeek} between 0 and 6`),
    check("availability_rules_start_before_end", sql`${t.startTime} < ${t.endTime}`),
    foreignKey({ name: "availability_rules_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
  ],
);

/**
 * One date that replaces the weekly rules: time off (is_available false; whole day when no
 * times are given) or extra hours (is_available true with times).
 */
export const availabilityOverrides = pgTable(
  "availability_overrides",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    date: date("date", { mode: "string" }).notNull(),
    startTime: time("start_time"),
    endTime: time("end_time"),
    isAvailable: boolean("is_available").notNull(),
    reason: text("reason"),
    ...timestamps(),
  },
  (t) => [
    index("availability_overrides_tenant_idx").on(t.tenantId),
    index("availability_overrides_provider_idx").on(t.tenantId, t.providerId, t.date),
    check("availability_overrides_times_paired", sql`(${t.startTime} is null) = (${t.endTime} is null)`),
    check("availability_overrides_start_before_end", sql`${t.startTime} is null or ${t.startTime} < ${t.endTime}`),
    check("availability_overrides_hours_need_times", sql`not ${t.isAvailable} or ${t.startTime} is not null`),
    foreignKey({ name: "availability_overrides_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
  ],
);

export type AvailabilityRuleRow = typeof availabilityRules.$inferSelect;
export type AvailabilityOverrideRow = typeof availabilityOverrides.$inferSelect;
