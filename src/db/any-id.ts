import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/**
 * `column = any($1::int[])`: the ids of a batch as one array parameter, so every batch size
 * shares one statement text (and one prepared statement), unlike `in ($1, $2, …)`.
 */
export function anyId(column: PgColumn, ids: readonly number[]): SQL {
  return sql`${column} = any(${sql.param([...ids])}::int[])`;
}
