import DataLoader from "dataloader";
import { users, type UserRow } from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";
import { anyId } from "../../db/any-id.js";
import { selectRows } from "../../db/rows.js";

/** Users by id, one statement per batch (providers and clients of a page together); a hot read, so decoded plain SQL (db/rows.ts). */
export const userById: LoaderFactory<number, UserRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) => byKey(ids, await ctx.db.run((tx) => selectRows(tx, users, anyId(users.id, ids))), (u) => u.id),
    { cache },
  );
