import { and, asc, eq, gt, lt, ne, or, sql } from "drizzle-orm";
import { anyId } from "../../db/any-id.js";
import { pgErrorOf, type Tx } from "../../db/client.js";
import {
  careRelationships,
  sessions,
  treatmentDetails,
  type Modality,
  type SessionRow,
  type SessionStatus,
  type SessionType,
  type TreatmentPlanRow,
} from "../../db/schema/index.js";
import {
  badFields,
  badInput,
  conflict,
  DomainError,
  field,
  fieldError,
  forbidden,
  hiddenFromCaller,
  instant,
  notFound,
  noun,
  throwFieldErrors,
  words,
  type FieldError,
  type Words,
} from "../../errors.js";
import { checkTextLengths } from "../../text-limits.js";
import { assertBookableForClient, notBookableForClient, whyNotBookableForClient } from "../availability/index.js";
import type { RequestContext } from "../context.js";
import { lockTenantEvents, recordSessionEvent, recordSessionEvents, type SessionEventInput } from "../events/index.js";
import { providerOrCaller } from "../tenants/index.js";
import { getUserWithRole, hasCareRelationship } from "../tenants/index.js";
import { DAY, HOUR, MINUTE } from "../../time.js";
import {
  getTreatmentPlan,
  planAuthorizationConflict,
  planClient,
  unmatchedClientMessage,
} from "../treatment-plans/index.js";
import { getVisibleSession } from "./session.access.js";
import { canManageSession, canSeeSession } from "../../rules/session-visibility.js";
import {
  ALREADY_JOINED,
  heldTimeConflicts,
  providerTimeConflict,
  SEAT_MOVES_WITH_GROUP,
} from "../../rules/provider-time.js";
import { endHold, findHold, holdWasPlaced } from "../holds/index.js";
import {
  bookedEvent,
  cancelledEvent,
  completedEvent,
  reassignedEvent,
  rescheduledEvent,
  updatedEvent,
} from "./session.events.js";
import { sessionById } from "./session.loaders.js";
import {
  assertActive,
  assertEditable,
  assertReschedulable,
  assertTransition,
  isActiveSql,
  RECORD_STATUSES,
} from "../../rules/session-states.js";

/** What a session says about itself: set when booking, changed by an update. */
interface SessionDetails {
  title?: string | null;
  description?: string | null;
  type?: SessionType | null;
  modality?: Modality | null;
  location?: string | null;
  notes?: string | null;
  providerNotes?: string | null;
}

/**
 * The service's commands are named ...Command, apart from the GraphQL input classes
 * (session.input.ts) that the resolver passes in: those are structurally compatible.
 */
export interface BookSessionCommand extends SessionDetails {
  /** Defaults to the caller when the caller is a PROVIDER. */
  providerId?: number | null;
  /** Or treatmentPlanId, whose client is matched; a CLIENT books for themself. */
  clientId?: number | null;
  treatmentPlanId?: number | null;
  startsAt: Date;
  /** Or durationMinutes. */
  endsAt?: Date | null;
  durationMinutes?: number | null;
  /** The caller's hold of exactly this provider and time: the booking consumes it. */
  holdId?: number | null;
}

export interface NewTimes {
  startsAt: Date;
  /** Neither endsAt nor durationMinutes: the session keeps its length. */
  endsAt?: Date | null;
  durationMinutes?: number | null;
}

export interface UpdateSessionCommand extends SessionDetails {
  clientFeedback?: string | null;
  exercisesPerformed?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  durationMinutes?: number | null;
  status?: SessionStatus | null;
  actualStart?: Date | null;
  actualEnd?: Date | null;
  treatmentPlanId?: number | null;
  googleEventId?: string | null;
  outlookEventId?: string | null;
}

export interface CompleteSessionCommand {
  actualStart?: Date | null;
  actualEnd?: Date | null;
  notes?: string | null;
  providerNotes?: string | null;
  clientFeedback?: string | null;
  exercisesPerformed?: string | null;
}

/** A session may last at most a day. */
const MAX_MINUTES = DAY / MINUTE;

/** A session's interval. */
export interface SlotTimes {
  startsAt: Date;
  endsAt: Date;
}

interface Slot extends SlotTimes {
  providerId: number;
  clientId: number;
  excludeSessionId?: number;
  /** The hold the booking goes through: it does not refuse its own booking. */
  excludeHoldId?: number;
  /** A seat of this group: the provider's time is the group's (the database checks it), only the client's counts here. */
  groupSessionId?: number;
}

// ---------------------------------------------------------------- rules shared by every write

/** ADMIN and the session's provider may do everything to it; its client only cancel and reschedule. */

async function sessionToManage(ctx: RequestContext, id: number, action: string): Promise<SessionRow> {
  const session = await getVisibleSession(ctx, id);
  if (!canManageSession(ctx.viewer, session))
    throw forbidden(words`Only the ${noun("session")}'s ${noun("provider")} or an administrator can ${action} it`);
  return session;
}

