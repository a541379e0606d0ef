import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { Database } from "../src/db/client.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data directory (tar) every test file starts from. */
    pgliteTemplate: string;
    /** With TEST_DATABASE_URL: a migrated template database each test file copies. */
    postgresTemplate: string;
  }
}

/** Migrate once per run; each test file then starts from a copy (PGlite dump or template database). */
export default async function setup(project: TestProject) {
  const pglite = await Database.open({ url: "memory://" });
  await pglite.migrate();
  const dump = await pglite.pglite!.dumpDataDir("none");
  const file = join(tmpdir(), `sessiongraph-template-${process.pid}.tar`);
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await pglite.close();
  project.provide("pgliteTemplate", file);

  const removeDump = () => rmSync(file, { force: true });
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    project.provide("postgresTemplate", "");
    return removeDump;
  }
  const prefix = `sg_${process.pid}_${randomBytes(3).toString("hex")}`;
  const template = `${prefix}_tpl`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${template}`);
  const db = await Database.open({ url: withDatabase(url, template) });
  await db.migrate();
  await db.close();
  project.provide("postgresTemplate", template);

  return async () => {
    const rows = await admin`select datname from pg_database where datname like ${prefix + "%"}`;
    for (const { datname } of rows) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    removeDump();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
