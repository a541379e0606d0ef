import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { anyOf } from "../../db/any-id.js";
import {
  slotHolds,
  tenantSettings,
  waitlistEntries,
  waitlistRefills,
  type SessionRow,
  type SlotHoldRow,
  type WaitlistEntryRow,
  type WaitlistStatus,
} from "../../db/schema/index.js";
import {
  badFields,
  badInput,
  conflict,
  field,
  fieldError,
  hiddenFromCaller,
  notFound,
  words,
  type FieldError,
  type Words,
  nullWhenNotFound,
} from "../../errors.js";
import { canSeeSession } from "../../rules/session-visibility.js";
import { checkTextLengths } from "../../text-limits.js";
import { DAY, MINUTE } from "../../time.js";
import type { RequestContext } from "../context.js";
import { lockTenantEvents, recordWaitlistEvent } from "../events/index.js";
import { isLiveHoldSql, removeHold } from "../holds/index.js";
import { joinGroupSession } from "../groups/index.js";
import { getVisibleSession, resolveBookingParty, writeBookings, type BookingParty } from "../sessions/index.js";
import { requireRole } from "../tenants/index.js";
import { entryById, holdByEntryId, positionByEntryId } from "./waitlist.loaders.js";

/**
 * The waitlist's requests: joining, leaving, answering an offer, the list and the tenant's
 * setting. Offers themselves are made by the matcher (waitlist.matcher.ts), which the refill
 * processor (waitlist.refills.ts) runs after every change that may free a provider's time.
 *
 * Who sees an entry is who sees a session (rules/session-visibility.ts): its client, its
 * provider, and administrators; the same people see its note.
 */

export interface JoinWaitlistCommand {
  providerId: number;
  clientId?: number | null;
  earliest: Date;
  latest: Date;
  durationMinutes: number;
  note?: string | null;
}

export interface WaitlistFilter {
  providerId?: number | null;
  clientId?: number | null;
  status?: readonly WaitlistStatus[] | null;
}

/** The longest window an entry may wait over. */
export const MAX_WINDOW_DAYS = 90;
/** A session lasts at most a day (as bookSession's rule). */
const MAX_DURATION_MINUTES = DAY / MINUTE;
export const DEFAULT_OFFER_MINUTES = 15;
export const OFFER_MINUTES_RANGE = { min: 5, max: 1440 } as const;
/** How many entries one list answers, first come first served (a provider's waitlist is short). */
const MAX_LISTED = 500;

// ---------------------------------------------------------------- reading

export async function getVisibleEntry(ctx: RequestContext, id: number): Promise<WaitlistEntryRow> {
  const entry = await ctx.loaders.get(entryById).load(id);
  if (!entry) throw notFound("WaitlistEntry");
  if (!canSeeSession(ctx.viewer, entry)) throw hiddenFromCaller("WaitlistEntry");
  return entry;
}

/** An entry by id, or null when none or hidden (a field that may be null). */
export async function findVisibleEntry(ctx: RequestContext, id: number | null): Promise<WaitlistEntryRow | null> {
  if (id === null) return null;
  return nullWhenNotFound(getVisibleEntry(ctx, id));
}

/** The entries the caller sees (a CLIENT their own, a PROVIDER their own, an ADMIN all), first come first served. */
export async function listWaitlist(ctx: RequestContext, filter: WaitlistFilter): Promise<WaitlistEntryRow[]> {
  const me = ctx.viewer;
  const where: (SQL | undefined)[] = [
    me.role === "CLIENT" ? eq(waitlistEntries.clientId, me.id) : undefined,
    me.role === "PROVIDER" ? eq(waitlistEntries.providerId, me.id) : undefined,
    filter.providerId != null ? eq(waitlistEntries.providerId, filter.providerId) : undefined,
    filter.clientId != null ? eq(waitlistEntries.clientId, filter.clientId) : undefined,
    filter.status?.length ? anyOf(waitlistEntries.status, filter.status, "waitlist_status") : undefined,
  ];
  const rows = await ctx.db.run((tx) =>
    tx
      .select()
      .from(waitlistEntries)
      .where(and(...where))
      .orderBy(asc(waitlistEntries.createdAt), asc(waitlistEntries.id))
      .limit(MAX_LISTED),
  );
  for (const row of rows) ctx.loaders.get(entryById).prime(row.id, row);
  return rows;
}

export async function positionOf(ctx: RequestContext, entry: WaitlistEntryRow): Promise<number | null> {
  if (entry.status !== "WAITING") return null;
  return (await ctx.loaders.get(positionByEntryId).load(entry.id)) ?? null;
}

/** The entry's offer while OFFERED (its hold, until the hold is settled away). */
export async function offerOf(ctx: RequestContext, entry: WaitlistEntryRow): Promise<SlotHoldRow | null> {
  if (entry.status !== "OFFERED") return null;
  return (await ctx.loaders.get(holdByEntryId).load(entry.id)) ?? null;
}

