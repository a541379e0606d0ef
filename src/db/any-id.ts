import { Placeholder, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/**
 * `column = any($1::int[])`: the ids of a batch as one array parameter, so every batch size
 * shares one statement text (and one prepared statement), unlike `in ($1, $2, …)`.
 */
export function anyId(column: PgColumn, ids: readonly number[]): SQL {
  return sql`${column} = any(${sql.param([...ids])}::int[])`;
}

/**
 * `column = any($1::type[])` for a list of enum values (statuses, types, modalities): one
 * statement text whatever the list's length, as anyId for ids. `type` is the column's
 * PostgreSQL type (the enum's name), which the array parameter is cast to. The parameter itself
 * is text[]: a driver that looks up a parameter's type to encode it (PGlite) knows text[], not
 * an enum's array type, and would send the array as "A,B" (a malformed array literal).
 * `values` may be a placeholder (statements built once per shape, src/modules/sessions/session.planner.ts).
 */
export function anyOf<T extends string>(column: PgColumn, values: readonly T[] | Placeholder, type: string): SQL {
  return sql`${column} = any(${sql.param(values instanceof Placeholder ? values : [...values])}::text[]::${sql.raw(type)}[])`;
}

/** An ILIKE pattern matching `text` anywhere, its own %, _ and \\ taken literally. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, "\\$&")}%`;
