import { getTableName, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowsOf, type Database } from "../../src/db/client.js";
import { columnsAs, decodeRow, selectRows } from "../../src/db/rows.js";
import * as schema from "../../src/db/schema/index.js";
import { seedDemo } from "../../src/seed.js";
import { engine, openTestDatabase } from "../helpers/db.js";

let database: Database;
let tenantId: number;

beforeAll(async () => {
  database = (await openTestDatabase()).database;
  tenantId = (await seedDemo(database, new Date("2030-01-07T12:00:00Z"))).tenant.id;
});
afterAll(() => database.close());

describe(`decodeRow (${engine})`, () => {
  it("decodes every table's rows, alone or prefixed as a joined table, exactly as drizzle's select does (dates, timestamps, enums, nulls, JSON)", async () => {
    const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));
    const compared: Record<string, number> = {};
    await database.withTenant(tenantId, async (tx) => {
      for (const table of tables) {
        const viaDrizzle = await tx.select().from(table);
        const decoded = await selectRows(tx, table, undefined);
        expect(decoded, getTableName(table)).toEqual(viaDrizzle);
        // The same columns under a prefix, as a joined table's (columnsAs).
        const prefixed = rowsOf<Record<string, unknown>>(
          await tx.execute(sql`select ${columnsAs(table, "joined.")} from ${table}`),
        );
        expect(
          prefixed.map((raw) => decodeRow(table, raw, "joined.")),
          `${getTableName(table)} prefixed`,
        ).toEqual(viaDrizzle);
        compared[getTableName(table)] = decoded.length;
      }
    });
    expect(tables.length).toBeGreaterThanOrEqual(10);
    for (const name of [
      "users",
      "sessions",
      "treatment_plans",
      "treatment_details",
      "items",
      "units",
      "availability_rules",
    ])
      expect(compared[name], name).toBeGreaterThan(0);
  });
});
