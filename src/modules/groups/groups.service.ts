import { and, asc, eq, exists, gt, inArray, lt, ne, or } from "drizzle-orm";
import { pgErrorOf } from "../../db/client.js";
import {
  careRelationships,
  groupSessions,
  sessions,
  slotHolds,
  type GroupSessionRow,
  type Modality,
  type SessionRow,
  type SessionStatus,
  type SessionType,
} from "../../db/schema/index.js";
import {
  badFields,
  badInput,
  conflict,
  DomainError,
  field,
  forbidden,
  hiddenFromCaller,
  notFound,
  noun,
  words,
  type FieldError,
  type Words,
  nullWhenNotFound,
} from "../../errors.js";
import { GROUP_CLOSED } from "../../rules/provider-time.js";
import { providerTimeConflict } from "../../rules/provider-time.js";
import { isActiveSql } from "../../rules/session-states.js";
import { canManageSession } from "../../rules/session-visibility.js";
import { checkTextLengths } from "../../text-limits.js";
import { DAY } from "../../time.js";
import { assertBookableForClient } from "../availability/index.js";
import type { RequestContext } from "../context.js";
import { lockTenantEvents, recordGroupEvent } from "../events/index.js";
import { endHold, holdWasPlaced, isLiveHoldSql, removeHold } from "../holds/index.js";
import {
  cancelActiveSessions,
  cancelSession,
  checkSeatFree,
  providerSessionConflict,
  resolveBookingParty,
  resolveTimes,
  writeBookings,
  type SlotTimes,
} from "../sessions/index.js";
import { getUserWithRole, hasCareRelationship, providerOrCaller } from "../tenants/index.js";
import { groupById, seatCountsByGroup, visibleSeatsByGroup } from "./groups.loaders.js";

export const MIN_CAPACITY = 2;
export const MAX_CAPACITY = 200;
/** groupSessions(from, to) spans at most this many days (as other range queries, bounded work per request). */
export const MAX_GROUP_RANGE_DAYS = 92;

export interface CreateGroupSessionCommand {
  /** Defaults to the caller when the caller is a PROVIDER. */
  providerId?: number | null;
  startsAt: Date;
  durationMinutes: number;
  capacity: number;
  title?: string | null;
  description?: string | null;
  type?: SessionType | null;
  modality?: Modality | null;
  location?: string | null;
}

const STARTED = words`The group ${noun("session")} has already started`;
const ALREADY_CANCELLED = words`The group ${noun("session")} is already cancelled`;
const HOLD_EXPIRED = words`The hold on this seat expired and every seat is taken`;
const required = (name: string) => words`${field(name)} is required`;

// ---------------------------------------------------------------- reading

/**
 * Who sees a group: an ADMIN, its provider, and the clients who may join it (in care with its
 * provider) or sit in it. Anyone else: NOT_FOUND.
 */
async function canSeeGroup(ctx: RequestContext, group: GroupSessionRow): Promise<boolean> {
  const me = ctx.viewer;
  if (me.role === "ADMIN" || group.providerId === me.id) return true;
  if (me.role !== "CLIENT") return false;
  if (await hasCareRelationship(ctx, group.providerId, me.id)) return true;
  const [seat] = await ctx.db.run((tx) =>
    tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.groupSessionId, group.id), eq(sessions.clientId, me.id)))
      .limit(1),
  );
  return !!seat;
}

export async function getVisibleGroup(ctx: RequestContext, id: number): Promise<GroupSessionRow> {
  const group = await ctx.loaders.get(groupById).load(id);
  if (!group) throw notFound("Group session");
  if (!(await canSeeGroup(ctx, group))) throw hiddenFromCaller("Group session");
  return group;
}

/** A group by id, or null when none or hidden (Session.groupSession). */
export async function findVisibleGroup(ctx: RequestContext, id: number | null): Promise<GroupSessionRow | null> {
  if (id === null) return null;
  return nullWhenNotFound(getVisibleGroup(ctx, id));
}

/**
 * The groups overlapping [from, to) the caller sees, by start: of one provider (a PROVIDER's
 * own by default), or of every provider they see (an ADMIN all, a CLIENT those they are in
 * care with). Cancelled ones too (their status says so).
 */
