import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { MIGRATIONS_FOLDER, rowsOf, type Database } from "./client.js";

const expected = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as { entries: unknown[] }
).entries.length;

/** Whether every migration in drizzle/ has been applied (for /readyz). */
export async function migrationsApplied(
  database: Database,
): Promise<{ ok: boolean; applied: number; expected: number }> {
  const [row] = rowsOf<{ n: number | string }>(
    await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
  );
  const applied = Number(row?.n ?? 0);
  return { ok: applied >= expected, applied, expected };
}
