import { and, asc, eq, sql } from "drizzle-orm";
import { rowsOf } from "../../db/client.js";
import { slotHolds, tenants, users } from "../../db/schema/index.js";
import { backgroundContext } from "../../http/request-context.js";
import type { AppDeps } from "../context.js";
import { lockTenantEvents } from "../events/index.js";
import { HOLD_EXPIRY_QUEUE, removeHold } from "./hold.store.js";

/** Expired holds one run removes per transaction (the rest: the next hold's job, or a retry). */
const BATCH = 500;

/** Declares the queue and handles its jobs on this instance (createApp). */
export async function startHoldExpiry(deps: AppDeps): Promise<void> {
  await deps.jobs.defineQueue(HOLD_EXPIRY_QUEUE, { retryLimit: 8, retryDelay: 1, retryBackoff: true });
  await deps.jobs.work<{ tenantId: number }>(HOLD_EXPIRY_QUEUE, async ({ tenantId }) => {
    await expireHolds(deps, tenantId);
  });
}

/**
 * Removes a tenant's expired holds and announces each expiry (SLOT_HOLD_CHANGED, EXPIRED), so
 * slotsChanged shows the freed time when the hold ends and the waitlist hears of it (a trigger on
 * the delete; a lapsed waitlist offer is settled from there). Not what frees the time: an expired
 * hold blocks nothing from the moment it expires (the database's rule, drizzle/0011); this is
 * the cleanup and its announcement.
 *
 * Run by a hold's expiry job (each job once across instances), it removes every hold of the
 * tenant that has expired by then, in a background context of the tenant, behind the tenant's
 * write lock (taken first, as every writer of provider time takes it) and FOR UPDATE SKIP
 * LOCKED. removeHold records an event only for a row its own delete removed, so each hold's
 * expiry is announced exactly once however many runs meet. Returns how many it removed.
 */
export async function expireHolds(deps: AppDeps, tenantId: number): Promise<number> {
  const database = deps.database;
  // The provider of a hold acts for its expiry: a user of that tenant (a foreign key), whose freed time it is.
  const [due] = rowsOf<{ provider_id: number }>(
    await database.db.execute(sql`
      select provider_id from ${slotHolds}
       where tenant_id = ${tenantId} and expires_at <= clock_timestamp() order by expires_at limit 1`),
  );
  if (!due) return 0;
  const [tenant] = await database.db.select().from(tenants).where(eq(tenants.id, tenantId));
  const [actor] = await database.withTenant(tenantId, (tx) =>
    tx
      .select()
      .from(users)
      .where(eq(users.id, Number(due.provider_id))),
  );
  if (!tenant || !actor) return 0;
  const ctx = backgroundContext(deps, tenant, actor);
  let commit = false;
  try {
    await ctx.db.run((tx) => lockTenantEvents(tx, tenantId));
    const removed = await ctx.db.run(async (tx) => {
      const expired = await tx
        .select()
        .from(slotHolds)
        .where(and(eq(slotHolds.tenantId, tenantId), sql`${slotHolds.expiresAt} <= clock_timestamp()`))
        .orderBy(asc(slotHolds.id))
        .limit(BATCH)
        .for("update", { skipLocked: true });
      let count = 0;
      for (const hold of expired) if (await removeHold(tx, ctx, hold, "EXPIRED")) count++;
      return count;
    });
    commit = true;
    return removed;
  } finally {
    await ctx.db.finish(commit);
  }
}
