import { sql } from "drizzle-orm";
import { integer, pgSequence, timestamp } from "drizzle-orm/pg-core";

/**
 * One sequence numbers every entity, so an integer id names exactly one record of one type:
 * GraphQL, the REST shims and node(id) all use the same plain integer ids.
 */
export const entityIdSeq = pgSequence("entity_id_seq", { startWith: 1, increment: 1 });

/** Integer primary key drawn from entity_id_seq. */
export const id = () => integer("id").primaryKey().default(sql`nextval('entity_id_seq')`);

export const timestamps = () => ({
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
