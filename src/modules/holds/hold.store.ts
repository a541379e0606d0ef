import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../../db/client.js";
import { domainEvents, slotHolds, type SlotHoldRow } from "../../db/schema/index.js";
import type { RequestContext } from "../context.js";
import { recordHoldEvent, type HoldChange } from "../events/index.js";

/**
 * The rows of holds and their events: the primitives every kind of hold is written with (a
 * checkout's holdSlot, a waitlist offer, a group seat kept for an offer). Whether a hold may be
 * placed is the database's to decide (provider_time_is_free(), seats_within_capacity() in
 * drizzle/0011): insertHold raises what they raise, for the caller to map (providerTimeConflict).
 */

import { isLiveHoldSql } from "../../rules/provider-time.js";

export { isLiveHoldSql };

export interface NewHold {
  providerId: number;
  clientId: number | null;
  startsAt: Date;
  endsAt: Date;
  /** From now, by the database's clock (the clock expiry is judged by). */
  ttlSeconds: number;
  waitlistEntryId?: number | null;
  groupSessionId?: number | null;
}

/** The queue of hold expiries: one job per hold, due at its expires_at, queued in the hold's own transaction. */
export const HOLD_EXPIRY_QUEUE = "hold-expiry";

/** Queues the hold's expiry in the transaction that writes it: due when it expires, run once. */
async function scheduleHoldExpiry(tx: Tx, ctx: RequestContext, hold: SlotHoldRow): Promise<void> {
  await ctx.deps.jobs.send(
    tx,
    HOLD_EXPIRY_QUEUE,
    { tenantId: ctx.tenant.id, holdId: hold.id },
    { startAfter: hold.expiresAt },
  );
}

/** Writes a hold, its PLACED event and its expiry job, in the caller's transaction. */
export async function insertHold(tx: Tx, ctx: RequestContext, hold: NewHold): Promise<SlotHoldRow> {
  const [row] = await tx
    .insert(slotHolds)
    .values({
      tenantId: ctx.tenant.id,
      providerId: hold.providerId,
      clientId: hold.clientId,
      startsAt: hold.startsAt,
      endsAt: hold.endsAt,
      expiresAt: sql`clock_timestamp() + make_interval(secs => ${hold.ttlSeconds})`,
      waitlistEntryId: hold.waitlistEntryId ?? null,
      groupSessionId: hold.groupSessionId ?? null,
      createdBy: ctx.viewer.id,
    })
    .returning();
  await recordHoldEvent(tx, ctx, row, "PLACED");
  await scheduleHoldExpiry(tx, ctx, row);
  return row;
}

/**
 * Deletes a hold and records why (released, consumed by a booking, expired), in the caller's
 * transaction. False when it was already gone (another request or instance removed it first):
 * then nothing is recorded, so each hold's end is announced once.
 */
export async function removeHold(
  tx: Tx,
  ctx: RequestContext,
  hold: SlotHoldRow,
  change: Exclude<HoldChange, "PLACED">,
): Promise<boolean> {
  const [gone] = await tx
    .delete(slotHolds)
    .where(and(eq(slotHolds.tenantId, ctx.tenant.id), eq(slotHolds.id, hold.id)))
    .returning();
  if (!gone) return false;
  await recordHoldEvent(tx, ctx, gone, change);
  return true;
}

/** A hold by id (as the caller's tenant sees it), and whether it is live by the database's clock. */
export async function findHold(tx: Tx, id: number): Promise<(SlotHoldRow & { live: boolean }) | undefined> {
  const [row] = await tx
    .select({ ...getTableColumns(slotHolds), live: sql<boolean>`${isLiveHoldSql()}` })
    .from(slotHolds)
    .where(eq(slotHolds.id, id));
  return row;
}

/**
 * Ends a hold on purpose (a booking consumes it, its holder releases it): `change` while it is
 * live, EXPIRED when its time had passed. Locked first, so its liveness is judged once, as a
 * write after it in the same savepoint will see it. Returns whether it was live, or undefined
 * when it is gone already (removed by another request, or by its expiry job).
 */
export async function endHold(
  tx: Tx,
  ctx: RequestContext,
  id: number,
  change: "CONSUMED" | "RELEASED",
): Promise<{ live: boolean } | undefined> {
  const [held] = await tx
    .select({ ...getTableColumns(slotHolds), live: sql<boolean>`${isLiveHoldSql()}` })
    .from(slotHolds)
    .where(and(eq(slotHolds.tenantId, ctx.tenant.id), eq(slotHolds.id, id)))
    .for("update");
  if (!held) return undefined;
  await removeHold(tx, ctx, held, held.live ? change : "EXPIRED");
  return { live: held.live };
}

/**
 * Whether a hold with this id was placed with this provider in the last day, though its row is
 * gone now (consumed, released, removed after its expiry): its PLACED event says so. Tells a hold
 * that ended apart from an id that never named one of the tenant's holds (NOT_FOUND). A day is
 * far past any hold's life (at most 15 minutes); the provider's events index bounds the read.
 */
export async function holdWasPlaced(tx: Tx, providerId: number, id: number): Promise<boolean> {
  const rows = rowsOf(
    await tx.execute(sql`
      select 1 from ${domainEvents}
       where provider_id = ${providerId} and occurred_at > now() - interval '1 day'
         and type = 'SLOT_HOLD_CHANGED' and payload->>'change' = 'PLACED' and payload->>'holdId' = ${String(id)}
       limit 1`),
  );
  return rows.length > 0;
}