export async function listGroupSessions(
  ctx: RequestContext,
  providerId: number | null | undefined,
  from: Date,
  to: Date,
): Promise<GroupSessionRow[]> {
  if (!(to.getTime() > from.getTime())) throw badInput("to", words`${field("to")} must be after ${field("from")}`);
  if (to.getTime() - from.getTime() > MAX_GROUP_RANGE_DAYS * DAY)
    throw badInput("to", words`the range is longer than ${MAX_GROUP_RANGE_DAYS} days`, "TOO_MUCH_WORK");
  const me = ctx.viewer;
  const provider = providerOrCaller(ctx, providerId);
  // A provider sees only their own groups: another provider's list is empty.
  if (me.role === "PROVIDER" && provider !== me.id) return [];
  const rows = await ctx.db.run((tx) =>
    tx
      .select()
      .from(groupSessions)
      .where(
        and(
          provider !== undefined ? eq(groupSessions.providerId, provider) : undefined,
          lt(groupSessions.startsAt, to),
          gt(groupSessions.endsAt, from),
          // canSeeGroup's rule for a CLIENT, as a condition: in care with the provider, or sitting in the group.
          me.role === "CLIENT"
            ? or(
                inArray(
                  groupSessions.providerId,
                  tx
                    .select({ id: careRelationships.providerId })
                    .from(careRelationships)
                    .where(eq(careRelationships.clientId, me.id)),
                ),
                exists(
                  tx
                    .select({ id: sessions.id })
                    .from(sessions)
                    .where(and(eq(sessions.groupSessionId, groupSessions.id), eq(sessions.clientId, me.id))),
                ),
              )
            : undefined,
        ),
      )
      .orderBy(asc(groupSessions.startsAt), asc(groupSessions.id)),
  );
  for (const row of rows) ctx.loaders.get(groupById).prime(row.id, row);
  return rows;
}

/**
 * The group's status. CANCELLED when the group is; otherwise it follows its seats that are not
 * cancelled: all of them over (COMPLETED or NO_SHOW) with at least one COMPLETED: COMPLETED; all
 * NO_SHOW: NO_SHOW; every one still active CONFIRMED: CONFIRMED; else (a seat still SCHEDULED, or
 * no seat yet) SCHEDULED.
 */
export async function groupStatus(ctx: RequestContext, group: GroupSessionRow): Promise<SessionStatus> {
  if (group.cancelledAt) return "CANCELLED";
  const { byStatus } = await ctx.loaders.get(seatCountsByGroup).load(group.id);
  const n = (status: SessionStatus) => byStatus[status] ?? 0;
  if (n("SCHEDULED") + n("CONFIRMED") === 0) {
    if (n("COMPLETED") > 0) return "COMPLETED";
    if (n("NO_SHOW") > 0) return "NO_SHOW";
    return "SCHEDULED";
  }
  return n("SCHEDULED") === 0 ? "CONFIRMED" : "SCHEDULED";
}

/** Seats taken: the group's sessions that are not cancelled (as seats_within_capacity() counts them). */
export async function seatsTaken(ctx: RequestContext, group: GroupSessionRow): Promise<number> {
  const { byStatus } = await ctx.loaders.get(seatCountsByGroup).load(group.id);
  return Object.entries(byStatus).reduce((sum, [status, n]) => (status === "CANCELLED" ? sum : sum + n), 0);
}

/** Seats one may still take: capacity less seats taken and live holds keeping one; none once the group is cancelled. */
export async function seatsLeft(ctx: RequestContext, group: GroupSessionRow): Promise<number> {
  if (group.cancelledAt) return 0;
  const { liveHolds } = await ctx.loaders.get(seatCountsByGroup).load(group.id);
  return Math.max(0, group.capacity - (await seatsTaken(ctx, group)) - liveHolds);
}

/** The seats taken that the caller may see: all of them for an ADMIN and the provider, a CLIENT's own only. */
export function attendeesOf(ctx: RequestContext, group: GroupSessionRow): Promise<SessionRow[]> {
  return ctx.loaders.get(visibleSeatsByGroup).load(group.id);
}

/** After a write: the group and its seats are read again. */
function forget(ctx: RequestContext, group: GroupSessionRow): GroupSessionRow {
  ctx.loaders.get(groupById).clear(group.id).prime(group.id, group);
  ctx.loaders.get(seatCountsByGroup).clear(group.id);
  ctx.loaders.get(visibleSeatsByGroup).clear(group.id);
  return group;
}

// ---------------------------------------------------------------- creating

/**
 * A group of one provider at one time with 2..200 seats: a PROVIDER's own, an ADMIN's for any
 * provider. Its time is taken like a session's: the database refuses it over the provider's
 * session (SESSION_OVERLAP), live hold (SLOT_HELD) or other group (SESSION_OVERLAP), under the
 * tenant's write lock (provider_time_is_free()). CREATED event in the same transaction.
 */
