import { getTableColumns, sql, type SQL, type Table } from "drizzle-orm";
import { rowsOf, type Queryable } from "./client.js";

type RawRow = Record<string, unknown>;
type Decode = (raw: RawRow) => Record<string, unknown>;

const decoders = new WeakMap<Table, Decode>();

/**
 * A table's row from a raw result row keyed by column name (`select *`), decoded by each column
 * exactly as drizzle's select decodes it. Drizzle's own mapping re-checks every cell's column
 * kind on every row; here that is worked out once per table. Used by the reads that return many
 * rows per request (pages, id batches).
 */
export function decodeRow<T extends Table>(table: T, raw: RawRow): T["$inferSelect"] {
  let decode = decoders.get(table);
  if (!decode) {
    const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: column.name, column }));
    decode = (row) => {
      const out: Record<string, unknown> = {};
      for (const { key, name, column } of columns) {
        const value = row[name];
        out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return out;
    };
    decoders.set(table, decode);
  }
  return decode(raw) as T["$inferSelect"];
}

/** `select * from table where …` as decoded rows (see decodeRow). */
export async function selectRows<T extends Table>(tx: Queryable, table: T, where: SQL | undefined): Promise<T["$inferSelect"][]> {
  const raw = rowsOf<RawRow>(await tx.execute(sql`select * from ${table}${where ? sql` where ${where}` : sql``}`));
  return raw.map((row) => decodeRow(table, row));
}
