import { and, eq, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { slotHolds, type SlotHoldRow } from "../../db/schema/index.js";
import type { RequestContext } from "../context.js";
import { recordHoldEvent, type HoldChange } from "../events/index.js";

/**
 * The rows of holds and their events: the primitives every kind of hold is written with (a
 * checkout's holdSlot, a waitlist offer, a group seat kept for an offer). Whether a hold may be
 * placed is the database's to decide (provider_time_is_free(), seats_within_capacity() in
 * drizzle/0011): insertHold raises what they raise, for the caller to map (providerTimeConflict).
 */

/** A hold is live while its expiry is ahead of the database's clock: the rule the triggers apply, as a condition. */
export const isLiveHoldSql = () => sql`${slotHolds.expiresAt} > clock_timestamp()`;

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

/** Writes a hold and its PLACED event, in the caller's transaction. */
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
