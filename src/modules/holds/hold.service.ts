import type { SlotHoldRow } from "../../db/schema/index.js";
import { pgErrorOf } from "../../db/client.js";
import { badInput, field, forbidden, hiddenFromCaller, noun, notFound, words } from "../../errors.js";
import { providerTimeConflict } from "../../rules/provider-time.js";
import { assertBookableForClient } from "../availability/index.js";
import type { RequestContext } from "../context.js";
import { lockTenantEvents } from "../events/index.js";
import { checkProviderTimeFree, providerSessionConflict, resolveTimes } from "../sessions/index.js";
import { getUserWithRole, hasCareRelationship } from "../tenants/index.js";
import { endHold, findHold, insertHold } from "./hold.store.js";

/**
 * Holds placed by people (holdSlot): a checkout keeping a slot for a few minutes. Who may hold
 * is decided here; whether the time is free is the database's (provider_time_is_free() in
 * drizzle/0011, under the tenant's write lock), so two holds, or a hold and a booking, racing
 * for the same time give exactly one winner. A hold's expiry is judged by the database's clock.
 */

export const MIN_TTL_SECONDS = 30;
export const MAX_TTL_SECONDS = 900;
export const DEFAULT_TTL_SECONDS = 300;

export interface HoldSlotCommand {
  providerId: number;
  /** Whom the slot is kept for: a CLIENT's own hold is always for themself. */
  clientId?: number | null;
  startsAt: Date;
  durationMinutes: number;
  ttlSeconds?: number | null;
}

const NOT_IN_CARE = words`You don't have permission to hold time for this ${noun("client")}`;

/**
 * Keeps [startsAt, startsAt + durationMinutes) of the provider for ttlSeconds (30..900, default
 * 300) from now by the database's clock:
 * - a CLIENT for themself, with a provider they are in care with, where they could book it
 *   (availability, minimum notice, buffer: assertBookableForClient);
 * - a PROVIDER their own time, any time, optionally for a client in their care;
 * - an ADMIN any provider's time, for any client of the tenant.
 * Bad input (ttl, duration, a start in the past) writes nothing. Refused by the database: a live
 * hold (SLOT_HELD), a session or a group session of the provider (SESSION_OVERLAP).
 */
export async function holdSlot(ctx: RequestContext, input: HoldSlotCommand): Promise<SlotHoldRow> {
  const ttlSeconds = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < MIN_TTL_SECONDS || ttlSeconds > MAX_TTL_SECONDS)
    throw badInput(
      "ttlSeconds",
      words`${field("ttlSeconds")} must be a whole number from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}`,
    );
  const times = resolveTimes(ctx, { startsAt: input.startsAt, durationMinutes: input.durationMinutes });
  const { providerId, clientId } = await whoHoldsWhom(ctx, input);
  // As a booking: a taken time is the more precise answer than "not available".
  await checkProviderTimeFree(ctx, { providerId, ...times });
  if (ctx.viewer.role === "CLIENT") await assertBookableForClient(ctx, { providerId, clientId: clientId!, ...times });

  await ctx.db.run((tx) => lockTenantEvents(tx, ctx.tenant.id));
  try {
    return await ctx.db.atomic((tx) => insertHold(tx, ctx, { providerId, clientId, ...times, ttlSeconds }));
  } catch (err) {
    const refused = providerTimeConflict(err);
    if (refused) throw refused;
    // The trigger names the sessions' own constraint when the time is booked.
    const pg = pgErrorOf(err);
    if (pg?.code === "23P01" && pg.constraint === "sessions_provider_no_overlap")
      throw await providerSessionConflict(ctx, { providerId, ...times });
    throw err;
  }
}

/** The provider and client of a hold, checked as a booking checks them (the same NOT_FOUND, FORBIDDEN and NOT_IN_CARE). */
async function whoHoldsWhom(
  ctx: RequestContext,
  input: HoldSlotCommand,
): Promise<{ providerId: number; clientId: number | null }> {
  const me = ctx.viewer;
  if (me.role === "CLIENT" && input.clientId != null && input.clientId !== me.id)
    throw forbidden(words`${noun("Client")}s can hold time only for themselves`);
  if (me.role === "PROVIDER" && input.providerId !== me.id)
    throw forbidden(words`${noun("Provider")}s can hold only their own time`);
  const provider = await getUserWithRole(ctx, input.providerId, "PROVIDER", "Provider");
  if (me.role === "CLIENT") {
    if (!(await hasCareRelationship(ctx, provider.id, me.id)))
      throw forbidden(words`You can only hold time with a ${noun("provider")} you are in care with`);
    return { providerId: provider.id, clientId: me.id };
  }
  if (input.clientId == null) return { providerId: provider.id, clientId: null };
  const client = await getUserWithRole(ctx, input.clientId, "CLIENT", "Client");
  if (me.role === "PROVIDER" && !(await hasCareRelationship(ctx, provider.id, client.id)))
    throw badInput("clientId", NOT_IN_CARE, "NOT_IN_CARE");
  return { providerId: provider.id, clientId: client.id };
}

/** Who sees a hold: its creator, its client, its provider, and ADMINs; anyone else NOT_FOUND. */
const canSeeHold = (ctx: RequestContext, hold: SlotHoldRow) =>
  ctx.viewer.role === "ADMIN" || [hold.createdBy, hold.clientId, hold.providerId].includes(ctx.viewer.id);

/** A hold the caller may see (expired ones too, until they are removed), or NOT_FOUND. */
export async function getVisibleHold(ctx: RequestContext, id: number): Promise<SlotHoldRow> {
  const hold = await ctx.db.run((tx) => findHold(tx, id));
  if (!hold) throw notFound("SlotHold");
  if (!canSeeHold(ctx, hold)) throw hiddenFromCaller("SlotHold");
  return hold;
}

const NOT_A_CHECKOUT = words`A waitlist offer or a group seat's hold ends with its own operation (declineWaitlistOffer), not releaseHold`;

/**
 * Frees a hold early: whoever sees it (its creator, client, provider, an ADMIN). Recorded as
 * RELEASED (EXPIRED when it had expired already). True when this call removed it, false when it
 * was gone meanwhile. Waitlist offers and seat holds have their own ways out.
 */
export async function releaseHold(ctx: RequestContext, id: number): Promise<boolean> {
  const hold = await getVisibleHold(ctx, id);
  if (hold.waitlistEntryId !== null || hold.groupSessionId !== null) throw badInput("id", NOT_A_CHECKOUT);
  await ctx.db.run((tx) => lockTenantEvents(tx, ctx.tenant.id));
  const ended = await ctx.db.atomic((tx) => endHold(tx, ctx, id, "RELEASED"));
  return ended !== undefined;
}
