import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyId } from "../../src/db/any-id.js";
import { Database, rowsOf } from "../../src/db/client.js";
import { sessions, users } from "../../src/db/schema/index.js";
import { engine, openTestDatabase } from "../helpers/db.js";

// On PostgreSQL every statement with parameters is a named prepared statement (src/db/prepared.ts).
let database: Database;
let onOneConnection: Database;

beforeAll(async () => {
  const opened = await openTestDatabase();
  database = opened.database;
  if (opened.url) onOneConnection = await Database.open({ url: opened.url, poolMax: 1 });
});
afterAll(async () => {
  await onOneConnection?.close();
  await database.close();
});

describe.skipIf(engine !== "postgres")("prepared statements (postgres)", () => {
  const preparedTexts = async (db: Database) =>
    rowsOf<{ statement: string }>(await db.db.execute(sql`select statement from pg_prepared_statements`)).map(
      (r) => r.statement,
    );

  it("a statement with parameters is prepared once on its connection and reused for every batch size; one without parameters is not kept; transactions and savepoints alike", async () => {
    for (const ids of [[1], [1, 2, 3], Array.from({ length: 50 }, (_, i) => i + 1)]) {
      await onOneConnection.db.select({ id: users.id }).from(users).where(anyId(users.id, ids));
      await onOneConnection.db.transaction((tx) => tx.select({ id: users.id }).from(users).where(anyId(users.id, ids)));
    }
    // Inside a savepoint too (a statement only sent there).
    await onOneConnection.db.transaction((tx) =>
      tx.transaction((sp) =>
        sp
          .select({ id: sessions.id })
          .from(sessions)
          .where(anyId(sessions.id, [1])),
      ),
    );
    const texts = await preparedTexts(onOneConnection);
    expect(texts.filter((text) => text.includes('"users"') && text.includes("= any($1::int[])"))).toHaveLength(1);
    expect(texts.filter((text) => text.includes('"sessions"') && text.includes("= any($1::int[])"))).toHaveLength(1);
    expect(texts.some((text) => text.includes("pg_prepared_statements"))).toBe(false);
  });
});
