import DataLoader from "dataloader";
import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import {
  items,
  treatmentDetails,
  units,
  type ItemRow,
  type TreatmentDetailRow,
  type UnitRow,
} from "../../db/schema/index.js";
import { byKey, groupByKey, type LoaderFactory, type RequestContext } from "../context.js";
import { anyId } from "../../db/any-id.js";
import { rowsOf } from "../../db/client.js";
import { columnsAs, decodeRow } from "../../db/rows.js";
import { chargeRows } from "../response-budget.js";

export const itemById: LoaderFactory<number, ItemRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(ids, await ctx.db.run((tx) => tx.select().from(items).where(anyId(items.id, ids))), (r) => r.id),
    { cache },
  );

export const unitById: LoaderFactory<number, UnitRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(ids, await ctx.db.run((tx) => tx.select().from(units).where(anyId(units.id, ids))), (r) => r.id),
    { cache },
  );

/**
 * The one rule of which details exist for reads: not soft-deleted. Every read of details (these
 * loaders, the sessions planner's statement) filters by it.
 */
export const liveDetailsWhere = (): SQL => isNull(treatmentDetails.deletedAt);

/** Non-deleted details by id: a soft-deleted detail does not exist for any read. */
export const treatmentDetailById: LoaderFactory<number, TreatmentDetailRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) =>
          tx
            .select()
            .from(treatmentDetails)
            .where(and(anyId(treatmentDetails.id, ids), liveDetailsWhere())),
        ),
        (r) => r.id,
      ),
    { cache },
  );

/** The non-deleted details of many sessions, with their items and units, in one statement. */
export const treatmentDetailsBySession: LoaderFactory<number, TreatmentDetailRow[]> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      groupByKey(ids, await selectDetails(ctx, anyId(treatmentDetails.sessionId, ids)), (r) => r.sessionId!),
    { cache },
  );

/**
 * Non-deleted details matching `where`, in creation order, in ONE statement that also joins their
 * item and unit: those prime itemById/unitById, so TreatmentDetail.item/.unit cost nothing more.
 * A hot read (every session's lines, every list of details): decoded plain SQL (db/rows.ts);
 * the module's other reads and writes use the query builder.
 */
export async function selectDetails(ctx: RequestContext, where: SQL | undefined): Promise<TreatmentDetailRow[]> {
  const rows = await ctx.db.run(async (tx) =>
    rowsOf<Record<string, unknown>>(
      await tx.execute(sql`
        select ${treatmentDetails}.*, ${columnsAs(items, "item.")}, ${columnsAs(units, "unit.")} from ${treatmentDetails}
        left join ${items} on ${eq(items.id, treatmentDetails.itemId)}
        left join ${units} on ${eq(units.id, treatmentDetails.unitId)}
        where ${and(liveDetailsWhere(), where)}
        order by ${treatmentDetails.id}`),
    ),
  );
  chargeRows(ctx, rows);
  const itemLoader = ctx.loaders.get(itemById);
  const unitLoader = ctx.loaders.get(unitById);
  return rows.map((raw) => {
    // A left join without a match: every column of the item (unit) is null.
    if (raw["item.id"] !== null) {
      const item = decodeRow(items, raw, "item.");
      itemLoader.prime(item.id, item);
    }
    if (raw["unit.id"] !== null) {
      const unit = decodeRow(units, raw, "unit.");
      unitLoader.prime(unit.id, unit);
    }
    return decodeRow(treatmentDetails, raw);
  });
}
