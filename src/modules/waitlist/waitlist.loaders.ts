import DataLoader from "dataloader";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../db/client.js";
import { anyId } from "../../db/any-id.js";
import { slotHolds, waitlistEntries, type SlotHoldRow, type WaitlistEntryRow } from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";

/** Entries by id, a batch in one statement. */
export const entryById: LoaderFactory<number, WaitlistEntryRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => tx.select().from(waitlistEntries).where(anyId(waitlistEntries.id, ids))),
        (e) => e.id,
      ),
    { cache },
  );

/** The offer (hold) of each entry, by entry id; undefined when it has none. */
export const holdByEntryId: LoaderFactory<number, SlotHoldRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => tx.select().from(slotHolds).where(anyId(slotHolds.waitlistEntryId, ids))),
        (h) => h.waitlistEntryId!,
      ),
    { cache },
  );

/**
 * Each WAITING entry's 1-based place among its provider's WAITING entries, first come first
 * served (created_at, id); undefined for an entry that is not WAITING. One statement per batch.
 */
export const positionByEntryId: LoaderFactory<number, number | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) => {
      const rows = rowsOf<{ id: number; position: number | string }>(
        await ctx.db.run((tx) =>
          tx.execute(sql`
            select e.id, (select count(*) from ${waitlistEntries} w
                           where w.provider_id = e.provider_id and w.status = 'WAITING'
                             and (w.created_at, w.id) <= (e.created_at, e.id)) as position
              from ${waitlistEntries} e
             where e.id = any(${sql.param([...ids])}::int[]) and e.status = 'WAITING'`),
        ),
      );
      return byKey(ids, rows, (r) => Number(r.id)).map((r) => (r ? Number(r.position) : undefined));
    },
    { cache },
  );
