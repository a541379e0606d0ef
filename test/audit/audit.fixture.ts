import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.js";

/** Notes ending with this make the database refuse the row: an unexpected error (500) on demand. */
export const REFUSED = "[refused by the test database]";

/** A trigger on this test file's own database that fails inserts of sessions whose notes end with REFUSED. */
export async function refuseMarkedNotes(database: Database): Promise<void> {
  await database.db.execute(sql`create function refuse_marked_notes() returns trigger language plpgsql as $$
    begin raise exception 'refused by the test'; end $$`);
  await database.db.execute(
    sql.raw(`create trigger refuse_marked_notes before insert on sessions for each row
    when (new.notes like '%${REFUSED}') execute function refuse_marked_notes()`),
  );
}
