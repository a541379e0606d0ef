import { Field, InterfaceType } from "type-graphql";
import { RecordId } from "./ids.js";
import { sql } from "drizzle-orm";
import { rowsOf } from "../db/client.js";
import { recordDeniedRead } from "../modules/audit/index.js";
import type { RequestContext } from "../modules/context.js";
import { isRecordId } from "../bounds.js";

/** Relay object identification. Ids are plain integers unique across all entities (entity_id_seq). */
@InterfaceType("Node", { resolveType: (value: { __typename?: string }) => value.__typename })
export abstract class Node {
  @Field(() => RecordId)
  id!: number;
}

type NodeFetcher = (ctx: RequestContext, id: number) => Promise<object | null | undefined>;

/** The table behind each Node type, and how the module that owns it loads one (with its permissions). */
const nodeTypes = new Map<string, { table: string; fetch: NodeFetcher }>();

export function registerNodeType(typename: string, table: string, fetch: NodeFetcher): void {
  nodeTypes.set(typename, { table, fetch });
}

export async function fetchNode(ctx: RequestContext, id: number): Promise<object | null> {
  // A number past our ids names nothing, and compared with an int4 column it would fail the statement.
  if (!nodeTypes.size || !isRecordId(id)) return null;
  const union = sql.join(
    [...nodeTypes].map(
      ([typename, { table }]) =>
        sql`select ${typename}::text as typename from ${sql.identifier(table)} where id = ${id}`,
    ),
    sql` union all `,
  );
  const [row] = rowsOf<{ typename: string }>(await ctx.db.run((tx) => tx.execute(sql`${union} limit 1`)));
  if (!row) return null;
  const found = await nodeTypes
    .get(row.typename)!
    .fetch(ctx, id)
    .catch((err: { code?: string }) => {
      // The record exists (the union found it): refusing it to this caller is a denied read.
      if (err?.code === "NOT_FOUND" || err?.code === "FORBIDDEN") {
        recordDeniedRead(ctx, row.typename, id);
        return null;
      }
      throw err;
    });
  return found ? { ...found, __typename: row.typename } : null;
}