export async function createGroupSession(
  ctx: RequestContext,
  input: CreateGroupSessionCommand,
): Promise<GroupSessionRow> {
  const me = ctx.viewer;
  if (me.role === "CLIENT")
    throw forbidden(words`Only ${noun("provider")}s and administrators can create group ${noun("sessions")}`);
  checkTextLengths({ title: input.title, description: input.description, location: input.location });
  const providerId = providerOrCaller(ctx, input.providerId);
  const errors: Record<string, FieldError | Words> = {};
  if (providerId === undefined) errors.providerId = required("providerId");
  if (!Number.isInteger(input.capacity) || input.capacity < MIN_CAPACITY || input.capacity > MAX_CAPACITY)
    errors.capacity = words`${field("capacity")} must be a whole number from ${MIN_CAPACITY} to ${MAX_CAPACITY}`;
  if (Object.keys(errors).length) throw badFields(errors);
  for (const key of ["type", "modality"] as const)
    if (input[key] === null) throw badFields({ [key]: words`${field(key)} cannot be null` });
  const times = resolveTimes(ctx, { startsAt: input.startsAt, durationMinutes: input.durationMinutes });
  if (me.role === "PROVIDER" && providerId !== me.id)
    throw forbidden(words`${noun("Provider")}s can create group ${noun("sessions")} only for themselves`);
  const provider = await getUserWithRole(ctx, providerId!, "PROVIDER", "Provider");

  const now = ctx.deps.now();
  await ctx.db.run((tx) => lockTenantEvents(tx, ctx.tenant.id));
  const group = await ctx.db
    .atomic(async (tx) => {
      const [row] = await tx
        .insert(groupSessions)
        .values({
          tenantId: ctx.tenant.id,
          providerId: provider.id,
          title: input.title ?? null,
          description: input.description ?? null,
          type: input.type ?? undefined,
          modality: input.modality ?? undefined,
          location: input.location ?? null,
          startsAt: times.startsAt,
          endsAt: times.endsAt,
          capacity: input.capacity,
          createdBy: me.id,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await recordGroupEvent(tx, ctx, row, "CREATED");
      return row;
    })
    .catch(async (err: unknown) => {
      throw await groupTimeRefusal(ctx, err, provider.id, times);
    });
  return forget(ctx, group);
}

/** What the database's refusal of a group's time means, worded as a booking's conflict. */
async function groupTimeRefusal(ctx: RequestContext, err: unknown, providerId: number, times: SlotTimes) {
  const refused = providerTimeConflict(err);
  if (refused) return refused;
  const pg = pgErrorOf(err);
  if (pg?.code === "23P01" && pg.constraint === "sessions_provider_no_overlap")
    return providerSessionConflict(ctx, { providerId, ...times });
  return err;
}

// ---------------------------------------------------------------- seats

/** The group still takes seats: not cancelled, not started. The database decides a cancellation racing a join (GROUP_CLOSED). */
function assertOpen(ctx: RequestContext, group: GroupSessionRow): void {
  if (group.cancelledAt) throw conflict("GROUP_CLOSED", GROUP_CLOSED);
  if (group.startsAt.getTime() <= ctx.deps.now().getTime()) throw conflict("GROUP_CLOSED", STARTED);
}

/** A hold given to a join: a seat hold of this group kept for this client (else NOT_FOUND, or VALIDATION for another group's). */
/**
 * The seat hold a join names, or null when it was placed but is gone (expired and removed by its
 * expiry job): then it keeps nothing, as an expired hold not yet removed.
 */
async function seatHoldFor(ctx: RequestContext, group: GroupSessionRow, clientId: number, holdId: number) {
  const [hold] = await ctx.db.run((tx) => tx.select().from(slotHolds).where(eq(slotHolds.id, holdId)));
  if (!hold) {
    if (await ctx.db.run((tx) => holdWasPlaced(tx, group.providerId, holdId))) return null;
    throw notFound("Hold");
  }
  if (hold.clientId !== clientId) throw notFound("Hold");
  if (hold.groupSessionId !== group.id)
    throw badFields({ holdId: words`the hold does not keep a seat of this group ${noun("session")}` });
  return hold;
}

/**
 * Gives a client a seat: an ordinary session of theirs with the group's provider, exact times,
 * type, modality, title and location, linked to the group, written by the sessions module's
 * booking (BOOKED event naming the group). Who: a CLIENT for themself, in care with the
 * provider and within the provider's availability and notice; the group's PROVIDER for a client
 * in their care; an ADMIN for any client (as bookSession). The database decides the rest under
 * concurrency: SESSION_FULL (seats counted under the group's row lock), GROUP_CLOSED (cancelled
 * meanwhile), ALREADY_JOINED, SESSION_OVERLAP (the client's exclusion constraint).
 *
 * With holdId (a waitlist's seat offer): the hold must keep a seat of this group for this
 * client; it is consumed in the seat's savepoint, so its seat passes to the session. Once
 * expired it keeps nothing: the join goes on as any other, and a full group answers HOLD_EXPIRED.
 */
export async function joinGroupSession(
  ctx: RequestContext,
  groupId: number,
  clientId?: number | null,
  options: { holdId?: number } = {},
): Promise<SessionRow> {
  const group = await getVisibleGroup(ctx, groupId);
  if (clientId == null && ctx.viewer.role !== "CLIENT") throw badFields({ clientId: required("clientId") });
  const party = await resolveBookingParty(ctx, { clientId }, group.providerId);
  assertOpen(ctx, group);
  const hold = options.holdId != null ? await seatHoldFor(ctx, group, party.clientId, options.holdId) : undefined;
  const seat = {
    providerId: group.providerId,
    clientId: party.clientId,
    startsAt: group.startsAt,
    endsAt: group.endsAt,
    groupSessionId: group.id,
  };
  await checkSeatFree(ctx, seat);
  if (ctx.viewer.role === "CLIENT") await assertBookableForClient(ctx, { ...seat, excludeGroupSessionId: group.id });
  const details = { title: group.title, type: group.type, modality: group.modality, location: group.location };
  try {
    const [row] = await writeBookings(ctx, party, details, [seat], {
      groupSessionId: group.id,
      beforeInsert: hold
        ? async (tx) => {
            // CONSUMED while live; a hold that lapsed meanwhile is recorded as EXPIRED.
            await endHold(tx, ctx, hold.id, "CONSUMED");
          }
        : undefined,
    });
    return row;
  } catch (err) {
    // A live hold guarantees its seat: a full group means it had expired.
    if (hold !== undefined && err instanceof DomainError && err.reason === "SESSION_FULL")
      throw conflict("HOLD_EXPIRED", HOLD_EXPIRED);
    throw err;
  } finally {
    forget(ctx, group);
  }
}

/**
 * Gives up a client's seat (a CLIENT their own by default): cancelled through the session state
 * machine by its client, the provider or an ADMIN, the reason kept on the session. The seat is
 * free at once; the database asks the waitlist to refill it.
 */
export async function leaveGroupSession(
  ctx: RequestContext,
  groupId: number,
  clientId?: number | null,
  reason?: string | null,
): Promise<GroupSessionRow> {
  checkTextLengths({ reason });
  const group = await getVisibleGroup(ctx, groupId);
  const who = clientId ?? (ctx.viewer.role === "CLIENT" ? ctx.viewer.id : undefined);
  if (who === undefined) throw badFields({ clientId: required("clientId") });
  const [seat] = await ctx.db.run((tx) =>
    tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.groupSessionId, group.id), eq(sessions.clientId, who), ne(sessions.status, "CANCELLED")))
      .limit(1),
  );
  if (!seat) throw notFound("Seat");
  // cancelSession decides who may (the seat's client, provider or an ADMIN; others see no such session).
  await cancelSession(ctx, seat.id, reason);
  return forget(ctx, group);
}