/** The session's interval from start + end or start + duration; every problem reported at once. */
export function resolveTimes(
  ctx: RequestContext,
  times: NewTimes,
  keepLengthMs?: number,
  notPast = true,
): { startsAt: Date; endsAt: Date } {
  const errors: Record<string, FieldError | Words> = {};
  const { startsAt, endsAt, durationMinutes } = times;
  let end: Date | undefined;
  if (endsAt != null && durationMinutes != null)
    errors.durationMinutes = words`give either ${field("endsAt")} or ${field("durationMinutes")}, not both`;
  else if (durationMinutes != null) {
    if (!Number.isInteger(durationMinutes) || durationMinutes < 1 || durationMinutes > MAX_MINUTES)
      errors.durationMinutes = words`${field("durationMinutes")} must be a whole number from 1 to ${MAX_MINUTES}`;
    else end = new Date(startsAt.getTime() + durationMinutes * MINUTE);
  } else if (endsAt != null) {
    if (endsAt.getTime() <= startsAt.getTime())
      errors.endsAt = fieldError(words`${field("endsAt")} must be after ${field("startsAt")}`, "ENDS_BEFORE_START");
    else if (endsAt.getTime() - startsAt.getTime() > DAY)
      errors.endsAt = words`a ${noun("session")} cannot last more than 24 hours`;
    else end = endsAt;
  } else if (keepLengthMs !== undefined) end = new Date(startsAt.getTime() + keepLengthMs);
  else errors.endsAt = words`${field("endsAt")} or ${field("durationMinutes")} is required`;
  if (notPast && startsAt.getTime() < ctx.deps.now().getTime())
    errors.startsAt = fieldError(words`${field("startsAt")} must not be in the past`, "IN_THE_PAST");
  throwFieldErrors(errors);
  return { startsAt, endsAt: end! };
}

/**
 * Whose sessions a slot collides with: the provider's and the client's; for a group seat only the
 * client's (the other seats share the provider's time by design).
 */
const peopleOf = (slot: Slot) =>
  slot.groupSessionId !== undefined
    ? eq(sessions.clientId, slot.clientId)
    : or(eq(sessions.providerId, slot.providerId), eq(sessions.clientId, slot.clientId));

/** The first active session of the same provider or client overlapping the slot. */
async function findConflict(tx: Tx, slot: Slot): Promise<SessionRow | undefined> {
  const [found] = await tx
    .select()
    .from(sessions)
    .where(
      and(
        isActiveSql(),
        peopleOf(slot),
        lt(sessions.startsAt, slot.endsAt),
        gt(sessions.endsAt, slot.startsAt),
        slot.excludeSessionId !== undefined ? ne(sessions.id, slot.excludeSessionId) : undefined,
      ),
    )
    .orderBy(asc(sessions.startsAt), asc(sessions.id))
    .limit(1);
  return found;
}

/** What a CLIENT hears of a conflict with a session not their own: the slot is taken, not by whom, when or which. */
export const SLOT_TAKEN = "That time is no longer available";

/**
 * One place decides what a conflict reveals, so GraphQL and every shim answer alike: the full
 * detail (the fitness API's wording, and the id) only for a session the caller may see, i.e. of
 * their own calendar. A CLIENT hears nothing of anyone else's session (usually another patient's
 * appointment); a provider hears only the time of one they may not see (their client's time
 * with another provider).
 */
function conflictError(ctx: RequestContext, other: SessionRow | undefined, slot?: Slot): DomainError {
  // The client's own seat in the group they are joining: the same refusal as the unique index's.
  if (other && slot?.groupSessionId !== undefined && other.groupSessionId === slot.groupSessionId)
    return conflict("ALREADY_JOINED", ALREADY_JOINED);
  if (other && canSeeSession(ctx.viewer, other)) {
    const message = words`Scheduling conflict detected with ${noun("session")} "${other.title ?? "Untitled session"}" at ${instant(other.startsAt)}`;
    return new DomainError("SESSION_OVERLAP", message, {
      conflictingSessionId: other.id,
      conflictingStartsAt: other.startsAt,
    });
  }
  if (ctx.viewer.role === "CLIENT") return new DomainError("SESSION_OVERLAP", SLOT_TAKEN);
  if (!other)
    return new DomainError("SESSION_OVERLAP", words`Scheduling conflict detected with another ${noun("session")}`);
  return new DomainError(
    "SESSION_OVERLAP",
    words`Scheduling conflict detected with another ${noun("session")} at ${instant(other.startsAt)}`,
    { conflictingStartsAt: other.startsAt },
  );
}

/**
 * Runs a write in a savepoint, queued behind the tenant's other colliding writes (see
 * lockTenantEvents). The friendly conflict check before it races with other requests; the
 * exclusion constraints decide, and their violation (23P01) becomes the same CONFLICT: of the
 * (first) slot's conflict as committed now, or what `onConflict` makes of every slot's. A
 * treatment plan's authorization is decided by the database alone (PLAN_SESSION_LIMIT, PLAN_EXPIRED).
 */
async function guardedWrite<T>(
  ctx: RequestContext,
  slot: Slot | Slot[] | undefined,
  write: (tx: Tx) => Promise<T>,
  onConflict?: (conflicts: (SessionRow | undefined)[]) => DomainError,
): Promise<T> {
  await ctx.db.run((tx) => lockTenantEvents(tx, ctx.tenant.id));
  try {
    return await ctx.db.atomic(write);
  } catch (err) {
    const refused = providerTimeConflict(err);
    if (refused) throw refused;
    if (pgErrorOf(err)?.code === "23P01" && slot) {
      const slots = Array.isArray(slot) ? slot : [slot];
      const conflicts = await ctx.db.run((tx) => findConflicts(tx, slots));
      throw onConflict ? onConflict(conflicts) : conflictError(ctx, conflicts.find(Boolean), slots[0]);
    }
    throw planAuthorizationConflict(err) ?? err;
  }
}

/**
 * The first active session of the same provider or client overlapping each slot, for many slots
 * in one statement (a series' occurrences): the candidates overlapping any of the slots, matched
 * to them here.
 */
