/** The bench database: dropped, re-created, migrated and loaded (or kept when it holds the same dataset). */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { Database, MIGRATIONS_FOLDER } from "../../src/db/client.js";
import { loadDataset, type RowCounts } from "./dataset.js";
import type { DatasetOptions } from "./options.js";

export const BENCH_DATABASE = "sessiongraph_bench";

export interface PreparedDatabase {
  url: string;
  /** undefined when an existing database was kept. */
  load?: { migrateSeconds: number; loadSeconds: number; counts: RowCounts };
}

/** The URL of the bench database on the server serverUrl names. */
function benchDatabaseUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

export async function prepareDatabase(
  serverUrl: string,
  dataset: DatasetOptions,
  keep: boolean,
): Promise<PreparedDatabase> {
  const url = benchDatabaseUrl(serverUrl);
  const fingerprint = JSON.stringify({ dataset, migrations: migrationsDigest() });
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    if (keep) {
      const [row] = await admin<
        { comment: string | null }[]
      >`select shobj_description(oid, 'pg_database') as comment from pg_database where datname = ${BENCH_DATABASE}`;
      if (row?.comment === fingerprint) return { url };
    }
    const started = performance.now();
    await admin.unsafe(`drop database if exists ${BENCH_DATABASE} with (force)`);
    await admin.unsafe(`create database ${BENCH_DATABASE}`);
    const database = await Database.open({ url, poolMax: 1 });
    await database.migrate();
    await database.close();
    const migrated = performance.now();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    let counts: RowCounts;
    try {
      counts = await loadDataset(sql, dataset);
    } finally {
      await sql.end();
    }
    await admin.unsafe(`comment on database ${BENCH_DATABASE} is ${quote(fingerprint)}`);
    return {
      url,
      load: { migrateSeconds: (migrated - started) / 1000, loadSeconds: (performance.now() - migrated) / 1000, counts },
    };
  } finally {
    await admin.end();
  }
}

/** The migrations' contents: a kept database must have been migrated by the same files. */
function migrationsDigest(): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(MIGRATIONS_FOLDER)
    .filter((f) => f.endsWith(".sql"))
    .sort())
    hash.update(file).update(readFileSync(join(MIGRATIONS_FOLDER, file)));
  return hash.digest("hex").slice(0, 16);
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
