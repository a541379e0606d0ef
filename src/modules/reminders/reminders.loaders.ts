import DataLoader from "dataloader";
import { asc } from "drizzle-orm";
import { anyId } from "../../db/any-id.js";
import { reminders, type ReminderRow } from "../../db/schema/index.js";
import { groupByKey, type LoaderFactory } from "../context.js";

/** The reminders of a batch of sessions (the caller already sees the sessions), in one statement. */
export const remindersBySession: LoaderFactory<number, ReminderRow[]> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      groupByKey(
        ids,
        await ctx.db.run((tx) =>
          tx
            .select()
            .from(reminders)
            .where(anyId(reminders.sessionId, ids))
            .orderBy(asc(reminders.dueAt), asc(reminders.channel)),
        ),
        (r) => r.sessionId,
      ),
    { cache },
  );
