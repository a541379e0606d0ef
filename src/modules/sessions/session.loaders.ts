import DataLoader from "dataloader";
import { sessions, type SessionRow } from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";
import { anyId } from "../../db/any-id.js";
import { selectRows } from "../../db/rows.js";

export const sessionById: LoaderFactory<number, SessionRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) => byKey(ids, await ctx.db.run((tx) => selectRows(tx, sessions, anyId(sessions.id, ids))), (s) => s.id),
    { cache },
  );
