import { sql, type SQL } from "drizzle-orm";
import type PgBoss from "pg-boss";
import { rowsOf, type Database, type Tx } from "../../db/client.js";

/**
 * pg-boss's own statements (fetching, completing, maintenance, queues) on the owner connection:
 * the same postgres.js pool as everything else on PostgreSQL (pg-boss's statements are short; one
 * pool per instance sized by DATABASE_POOL_MAX), PGlite's one connection when embedded, where
 * they queue behind a transaction under way rather than run inside it. Never call it from inside
 * a transaction on PGlite (it would wait for itself): jobs sent there go through transactionExecutor.
 */
export function databaseExecutor(database: Database): PgBoss.Db {
  return { executeSql: (text, values) => database.unsafe(text, (values ?? []).map(parameter)) };
}

/**
 * pg-boss's statements inside a caller's transaction (send(tx, ...)): the text's $n placeholders
 * become drizzle parameters, so the statement runs on that transaction's connection, under its
 * role, and commits or rolls back with it (and is counted like the transaction's other statements).
 */
export function transactionExecutor(tx: Tx): PgBoss.Db {
  return {
    async executeSql(text, values) {
      return { rows: rowsOf(await tx.execute(withParameters(text, values ?? []))) };
    },
  };
}

function withParameters(text: string, values: unknown[]): SQL {
  const chunks: SQL[] = [];
  let from = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sql.raw(text.slice(from, match.index)));
    chunks.push(sql`${parameter(values[Number(match[1]) - 1])}`);
    from = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(from)));
  return sql.join(chunks);
}

/**
 * A parameter as both drivers take it: pg-boss leaves unset options undefined (postgres.js
 * refuses undefined: null), and passes json arguments (job data, queue options) as objects,
 * which node-postgres would stringify and postgres.js does not: JSON text, which PGlite takes too.
 */
function parameter(value: unknown): unknown {
  if (value === undefined) return null;
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date))
    return JSON.stringify(value);
  return value;
}