export async function sessionOf(ctx: RequestContext, entry: WaitlistEntryRow): Promise<SessionRow | null> {
  if (entry.sessionId === null) return null;
  return nullWhenNotFound(getVisibleSession(ctx, entry.sessionId));
}

// ---------------------------------------------------------------- joining and leaving

/** Every problem of a join's window, duration and note at once. */
function checkJoinInput(ctx: RequestContext, input: JoinWaitlistCommand): void {
  checkTextLengths(input);
  const errors: Record<string, FieldError | Words> = {};
  const { earliest, latest, durationMinutes } = input;
  if (latest.getTime() <= ctx.deps.now().getTime())
    errors.latest = fieldError(words`${field("latest")} must be in the future`, "IN_THE_PAST");
  if (latest.getTime() < earliest.getTime())
    errors.earliest = words`${field("earliest")} must not be after ${field("latest")}`;
  else if (latest.getTime() - earliest.getTime() > MAX_WINDOW_DAYS * DAY)
    errors.earliest = words`the window from ${field("earliest")} to ${field("latest")} may be at most ${MAX_WINDOW_DAYS} days`;
  if (!Number.isInteger(durationMinutes) || durationMinutes < 1 || durationMinutes > MAX_DURATION_MINUTES)
    errors.durationMinutes = words`${field("durationMinutes")} must be a whole number from 1 to ${MAX_DURATION_MINUTES}`;
  if (Object.keys(errors).length) throw badFields(errors);
}

/**
 * A client starts waiting: a CLIENT for themself with a provider they are in care with, a
 * PROVIDER for a client in their care (their own calendar only), an ADMIN for any client (the
 * booking's who-books-whom rule). The entry's refill request is written with it, so the matcher
 * offers a slot that is already free as soon as the join has committed (its event wakes the
 * processors), on whichever instance claims the request first.
 */
export async function joinWaitlist(ctx: RequestContext, input: JoinWaitlistCommand): Promise<WaitlistEntryRow> {
  checkJoinInput(ctx, input);
  const party = await resolveBookingParty(
    ctx,
    { providerId: input.providerId, clientId: input.clientId },
    input.providerId,
  );
  const entry = await ctx.db.atomic(async (tx) => {
    const [row] = await tx
      .insert(waitlistEntries)
      .values({
        tenantId: ctx.tenant.id,
        providerId: party.providerId,
        clientId: party.clientId,
        earliest: input.earliest,
        latest: input.latest,
        durationMinutes: input.durationMinutes,
        note: input.note ?? null,
        createdBy: ctx.viewer.id,
      })
      .returning();
    await tx.insert(waitlistRefills).values({ tenantId: ctx.tenant.id, providerId: party.providerId });
    await recordWaitlistEvent(tx, ctx, row, "WAITLIST_CHANGED");
    return row;
  });
  return remember(ctx, entry);
}

/** Stops waiting (CANCELLED), giving back an offer's hold (its release asks for a refill: the next entry is offered). */
export async function leaveWaitlist(ctx: RequestContext, id: number): Promise<WaitlistEntryRow> {
  return changeEntry(ctx, id, ["WAITING", "OFFERED"], "leave", "CANCELLED");
}

/** Declines an offer: WAITING again (the start is not offered to it again), the hold released for the next entry. */
export async function declineWaitlistOffer(ctx: RequestContext, id: number): Promise<WaitlistEntryRow> {
  return changeEntry(ctx, id, ["OFFERED"], "decline the offer of", "WAITING");
}

async function changeEntry(
  ctx: RequestContext,
  id: number,
  from: WaitlistStatus[],
  action: string,
  to: "WAITING" | "CANCELLED",
): Promise<WaitlistEntryRow> {
  await getVisibleEntry(ctx, id);
  const entry = await underTenantLock(ctx, async (tx) => {
    const locked = await lockedEntry(ctx, tx, id);
    if (!from.includes(locked.status)) throw invalidTransition(locked, action);
    const [hold] = await tx.select().from(slotHolds).where(eq(slotHolds.waitlistEntryId, id));
    const [row] = await tx
      .update(waitlistEntries)
      .set({ status: to, updatedAt: ctx.deps.now() })
      .where(eq(waitlistEntries.id, id))
      .returning();
    if (hold) await removeHold(tx, ctx, hold, "RELEASED");
    await recordWaitlistEvent(tx, ctx, row, "WAITLIST_CHANGED");
    return row;
  });
  return remember(ctx, entry);
}

/**
 * Books the offered slot as the entry's client's session: the entry's client, or staff who may
 * book for them (the booking's rule). In one savepoint the hold is consumed and the session
 * written through the sessions (or, for a seat, the groups) module's booking, so a refused
 * booking leaves the hold and the entry as they were.
 */
