import DataLoader from "dataloader";
import { anyId } from "../../db/any-id.js";
import { sessionSeries, type SessionSeriesRow } from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";

/** Series by id, a batch in one statement (Session.series of a page of occurrences). */
export const seriesById: LoaderFactory<number, SessionSeriesRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => tx.select().from(sessionSeries).where(anyId(sessionSeries.id, ids))),
        (s) => s.id,
      ),
    { cache },
  );