async function findConflicts(tx: Tx, slots: Slot[]): Promise<(SessionRow | undefined)[]> {
  if (slots.length === 1) return [await findConflict(tx, slots[0])];
  if (slots.length === 0) return [];
  const ranges = slots.map((s) => `[${s.startsAt.toISOString()},${s.endsAt.toISOString()})`);
  const excluded = slots.map((s) => s.excludeSessionId).filter((id): id is number => id !== undefined);
  const candidates = await tx
    .select()
    .from(sessions)
    .where(
      and(
        isActiveSql(),
        or(...uniqueBy(slots, (s) => `${s.providerId}:${s.clientId}`).map(peopleOf)),
        sql`tstzrange(${sessions.startsAt}, ${sessions.endsAt}, '[)') && any(${sql.param(ranges)}::text[]::tstzrange[])`,
        excluded.length ? sql`not ${anyId(sessions.id, excluded)}` : undefined,
      ),
    )
    .orderBy(asc(sessions.startsAt), asc(sessions.id));
  return slots.map((slot) =>
    candidates.find(
      (c) =>
        (c.providerId === slot.providerId || c.clientId === slot.clientId) &&
        c.startsAt.getTime() < slot.endsAt.getTime() &&
        c.endsAt.getTime() > slot.startsAt.getTime() &&
        c.id !== slot.excludeSessionId,
    ),
  );
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

/**
 * The friendly check, before the write (and before availability: a conflict is the more precise
 * answer): the provider's and the client's sessions, then the provider's time held by a live
 * hold (SLOT_HELD) or a group session (SESSION_OVERLAP), read together.
 */
async function checkSlotFree(ctx: RequestContext, slot: Slot): Promise<void> {
  const [other, [held]] = await ctx.db.run((tx) =>
    Promise.all([findConflict(tx, slot), heldTimeConflicts(tx, [slot], slot.excludeHoldId)]),
  );
  if (other) throw conflictError(ctx, other, slot);
  if (held) throw held;
}

/** A seat's friendly check before its write: the client's overlapping session (SESSION_OVERLAP), or their seat in this group (ALREADY_JOINED). */
export async function checkSeatFree(
  ctx: RequestContext,
  seat: SlotTimes & { providerId: number; clientId: number; groupSessionId: number },
): Promise<void> {
  // Only the client's sessions: the provider's time (holds, groups) is the group's own, checked by the database.
  const other = await ctx.db.run((tx) => findConflict(tx, seat));
  if (other) throw conflictError(ctx, other, seat);
}

const remember = (ctx: RequestContext, session: SessionRow) => {
  ctx.loaders.get(sessionById).clear(session.id).prime(session.id, session);
  return session;
};

// ---------------------------------------------------------------- booking

const NOT_IN_CARE = fieldError(
  words`You don't have permission to schedule ${noun("sessions")} for this ${noun("client")}`,
  "NOT_IN_CARE",
);
const OTHER_CLIENTS_PLAN = fieldError(
  words`The treatment plan belongs to another ${noun("client")}: a ${noun("session")} may only be linked to a plan of its own ${noun("client")}`,
  "OTHER_CLIENTS_PLAN",
);

/**
 * A plan a session of `clientId` may be linked to: one whose client is that client. A plan that
 * names no client user (legacy matching found none) is linked by giving the client explicitly,
 * as the scheduler documents ("Please specify client manually").
 */
async function planFor(ctx: RequestContext, plan: TreatmentPlanRow, clientId: number): Promise<TreatmentPlanRow> {
  const owner = await planClient(ctx, plan);
  if (owner && owner.id !== clientId) throw badFields({ treatmentPlanId: OTHER_CLIENTS_PLAN });
  return plan;
}

/**
 * Who may book whom, for every adapter: a CLIENT themself with a provider they are in care with;
 * a PROVIDER (for themself) only clients in their care, unless the booking goes through the
 * client's treatment plan; an ADMIN any client of the tenant. Returns whether the booking puts
 * the client in the provider's care (an ADMIN's, or one through the client's plan).
 */
async function checkWhoBooksWhom(
  ctx: RequestContext,
  providerId: number,
  clientId: number,
  throughPlan: boolean,
): Promise<boolean> {
  const me = ctx.viewer;
  if (me.role === "CLIENT") {
    if (clientId !== me.id) throw forbidden(words`${noun("Client")}s can book ${noun("sessions")} only for themselves`);
    if (!(await hasCareRelationship(ctx, providerId, me.id)))
      throw forbidden(words`You can only book ${noun("sessions")} with a ${noun("provider")} you are in care with`);
    return false;
  }
  if (me.role === "ADMIN" || throughPlan) return true;
  if (!(await hasCareRelationship(ctx, providerId, clientId))) throw badFields({ clientId: NOT_IN_CARE });
  return false;
}

/** Who a booking is for, resolved and checked once: the same for one session and for every occurrence of a series. */
export interface BookingParty {
  providerId: number;
  /** The provider's zone: a series keeps its wall-clock time there. */
  providerTimeZone: string;
  clientId: number;
  plan?: TreatmentPlanRow;
  /** The booking puts the client in the provider's care (an ADMIN's, or one through the client's plan). */
  addsCare: boolean;
}

/** What a booking writes besides its times: the session's text, type and modality. */
export type BookingDetails = SessionDetails;

/** The first checks of a booking, before its times: text limits, and the provider (the caller's own when a PROVIDER) and client given. */
export function checkBookingInput(
  ctx: RequestContext,
  input: Omit<BookSessionCommand, "startsAt">,
): number | undefined {
  checkTextLengths(input);
  const providerId = providerOrCaller(ctx, input.providerId);
  const missing: Record<string, Words> = {};
  if (providerId === undefined) missing.providerId = words`${field("providerId")} is required`;
  if (input.clientId == null && input.treatmentPlanId == null && ctx.viewer.role !== "CLIENT")
    missing.clientId = words`${field("clientId")} or ${field("treatmentPlanId")} is required`;
  throwFieldErrors(missing);
  return providerId;
}

/**
 * The people and plan of a booking (after checkBookingInput and the times): who books whom,
 * provider notes, the provider and client exist, the plan is the client's.
 */
export async function resolveBookingParty(
  ctx: RequestContext,
  input: Omit<BookSessionCommand, "startsAt">,
  providerId: number,
): Promise<BookingParty> {
  const me = ctx.viewer;
  if (me.role === "PROVIDER" && providerId !== me.id)
    throw forbidden(words`${noun("Provider")}s can book ${noun("sessions")} only for themselves`);
  if (me.role === "CLIENT" && input.providerNotes != null)
    throw forbidden(words`${noun("Client")}s cannot write ${noun("provider")} notes`);
  const provider = await getUserWithRole(ctx, providerId, "PROVIDER", "Provider");

  const plan = input.treatmentPlanId != null ? await getTreatmentPlan(ctx, input.treatmentPlanId) : undefined;
  const owner = plan ? await planClient(ctx, plan) : null;
  let clientId: number;
  if (input.clientId != null) clientId = (await getUserWithRole(ctx, input.clientId, "CLIENT", "Client")).id;
  else if (plan) {
    if (!owner) throw badFields({ treatmentPlanId: unmatchedClientMessage(plan) });
    clientId = owner.id;
  } else clientId = me.id;
  if (plan) await planFor(ctx, plan, clientId);

  const addsCare = await checkWhoBooksWhom(ctx, provider.id, clientId, !!owner && owner.id === clientId);
  return { providerId: provider.id, providerTimeZone: provider.timeZone, clientId, plan, addsCare };
}

/** One occurrence of a booking that cannot be made: why, in the words a single booking would have answered. */
export interface RefusedSlot {
  startsAt: Date;
  error: DomainError;
}

/**
 * Every check a booking's slot gets, for many slots at once: overlaps with the provider's and
 * the client's active sessions in one statement (the first conflict of each slot, worded by
 * conflictError's visibility rule) and with the provider's held time in another, sent together
 * (a live hold: SLOT_HELD; a group session: SESSION_OVERLAP), then, for a CLIENT caller,
 * availability, notice and buffer (whyNotBookableForClient) of the slots that are free.
 * Returns the refused ones, in order.
 */
export async function refusedSlots(
  ctx: RequestContext,
  party: BookingParty,
  times: SlotTimes[],
): Promise<RefusedSlot[]> {
  const slots = times.map((t): Slot => ({ providerId: party.providerId, clientId: party.clientId, ...t }));
  const [conflicts, held] = await ctx.db.run((tx) =>
    Promise.all([findConflicts(tx, slots), heldTimeConflicts(tx, slots)]),
  );
  const refused: RefusedSlot[] = [];
  for (const [i, slot] of slots.entries()) {
    if (conflicts[i]) refused.push({ startsAt: slot.startsAt, error: conflictError(ctx, conflicts[i]) });
    else if (held[i]) refused.push({ startsAt: slot.startsAt, error: held[i] });
    else if (ctx.viewer.role === "CLIENT") {
      const reason = await whyNotBookableForClient(ctx, slot);
      if (reason) refused.push({ startsAt: slot.startsAt, error: notBookableForClient(reason) });
    }
  }
  return refused;
}

/**
 * Where the sessions written by writeBookings belong: a series, which of the given times are
 * written after all (`written`: their positions, in order; a plan's authorization, read under
 * its lock, may leave some out) and each written one's 1-based position in the series.
 */
export interface SeriesLink {
  seriesId: number;
  written: number[];
  occurrenceIndexes: number[];
}

/**
 * Writes a booking's sessions (one, or a series' occurrences) in one savepoint behind the
 * tenant's event lock: care (when the booking adds it), one multi-row INSERT, and one BOOKED
 * event per session. The exclusion constraints decide under concurrency: a violation (23P01)
 * is answered by `onConflict` with each slot's conflict as committed now.
 * `series` writes a series' row in the same savepoint; `beforeInsert` runs first in it.
 */
export async function writeBookings(
  ctx: RequestContext,
  party: BookingParty,
  details: BookingDetails,
  times: SlotTimes[],
  options: {
    series?: (tx: Tx) => Promise<SeriesLink>;
    /** Runs first in the savepoint (a booking through a hold consumes it there, so it does not refuse its own insert). */
    beforeInsert?: (tx: Tx) => Promise<void>;
    /** The sessions are seats of this group session (the database counts them against its capacity). */
    groupSessionId?: number;
    events?: (rows: SessionRow[], isInitialConsultation: boolean) => SessionEventInput[];
    /** How a collision at the insert is answered, from each slot's conflict (worded as refusedSlots words them). */
    onConflict?: (refused: RefusedSlot[]) => DomainError;
  } = {},
): Promise<SessionRow[]> {
  const me = ctx.viewer;
  const now = ctx.deps.now();
  const slots = times.map((t): Slot => ({
    providerId: party.providerId,
    clientId: party.clientId,
    ...t,
    groupSessionId: options.groupSessionId,
  }));
  const rows = await guardedWrite(
    ctx,
    slots,
    async (tx) => {
      await options.beforeInsert?.(tx);
      const [earlier] = await tx
        .select({ id: sessions.id })
        .from(sessions)
        .where(
          and(
            eq(sessions.providerId, party.providerId),
            eq(sessions.clientId, party.clientId),
            ne(sessions.status, "CANCELLED"),
          ),
        )
        .limit(1);
      // In the same transaction as the sessions: all or none.
      if (party.addsCare)
        await tx
          .insert(careRelationships)
          .values({ tenantId: ctx.tenant.id, providerId: party.providerId, clientId: party.clientId })
          .onConflictDoNothing();
      const link = options.series ? await options.series(tx) : undefined;
      const written = link ? link.written.map((position) => slots[position]) : slots;
      const inserted = await tx
        .insert(sessions)
        .values(
          written.map((slot, i) => ({
            tenantId: ctx.tenant.id,
            providerId: party.providerId,
            clientId: party.clientId,
            treatmentPlanId: party.plan?.id ?? null,
            title: details.title ?? null,
            description: details.description ?? null,
            type: details.type ?? undefined,
            modality: details.modality ?? undefined,
            location: details.location ?? null,
            startsAt: slot.startsAt,
            endsAt: slot.endsAt,
            notes: details.notes ?? null,
            providerNotes: details.providerNotes ?? null,
            seriesId: link?.seriesId ?? null,
            occurrenceIndex: link?.occurrenceIndexes[i] ?? null,
            groupSessionId: options.groupSessionId ?? null,
            createdBy: me.id,
            updatedBy: me.id,
            createdAt: now,
            updatedAt: now,
          })),
        )
        .returning();
      inserted.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
      const events = options.events
        ? options.events(inserted, !earlier)
        : inserted.map((row, i) => bookedEvent(row, !earlier && i === 0));
      await recordSessionEvents(tx, ctx, events);
      return inserted;
    },
    options.onConflict &&
      ((conflicts) => {
        const refused = slots.flatMap((slot, i) =>
          conflicts[i] ? [{ startsAt: slot.startsAt, error: conflictError(ctx, conflicts[i], slot) }] : [],
        );
        // The winner may be gone again (cancelled since): still a conflict, worded without it.
        return refused.length ? options.onConflict!(refused) : conflictError(ctx, undefined);
      }),
  );
  for (const row of rows) remember(ctx, row);
  return rows;
}

export async function bookSession(ctx: RequestContext, input: BookSessionCommand): Promise<SessionRow> {
  const providerId = checkBookingInput(ctx, input);
  const times = resolveTimes(ctx, input);
  const party = await resolveBookingParty(ctx, input, providerId!);
  const hold = input.holdId != null ? await holdToBookThrough(ctx, input.holdId, party, times) : undefined;
  const slot: Slot = { providerId: party.providerId, clientId: party.clientId, ...times, excludeHoldId: hold?.id };
  // Judged again in the savepoint, where it counts: a hold may expire between here and there.
  let heldAtInsert = hold?.live ?? false;
  try {
    await checkSlotFree(ctx, slot);
    if (ctx.viewer.role === "CLIENT") await assertBookableForClient(ctx, slot);
    const [session] = await writeBookings(ctx, party, input, [times], {
      beforeInsert:
        hold && (async (tx) => void (heldAtInsert = (await endHold(tx, ctx, hold.id, "CONSUMED"))?.live ?? false)),
    });
    return session;
  } catch (err) {
    throw input.holdId != null && !heldAtInsert ? await asHoldExpired(ctx, slot, err) : err;
  }
}

/** A Slot's clientId that names no client: only the provider's sessions count. */
const NO_CLIENT = -1;

/**
 * The friendly check of a write of a provider's time alone (a hold), before the write: their
 * sessions, live holds and group sessions, worded as for a booking. The database still decides.
 */
export async function checkProviderTimeFree(
  ctx: RequestContext,
  slot: SlotTimes & { providerId: number },
): Promise<void> {
  await checkSlotFree(ctx, { ...slot, clientId: NO_CLIENT });
}

/**
 * What a write of a provider's time that meets one of their sessions hears (holdSlot refused by
 * sessions_provider_no_overlap): a booking's SESSION_OVERLAP, worded by conflictError from the
 * session committed now, so it reveals no more than a booking would.
 */
export async function providerSessionConflict(
  ctx: RequestContext,
  slot: SlotTimes & { providerId: number },
): Promise<DomainError> {
  const other = await ctx.db.run((tx) => findConflict(tx, { ...slot, clientId: NO_CLIENT }));
  return conflictError(ctx, other);
}

const HOLD_NOT_BOOKABLE = words`A hold of a group seat cannot be booked as a ${noun("session")}`;
const HOLD_MISMATCH = words`${field("holdId")} holds another ${noun("provider")}, time or ${noun("client")} than this booking`;
const HOLD_TAKEN = words`The hold has expired and the time was taken meanwhile`;

/**
 * The hold a booking names: the caller's own (created by them; another's is NOT_FOUND, as if
 * unknown), for exactly the booking's provider and time, and its client when it names one
 * (else VALIDATION on holdId). A hold that is gone (released, consumed, swept after expiry)
 * blocks nothing: the booking goes on as a normal one, and a conflict becomes HOLD_EXPIRED. An
 * id that never named a hold of this provider (the tenant's events say) is NOT_FOUND.
 */
async function holdToBookThrough(
  ctx: RequestContext,
  holdId: number,
  party: BookingParty,
  times: SlotTimes,
): Promise<{ id: number; live: boolean }> {
  const hold = await ctx.db.run((tx) => findHold(tx, holdId));
  if (!hold) {
    if (!(await ctx.db.run((tx) => holdWasPlaced(tx, party.providerId, holdId)))) throw notFound("SlotHold");
    return { id: holdId, live: false };
  }
  if (hold.createdBy !== ctx.viewer.id) throw hiddenFromCaller("SlotHold");
  if (hold.groupSessionId !== null) throw badInput("holdId", HOLD_NOT_BOOKABLE);
  if (
    hold.providerId !== party.providerId ||
    (hold.clientId !== null && hold.clientId !== party.clientId) ||
    hold.startsAt.getTime() !== times.startsAt.getTime() ||
    hold.endsAt.getTime() !== times.endsAt.getTime()
  )
    throw badInput("holdId", HOLD_MISMATCH);
  return { id: hold.id, live: hold.live };
}

/**
 * A booking through a hold that had expired (or was gone) failed: HOLD_EXPIRED when the
 * provider's time is taken now (a session, a live hold, a group), else the error as it was
 * (the client's own other session, a bad input).
 */
async function asHoldExpired(ctx: RequestContext, slot: Slot, err: unknown): Promise<unknown> {
  if (!(err instanceof DomainError) || err.code !== "CONFLICT") return err;
  const [session, [held]] = await ctx.db.run((tx) =>
    Promise.all([findConflict(tx, { ...slot, clientId: NO_CLIENT }), heldTimeConflicts(tx, [slot])]),
  );
  return session || held ? conflict("HOLD_EXPIRED", HOLD_TAKEN) : err;
}

// ---------------------------------------------------------------- reassigning

/** A session's new people: either or both; what is not given stays. */
export interface ReassignSessionCommand {
  providerId?: number | null;
  clientId?: number | null;
}

/**
 * Moves an active session to another provider and/or client of the tenant (a covering
 * therapist, a booking made under the wrong client): the one rule behind GraphQL's
 * reassignSession and every shim's PUT/PATCH of a session's people.
 *
 * - ADMIN, or the session's provider (others who see it: FORBIDDEN; who cannot: NOT_FOUND).
 * - Only an active session (SCHEDULED, CONFIRMED): else INVALID_TRANSITION.
 * - Unknown ids, or a user of the wrong role: NOT_FOUND Provider / Client, as bookSession.
 * - Re-checked like a booking: who books whom with the new people (an ADMIN's move, or one
 *   through the new client's own plan, puts the client in the new provider's care; a
 *   provider's needs that care already), conflicts of the new provider and client (the
 *   exclusion constraints decide under concurrency, through the booking's conflict path).
 * - A session linked to a treatment plan keeps it only when the plan is the new client's (or
 *   names no client user): another client's plan is refused (OTHER_CLIENTS_PLAN), never
 *   silently dropped; unlink or relink it first with updateSession.
 * - Recorded as a REASSIGNED event naming the previous people (ids only), delivered to both
 *   providers' slotsChanged and to the sessionChanged of everyone who sees the session now.
 * - Neither id given: VALIDATION (providerId). The people it already has: no change, no event.
 * - A provider need not hand over only to themself (bookSession's "for themselves" rule is about
 *   creating sessions); the times stay, so neither "in the past" nor availability is re-checked.
 */
export async function reassignSession(
  ctx: RequestContext,
  id: number,
  change: ReassignSessionCommand,
): Promise<SessionRow> {
  if (change.providerId == null && change.clientId == null)
    throw badFields({ providerId: words`${field("providerId")} or ${field("clientId")} is required` });
  const session = await sessionToManage(ctx, id, "reassign");
  assertActive(session, "reassign", "status");
  assertNotSeat(session, "providerId");
  const providerId =
    change.providerId != null
      ? (await getUserWithRole(ctx, change.providerId, "PROVIDER", "Provider")).id
      : session.providerId;
  const clientId =
    change.clientId != null ? (await getUserWithRole(ctx, change.clientId, "CLIENT", "Client")).id : session.clientId;
  if (providerId === session.providerId && clientId === session.clientId) return session;

  const plan = session.treatmentPlanId !== null ? await getTreatmentPlan(ctx, session.treatmentPlanId) : undefined;
  const owner = plan ? await planClient(ctx, plan) : null;
  if (plan && clientId !== session.clientId) await planFor(ctx, plan, clientId);
  const addsCare = await checkWhoBooksWhom(ctx, providerId, clientId, !!owner && owner.id === clientId);
  const slot: Slot = {
    providerId,
    clientId,
    startsAt: session.startsAt,
    endsAt: session.endsAt,
    excludeSessionId: session.id,
  };
  await checkSlotFree(ctx, slot);

  const me = ctx.viewer;
  const updated = await guardedWrite(ctx, slot, async (tx) => {
    const [locked] = await tx.select().from(sessions).where(eq(sessions.id, session.id)).for("update");
    if (!locked) throw notFound("Session");
    // What was checked on the loaded row holds for the locked one (a concurrent change may have moved it).
    if (!canManageSession(ctx.viewer, locked))
      throw forbidden(words`Only the ${noun("session")}'s ${noun("provider")} or an administrator can reassign it`);
    assertActive(locked, "reassign", "status");
    if (addsCare)
      await tx
        .insert(careRelationships)
        .values({ tenantId: ctx.tenant.id, providerId, clientId })
        .onConflictDoNothing();
    const [row] = await tx
      .update(sessions)
      .set({ providerId, clientId, updatedAt: ctx.deps.now(), updatedBy: me.id })
      .where(eq(sessions.id, locked.id))
      .returning();
    await recordSessionEvent(tx, ctx, reassignedEvent(row, locked, me.id));
    return row;
  });
  return remember(ctx, updated);
}

// ---------------------------------------------------------------- changes

/** Hours between the cancellation and the start, 2 decimals (negative when cancelled after the start). */
export function noticeHours(session: Pick<SessionRow, "startsAt">, cancelledAt: Date): number {
  return Math.round(((session.startsAt.getTime() - cancelledAt.getTime()) * 100) / HOUR) / 100;
}

/** A session's cancellation, or null when it is not cancelled. */
export function cancellationOf(session: SessionRow) {
  if (session.status !== "CANCELLED" || !session.cancelledAt) return null;
  return {
    cancelledAt: session.cancelledAt,
    cancelledById: session.cancelledBy,
    reason: session.cancellationReason,
    noticeHours: noticeHours(session, session.cancelledAt),
  };
}

type SessionValues = Partial<Omit<SessionRow, "id" | "tenantId" | "providerId" | "clientId">>;

interface Change {
  /** For messages: "update", "reschedule", "cancel", ... */
  action: string;
  /** A transition, checked against the state machine. */
  to?: SessionStatus;
  times?: NewTimes;
  set?: SessionValues;
  /** A reschedule's or cancellation's reason. */
  reason?: string | null;
}

/** The state rules of a change (run on the loaded row for an early answer, and again on the locked row). */
function checkState(session: SessionRow, change: Change, moves: boolean): void {
  if (change.to) assertTransition(session, change.to, change.action);
  else assertEditable(session, change.action);
  if (moves) assertReschedulable(session);
  if (moves) assertNotSeat(session, "startsAt");
}

/**
 * A group seat has its group's provider and time (sessions_seat_matches_group decides it in the
 * database): it is not moved or handed over alone. This is the friendly answer before the write.
 */
function assertNotSeat(session: SessionRow, field: string): void {
  if (session.groupSessionId !== null) throw badInput(field, SEAT_MOVES_WITH_GROUP, "INVALID_TRANSITION");
}

const sameTime = (a: Date, b: Date) => a.getTime() === b.getTime();

/**
 * Every change of an existing session goes through here: the state machine, the new times
 * (same rules and conflicts as booking), the write and its outbox events, in one savepoint
 * with the row locked so concurrent changes see each other.
 */
async function applyChange(ctx: RequestContext, session: SessionRow, change: Change): Promise<SessionRow> {
  const me = ctx.viewer;
  const now = ctx.deps.now();
  const length = session.endsAt.getTime() - session.startsAt.getTime();
  // Times that stay as they are (a legacy PATCH echoing them) are no reschedule, even in the past.
  const given = change.times ? resolveTimes(ctx, change.times, length, false) : undefined;
  const moves =
    change.action === "reschedule" ||
    (!!given && !(sameTime(given.startsAt, session.startsAt) && sameTime(given.endsAt, session.endsAt)));
  const times = moves && change.times ? resolveTimes(ctx, change.times, length) : given;
  checkState(session, change, moves);
  const slot: Slot | undefined =
    moves && times
      ? { providerId: session.providerId, clientId: session.clientId, ...times, excludeSessionId: session.id }
      : undefined;
  if (slot) await checkSlotFree(ctx, slot);
  if (slot && me.role === "CLIENT") await assertBookableForClient(ctx, slot);

  const updated = await guardedWrite(ctx, slot, async (tx) => {
    const [locked] = await tx.select().from(sessions).where(eq(sessions.id, session.id)).for("update");
    if (!locked) throw notFound("Session");
    checkState(locked, change, moves);
    const set: SessionValues = { ...change.set, updatedAt: now, updatedBy: me.id };
    if (slot) Object.assign(set, { startsAt: slot.startsAt, endsAt: slot.endsAt });
    const to = change.to;
    if (to) set.status = to;
    if (to === "CANCELLED")
      Object.assign(set, { cancelledAt: now, cancelledBy: me.id, cancellationReason: change.reason ?? null });
    const actualStart = set.actualStart !== undefined ? set.actualStart : locked.actualStart;
    const actualEnd = set.actualEnd !== undefined ? set.actualEnd : locked.actualEnd;
    if (actualStart && actualEnd && actualEnd.getTime() <= actualStart.getTime()) {
      throw badFields({
        actualEnd: fieldError(words`${field("actualEnd")} must be after ${field("actualStart")}`, "ENDS_BEFORE_START"),
      });
    }

    const [row] = await tx.update(sessions).set(set).where(eq(sessions.id, locked.id)).returning();
    const events: SessionEventInput[] = [];
    if (slot) events.push(rescheduledEvent(row, locked, me.id));
    if (to === "CANCELLED") events.push(cancelledEvent(row, noticeHours(row, now)));
    else if (to === "COMPLETED" || to === "NO_SHOW") events.push(completedEvent(row, now));
    const changed = Object.keys(change.set ?? {}).filter(
      (k) => (change.set as Record<string, unknown>)[k] !== undefined,
    );
    if (to === "CONFIRMED" || (!events.length && changed.length))
      events.push(updatedEvent(row, to ? ["status", ...changed] : changed));
    for (const event of events) await recordSessionEvent(tx, ctx, event);
    return row;
  });
  return remember(ctx, updated);
}

/** Moves a session (SCHEDULED or CONFIRMED) to a new time: its provider, an ADMIN, or its client (within availability). */
export async function rescheduleSession(
  ctx: RequestContext,
  id: number,
  times: NewTimes,
  reason?: string | null,
): Promise<SessionRow> {
  checkTextLengths({ reason });
  const session = await getVisibleSession(ctx, id);
  return applyChange(ctx, session, { action: "reschedule", times, reason });
}

/** Cancels a session and frees its slot: its provider, an ADMIN, or its client. */
export async function cancelSession(ctx: RequestContext, id: number, reason?: string | null): Promise<SessionRow> {
  checkTextLengths({ reason });
  const session = await getVisibleSession(ctx, id);
  return applyChange(ctx, session, { action: "cancel", to: "CANCELLED", reason: reason?.trim() || null });
}

export async function confirmSession(ctx: RequestContext, id: number): Promise<SessionRow> {
  return applyChange(ctx, await sessionToManage(ctx, id, "confirm"), { action: "confirm", to: "CONFIRMED" });
}

export async function completeSession(
  ctx: RequestContext,
  id: number,
  input: CompleteSessionCommand = {},
): Promise<SessionRow> {
  checkTextLengths(input);
  const session = await sessionToManage(ctx, id, "complete");
  return applyChange(ctx, session, { action: "complete", to: "COMPLETED", set: definedOnly(input) });
}

export async function markNoShow(ctx: RequestContext, id: number): Promise<SessionRow> {
  return applyChange(ctx, await sessionToManage(ctx, id, "mark as a no-show"), {
    action: "mark as a no-show",
    to: "NO_SHOW",
  });
}

/** Fields a CLIENT may change through updateSession: the time, and cancelling. */
const CLIENT_FIELDS = new Set(["startsAt", "endsAt", "durationMinutes", "status"]);

/**
 * A partial update: only the fields given change. New times follow the reschedule rules, a new
 * status the state machine (CANCELLED records the cancellation); final sessions refuse all.
 */
export async function updateSession(ctx: RequestContext, id: number, input: UpdateSessionCommand): Promise<SessionRow> {
  checkTextLengths(input);
  const session = await getVisibleSession(ctx, id);
  const given = definedOnly(input);
  if (!canManageSession(ctx.viewer, session)) {
    const other = Object.keys(given).filter((k) => !CLIENT_FIELDS.has(k));
    if (other.length || (given.status && given.status !== "CANCELLED" && given.status !== session.status)) {
      throw forbidden(words`${noun("Client")}s can only reschedule or cancel their ${noun("sessions")}`);
    }
  }
  const { startsAt, endsAt, durationMinutes, status, treatmentPlanId, ...set } = given;
  if (status === null) throw badFields({ status: words`${field("status")} cannot be null` });
  for (const key of ["type", "modality"] as const)
    if (set[key] === null) throw badFields({ [key]: words`${field(key)} cannot be null` });
  const values: SessionValues = set as SessionValues;
  if (treatmentPlanId !== undefined)
    values.treatmentPlanId =
      treatmentPlanId === null
        ? null
        : (await planFor(ctx, await getTreatmentPlan(ctx, treatmentPlanId), session.clientId)).id;
  const newTimes = startsAt != null || endsAt != null || durationMinutes != null;
  return applyChange(ctx, session, {
    action: status === "CANCELLED" ? "cancel" : "update",
    // Echoing the current status is no transition.
    to: status && status !== session.status ? status : undefined,
    times: newTimes ? { startsAt: startsAt ?? session.startsAt, endsAt, durationMinutes } : undefined,
    set: values,
  });
}

const IS_RECORD = words`Completed and no-show ${noun("sessions")} are clinical records and cannot be deleted; cancel or amend the ${noun("session")} instead`;
const HAS_DETAILS = words`This ${noun("session")} has treatment details recorded and cannot be deleted; cancel or amend the ${noun("session")} instead`;

/** The friendly form of the rule; treatment_details_session_fk (ON DELETE RESTRICT) guards it against races. */
async function assertDeletable(tx: Tx, session: SessionRow): Promise<void> {
  if (RECORD_STATUSES.includes(session.status)) throw new DomainError("HAS_RECORDS", IS_RECORD);
  // Soft-deleted details count too: they are still part of the record.
  const [detail] = await tx
    .select({ id: treatmentDetails.id })
    .from(treatmentDetails)
    .where(eq(treatmentDetails.sessionId, session.id))
    .limit(1);
  if (detail) throw new DomainError("HAS_RECORDS", HAS_DETAILS);
}

/**
 * Permanent, for bookings made in error: its provider or an ADMIN, and never a clinical record
 * (completed, no-show, or with treatment details). The outbox still hears of it (UPDATED,
 * deleted: true) so calendars free the slot.
 */
export async function deleteSession(ctx: RequestContext, id: number): Promise<boolean> {
  const session = await sessionToManage(ctx, id, "delete");
  await ctx.db
    .atomic(async (tx) => {
      const [locked] = await tx.select().from(sessions).where(eq(sessions.id, session.id)).for("update");
      if (!locked) throw notFound("Session");
      await assertDeletable(tx, locked);
      const [row] = await tx.delete(sessions).where(eq(sessions.id, locked.id)).returning();
      await recordSessionEvent(tx, ctx, updatedEvent(row, [], { deleted: true }));
    })
    .catch((err: unknown) => {
      // A detail recorded between the check and the delete: the foreign key refuses it (RESTRICT: 23001 on PostgreSQL 18, 23503 before).
      const pg = pgErrorOf(err);
      if ((pg?.code === "23001" || pg?.code === "23503") && pg.constraint === "treatment_details_session_fk")
        throw new DomainError("HAS_RECORDS", HAS_DETAILS);
      throw err;
    });
  ctx.loaders.get(sessionById).clear(id);
  return true;
}

function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------- many sessions at once (series)

/**
 * Cancels the given sessions that are still active (SCHEDULED or CONFIRMED) in one statement,
 * as cancelSession records a cancellation (who, when, reason) and its CANCELLED event; others
 * (history) are left as they are. Run inside the caller's savepoint; the caller checked who may.
 */
export async function cancelActiveSessions(
  tx: Tx,
  ctx: RequestContext,
  ids: number[],
  reason: string | null,
): Promise<SessionRow[]> {
  if (!ids.length) return [];
  const now = ctx.deps.now();
  const rows = await tx
    .update(sessions)
    .set({
      status: "CANCELLED",
      cancelledAt: now,
      cancelledBy: ctx.viewer.id,
      cancellationReason: reason?.trim() || null,
      updatedAt: now,
      updatedBy: ctx.viewer.id,
    })
    .where(and(anyId(sessions.id, ids), isActiveSql()))
    .returning();
  rows.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  await recordSessionEvents(
    tx,
    ctx,
    rows.map((row) => cancelledEvent(row, noticeHours(row, now))),
  );
  for (const row of rows) remember(ctx, row);
  return rows;
}
