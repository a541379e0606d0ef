import { sql } from "drizzle-orm";
import { foreignKey, index, integer, pgTable, text, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { id, instant } from "./columns.js";
import { tenantId, users } from "./tenants.js";

/**
 * A user's secret calendar feed URL. Only the SHA-256 of its random token is kept, so the
 * table cannot give a URL away; rotating revokes the current row and creates another.
 */
export const calendarFeeds = pgTable(
  "calendar_feeds",
  {
    id: id(),
    tenantId: tenantId(),
    userId: integer("user_id").notNull(),
    /** hex SHA-256 of the token in the URL. */
    tokenHash: text("token_hash").notNull(),
    createdBy: integer("created_by"),
    createdAt: instant("created_at").notNull().defaultNow(),
    revokedAt: instant("revoked_at"),
  },
  (t) => [
    unique("calendar_feeds_tenant_id_key").on(t.tenantId, t.id),
    uniqueIndex("calendar_feeds_token_hash_key").on(t.tokenHash),
    // One live URL per user: rotate revokes it before the next is created.
    uniqueIndex("calendar_feeds_live_user_key")
      .on(t.tenantId, t.userId)
      .where(sql`${t.revokedAt} is null`),
    index("calendar_feeds_user_idx").on(t.tenantId, t.userId),
    foreignKey({ name: "calendar_feeds_user_fk", columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
  ],
);

export type CalendarFeedRow = typeof calendarFeeds.$inferSelect;