/**
 * Cancels a group (its provider or an ADMIN): the group is marked cancelled (when, by whom, why),
 * every active seat is cancelled with the one reason (one CANCELLED event each), the seat holds
 * are released, and one GROUP_SESSION_CHANGED CANCELLED event is written, all in one savepoint.
 */
export async function cancelGroupSession(
  ctx: RequestContext,
  id: number,
  reason?: string | null,
): Promise<GroupSessionRow> {
  checkTextLengths({ reason });
  const group = await getVisibleGroup(ctx, id);
  if (!canManageSession(ctx.viewer, group))
    throw forbidden(words`Only the ${noun("provider")} or an administrator can cancel a group ${noun("session")}`);
  if (group.cancelledAt) throw badInput("status", ALREADY_CANCELLED, "INVALID_TRANSITION");
  const me = ctx.viewer;
  const now = ctx.deps.now();
  const why = reason?.trim() || null;
  // The tenant's lock first, then the group's row: the order every seat's write takes them in.
  await ctx.db.run((tx) => lockTenantEvents(tx, ctx.tenant.id));
  const cancelled = await ctx.db.atomic(async (tx) => {
    const [locked] = await tx.select().from(groupSessions).where(eq(groupSessions.id, group.id)).for("update");
    if (!locked) throw notFound("Group session");
    if (locked.cancelledAt) throw badInput("status", ALREADY_CANCELLED, "INVALID_TRANSITION");
    const seats = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.groupSessionId, group.id), isActiveSql()))
      .for("update");
    await cancelActiveSessions(
      tx,
      ctx,
      seats.map((s) => s.id),
      why,
    );
    const holds = await tx
      .select()
      .from(slotHolds)
      .where(and(eq(slotHolds.groupSessionId, group.id), isLiveHoldSql()));
    for (const hold of holds) await removeHold(tx, ctx, hold, "RELEASED");
    const [row] = await tx
      .update(groupSessions)
      .set({ cancelledAt: now, cancelledBy: me.id, cancellationReason: why, updatedAt: now })
      .where(eq(groupSessions.id, group.id))
      .returning();
    await recordGroupEvent(tx, ctx, row, "CANCELLED");
    return row;
  });
  return forget(ctx, cancelled);
}
