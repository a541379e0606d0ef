import { sql } from "drizzle-orm";
import { rowsOf } from "../../src/db/client.js";
import type { TestApp } from "../helpers/app.js";

/** A table the tests' job handlers write their side effects into (one row per run), made by the owner. */
export async function makeEffects(t: TestApp, table = "job_effects"): Promise<void> {
  await t.database.db.execute(
    sql.raw(`create table if not exists ${table} (id serial primary key, queue text not null, key text not null,
      retry_count int not null default 0, instance text, at timestamptz not null default clock_timestamp())`),
  );
}

export async function effects(t: TestApp, queue: string, table = "job_effects") {
  return rowsOf<{ key: string; retry_count: number; instance: string | null; at: Date | string }>(
    await t.database.db.execute(
      sql`select key, retry_count, instance, at from ${sql.raw(table)} where queue = ${queue} order by id`,
    ),
  );
}

export async function recordEffect(
  t: TestApp,
  queue: string,
  key: string,
  retryCount = 0,
  instance: string | null = null,
  table = "job_effects",
): Promise<void> {
  await t.database.db.execute(
    sql`insert into ${sql.raw(table)} (queue, key, retry_count, instance) values (${queue}, ${key}, ${retryCount}, ${instance})`,
  );
}

/** Jobs of a queue in pg-boss's table (any state), oldest first. */
export async function jobsOf(t: TestApp, queue: string) {
  return rowsOf<{ id: string; state: string; data: Record<string, unknown>; retry_count: number; start_after: Date }>(
    await t.database.db.execute(
      sql`select id, state, data, retry_count, start_after from pgboss.job where name = ${queue} order by created_on, id`,
    ),
  );
}
