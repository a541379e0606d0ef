import { and, asc, eq, sql } from "drizzle-orm";
import { rowsOf } from "../../db/client.js";
import { slotHolds, tenants, users } from "../../db/schema/index.js";
import { backgroundContext } from "../../http/request-context.js";
import type { AppDeps } from "../context.js";
import { lockTenantEvents } from "../events/index.js";
import { removeHold } from "./hold.store.js";

/** Expired holds one tenant's sweep removes per transaction (the rest wait for the next sweep). */
const BATCH = 500;

/**
 * Removes expired holds and announces each expiry (SLOT_HOLD_CHANGED, EXPIRED), so slotsChanged
 * shows the freed time within a sweep interval and the waitlist hears of it (a trigger on the
 * delete). Not what frees the time: an expired hold blocks nothing from the moment it expires
 * (the database's rule, drizzle/0011); this is the eventual cleanup and its announcement.
 *
 * Every instance runs one. The tenants with expired holds are found on the owner connection
 * (slot_holds is not FORCE RLS: the owner sees every tenant); each tenant's holds are then
 * removed in a background context of that tenant, behind the tenant's write lock (taken first,
 * as every writer of provider time takes it) and FOR UPDATE SKIP LOCKED. removeHold records an
 * event only for a row its own delete removed, so each hold's expiry is announced exactly once
 * however many instances sweep at the same moment.
 */
export class HoldSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly deps: AppDeps,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Sweeps every intervalMs (0: never), one sweep at a time. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .then(() => undefined, this.onError)
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep over every tenant; returns how many holds this call removed. */
  async sweep(): Promise<number> {
    // The provider of a hold acts for its expiry: a user of that tenant (a foreign key), whose freed time it is.
    const due = rowsOf<{ tenant_id: number; provider_id: number }>(
      await this.deps.database.db.execute(sql`
        select distinct on (tenant_id) tenant_id, provider_id from ${slotHolds}
         where expires_at <= clock_timestamp() order by tenant_id, expires_at`),
    );
    let removed = 0;
    for (const row of due) removed += await this.sweepTenant(Number(row.tenant_id), Number(row.provider_id));
    return removed;
  }

  private async sweepTenant(tenantId: number, actorId: number): Promise<number> {
    const database = this.deps.database;
    const [tenant] = await database.db.select().from(tenants).where(eq(tenants.id, tenantId));
    const [actor] = await database.withTenant(tenantId, (tx) => tx.select().from(users).where(eq(users.id, actorId)));
    if (!tenant || !actor) return 0;
    const ctx = backgroundContext(this.deps, tenant, actor);
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
}
