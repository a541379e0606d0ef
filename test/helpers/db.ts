import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { inject } from "vitest";
import { Database } from "../../src/db/client.js";
import { withDatabase } from "../global-setup.js";

export const engine = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

/**
 * A fresh, migrated database for one test file: a copy of the run's template, on PGlite by
 * default or on the real server named by TEST_DATABASE_URL. Returns its URL too, so a test can
 * start a second server instance on the same PostgreSQL database.
 */
export async function openTestDatabase(): Promise<{ database: Database; url?: string }> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const template = readFileSync(inject("pgliteTemplate"));
    return { database: await Database.open({ url: "memory://", loadDataDir: new Blob([template]) }) };
  }
  const template = inject("postgresTemplate");
  const name = `${template.replace(/_tpl$/, "")}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const dbUrl = withDatabase(url, name);
  return { database: await Database.open({ url: dbUrl, poolMax: 20 }), url: dbUrl };
}

/** The statement texts a database was sent while fn ran, with fn's result. */
export async function captureStatements<T>(
  database: Database,
  fn: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  database.statementTexts = statements;
  try {
    return { result: await fn(), statements };
  } finally {
    database.statementTexts = undefined;
  }
}
