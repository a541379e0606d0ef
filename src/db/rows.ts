import { getTableColumns, getTableName, sql, type SQL, type Table } from "drizzle-orm";
import { rowsOf, type Queryable } from "./client.js";

type RawRow = Record<string, unknown>;
type Decode = (raw: RawRow) => Record<string, unknown>;

const decoders = new WeakMap<Table, Map<string, Decode>>();

/**
 * A table's row from a raw result row keyed by column name (`select *`, or `prefix` + column
 * name for a joined table, see columnsAs), decoded by each column exactly as drizzle's select
 * decodes it. Drizzle's own mapping re-checks every cell's column kind on every row; here that is
 * worked out once per table. Used by the reads that return many rows per request.
 */
export function decodeRow<T extends Table>(table: T, raw: RawRow, prefix = ""): T["$inferSelect"] {
  let byPrefix = decoders.get(table);
  if (!byPrefix) decoders.set(table, (byPrefix = new Map()));
  let decode = byPrefix.get(prefix);
  if (!decode) {
    const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
      key,
      name: prefix + column.name,
      column,
    }));
    decode = (row) => {
      const out: Record<string, unknown> = {};
      for (const { key, name, column } of columns) {
        const value = row[name];
        out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return out;
    };
    byPrefix.set(prefix, decode);
  }
  return decode(raw) as T["$inferSelect"];
}

/** A joined table's columns named `prefix` + column name, for decodeRow(table, raw, prefix). */
export function columnsAs(table: Table, prefix: string): SQL {
  const name = getTableName(table);
  return sql.raw(
    Object.values(getTableColumns(table))
      .map((c) => `"${name}"."${c.name}" as "${prefix}${c.name}"`)
      .join(", "),
  );
}

/** `select * from table where … <tail>` (tail: order by, limit) as decoded rows (see decodeRow). */
export async function selectRows<T extends Table>(
  tx: Queryable,
  table: T,
  where: SQL | undefined,
  tail?: SQL,
): Promise<T["$inferSelect"][]> {
  const raw = rowsOf<RawRow>(
    await tx.execute(sql`select * from ${table}${where ? sql` where ${where}` : sql``}${tail ? sql` ${tail}` : sql``}`),
  );
  return raw.map((row) => decodeRow(table, row));
}