export async function acceptWaitlistOffer(ctx: RequestContext, id: number): Promise<SessionRow> {
  const entry = await getVisibleEntry(ctx, id);
  const party = await resolveBookingParty(
    ctx,
    { providerId: entry.providerId, clientId: entry.clientId },
    entry.providerId,
  );
  const session = await underTenantLock(ctx, async (tx) => {
    const locked = await lockedEntry(ctx, tx, id);
    if (locked.status !== "OFFERED") throw invalidTransition(locked, "accept the offer of");
    const [offer] = await tx
      .select({ hold: slotHolds, live: sql<boolean>`${isLiveHoldSql()}` })
      .from(slotHolds)
      .where(eq(slotHolds.waitlistEntryId, id));
    if (!offer?.live)
      throw conflict("HOLD_EXPIRED", words`The offer has expired; the entry waits for the next fitting time`);
    const booked = await bookOffer(ctx, tx, party, offer.hold);
    const [row] = await tx
      .update(waitlistEntries)
      .set({ status: "BOOKED", sessionId: booked.id, updatedAt: ctx.deps.now() })
      .where(eq(waitlistEntries.id, id))
      .returning();
    await recordWaitlistEvent(tx, ctx, row, "WAITLIST_BOOKED");
    remember(ctx, row);
    return booked;
  });
  return session;
}

/**
 * The offer's booking: a seat of its group through the groups module (which consumes the seat
 * hold in its own booking), or the held 1:1 slot, the hold consumed first (it would otherwise
 * refuse the session: SLOT_HELD).
 */
async function bookOffer(ctx: RequestContext, tx: Tx, party: BookingParty, hold: SlotHoldRow): Promise<SessionRow> {
  if (hold.groupSessionId !== null)
    return joinGroupSession(ctx, hold.groupSessionId, party.clientId, { holdId: hold.id });
  await removeHold(tx, ctx, hold, "CONSUMED");
  const [booked] = await writeBookings(ctx, party, {}, [{ startsAt: hold.startsAt, endsAt: hold.endsAt }]);
  return booked;
}

/**
 * fn in one savepoint behind the tenant's write lock: the lock the matcher and every write of
 * a provider's time take, so an answer to an offer and the matcher's settling never interleave.
 */
async function underTenantLock<T>(ctx: RequestContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await ctx.db.run((tx) => lockTenantEvents(tx, ctx.tenant.id));
  return ctx.db.atomic(fn);
}

/** The entry as it is now, locked; still the caller's to see. */
async function lockedEntry(ctx: RequestContext, tx: Tx, id: number): Promise<WaitlistEntryRow> {
  const [locked] = await tx.select().from(waitlistEntries).where(eq(waitlistEntries.id, id)).for("update");
  if (!locked || !canSeeSession(ctx.viewer, locked)) throw notFound("WaitlistEntry");
  return locked;
}

const invalidTransition = (entry: WaitlistEntryRow, action: string) =>
  badInput("status", words`Cannot ${action} a waitlist entry that is ${entry.status}`, "INVALID_TRANSITION");

function remember(ctx: RequestContext, entry: WaitlistEntryRow): WaitlistEntryRow {
  ctx.loaders.get(entryById).clear(entry.id).prime(entry.id, entry);
  return entry;
}

// ---------------------------------------------------------------- settings

/** How long the tenant's offers last, in minutes (the default when it never set one). */
export async function offerMinutesOf(ctx: RequestContext): Promise<number> {
  const [row] = await ctx.db.run((tx) =>
    tx
      .select({ minutes: tenantSettings.waitlistOfferMinutes })
      .from(tenantSettings)
      .where(eq(tenantSettings.tenantId, ctx.tenant.id)),
  );
  return row?.minutes ?? DEFAULT_OFFER_MINUTES;
}

export async function waitlistSettings(ctx: RequestContext): Promise<{ offerMinutes: number }> {
  requireRole(ctx, "ADMIN");
  return { offerMinutes: await offerMinutesOf(ctx) };
}

export async function updateWaitlistSettings(
  ctx: RequestContext,
  offerMinutes: number,
): Promise<{ offerMinutes: number }> {
  requireRole(ctx, "ADMIN");
  const { min, max } = OFFER_MINUTES_RANGE;
  if (!Number.isInteger(offerMinutes) || offerMinutes < min || offerMinutes > max)
    throw badInput("offerMinutes", words`${field("offerMinutes")} must be a whole number from ${min} to ${max}`);
  const now = ctx.deps.now();
  const [row] = await ctx.db.atomic((tx) =>
    tx
      .insert(tenantSettings)
      .values({ tenantId: ctx.tenant.id, waitlistOfferMinutes: offerMinutes, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: tenantSettings.tenantId,
        set: { waitlistOfferMinutes: offerMinutes, updatedAt: now },
      })
      .returning(),
  );
  return { offerMinutes: row.waitlistOfferMinutes };
}
