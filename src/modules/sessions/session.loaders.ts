import DataLoader from "dataloader";
import { sessions, type SessionRow } from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";
import { anyId } from "../../db/any-id.js";
import { selectRows } from "../../db/rows.js";
import { listSessionsOfPlans, type SessionConnectionResult } from "./session.query.js";

export const sessionById: LoaderFactory<number, SessionRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) => byKey(ids, await ctx.db.run((tx) => selectRows(tx, sessions, anyId(sessions.id, ids))), (s) => s.id),
    { cache },
  );

/** One page request of a plan's sessions (TreatmentPlan.sessions). */
export interface PlanSessionsKey {
  planId: number;
  first?: number | null;
  after?: string | null;
}

/**
 * The sessions pages of every plan of a response in ONE statement per distinct (first, after)
 * (a window over each plan, see listSessionsOfPlans): a list of 100 plans with their sessions
 * is 1 statement, not 100.
 */
export const sessionsOfPlan: LoaderFactory<PlanSessionsKey, SessionConnectionResult> = (ctx, { cache }) =>
  new DataLoader(
    async (keys) => {
      const groups = new Map<string, { args: PlanSessionsKey; planIds: number[] }>();
      for (const key of keys) {
        const id = JSON.stringify([key.first ?? null, key.after ?? null]);
        const group = groups.get(id) ?? { args: key, planIds: [] };
        group.planIds.push(key.planId);
        groups.set(id, group);
      }
      const pages = new Map<string, SessionConnectionResult | Error>();
      for (const [id, { args, planIds }] of groups) {
        const ids = [...new Set(planIds)];
        try {
          const results = await listSessionsOfPlans(ctx, ids, args);
          ids.forEach((planId, i) => pages.set(JSON.stringify([planId, id]), results[i]));
        } catch (err) {
          // A bad cursor or an exhausted response budget fails the pages of this group only.
          for (const planId of ids) pages.set(JSON.stringify([planId, id]), err as Error);
        }
      }
      return keys.map((key) =>
        pages.get(JSON.stringify([key.planId, JSON.stringify([key.first ?? null, key.after ?? null])]))!,
      );
    },
    { cache, cacheKeyFn: (key) => JSON.stringify([key.planId, key.first ?? null, key.after ?? null]) },
  );
