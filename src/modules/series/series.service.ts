import { and, asc, count, eq, gt, gte, sql } from "drizzle-orm";
import { sessions, sessionSeries, type SessionRow, type SessionSeriesRow } from "../../db/schema/index.js";
import {
  badFields,
  DomainError,
  field,
  fieldError,
  forbidden,
  hiddenFromCaller,
  notFound,
  noun,
  words,
  type ErrorReason,
  type FieldError,
  type Words,
  nullWhenNotFound,
} from "../../errors.js";
import { canManageSession, canSeeSession, visibleSessionsWhere } from "../../rules/session-visibility.js";
import { isActiveSql } from "../../rules/session-states.js";
import { checkTextLengths } from "../../text-limits.js";
import { DAY, MINUTE } from "../../time.js";
import type { RequestContext } from "../context.js";
import {
  bookedEvent,
  cancelActiveSessions,
  checkBookingInput,
  listSessions,
  refusedSlots,
  resolveBookingParty,
  writeBookings,
  type BookingDetails,
  type BookingParty,
  type BookSessionCommand,
  type RefusedSlot,
  type SessionConnectionResult,
  type SlotTimes,
} from "../sessions/index.js";
import { endRuleBefore, expandRecurrence, parseRecurrence } from "./recurrence.js";
import { seriesById } from "./series.loaders.js";
import { lockPlanAuthorization, refusedByAuthorization } from "../treatment-plans/index.js";

export type SeriesConflictPolicy = "ALL_OR_NOTHING" | "SKIP_CONFLICTS";
export type SeriesStatus = "ACTIVE" | "ENDED" | "CANCELLED";

export interface BookSeriesCommand extends Omit<BookSessionCommand, "endsAt" | "durationMinutes"> {
  durationMinutes: number;
  recurrence: string;
  conflictPolicy?: SeriesConflictPolicy | null;
}

/** One occurrence that was not booked, and why (worded as a single booking would be). */
export interface SkippedOccurrence {
  startsAt: Date;
  reason: ErrorReason;
  message: string;
  conflictingSessionId: number | null;
}

export interface SeriesBookingResult {
  series: SessionSeriesRow;
  sessions: SessionRow[];
  skipped: SkippedOccurrence[];
}

export interface OccurrencePreview {
  startsAt: Date;
  endsAt: Date;
  bookable: boolean;
  reason: ErrorReason | null;
  conflictingSessionId: number | null;
}

/** A rule's occurrences for a booking: each one's 1-based index in the rule and its interval. */
interface Occurrence extends SlotTimes {
  index: number;
}

interface PlannedSeries {
  party: BookingParty;
  recurrence: string;
  occurrences: Occurrence[];
}

/** A session lasts at most a day (as bookSession's rule). */
const MAX_MINUTES = DAY / MINUTE;

/**
 * The checks of a series before any occurrence is: a single booking's input checks and
 * people (who books whom, the plan's client), a whole number of minutes up to a day that ends
 * before the next occurrence starts, a rule of the supported subset expanded in the provider's
 * zone, and a first occurrence not in the past.
 */
async function planSeries(ctx: RequestContext, input: BookSeriesCommand): Promise<PlannedSeries> {
  const providerId = checkBookingInput(ctx, input);
  const errors: Record<string, FieldError | Words> = {};
  const minutes = input.durationMinutes;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_MINUTES)
    errors.durationMinutes = words`${field("durationMinutes")} must be a whole number from 1 to ${MAX_MINUTES}`;
  if (input.startsAt.getTime() < ctx.deps.now().getTime())
    errors.startsAt = fieldError(words`${field("startsAt")} must not be in the past`, "IN_THE_PAST");
  if (Object.keys(errors).length) throw badFields(errors);
  const recurrence = parseRecurrence(input.recurrence);
  const party = await resolveBookingParty(ctx, input, providerId!);
  const starts = expandRecurrence(recurrence, input.startsAt, party.providerTimeZone);
  const occurrences = starts.map((start, i) => ({
    index: i + 1,
    startsAt: start,
    endsAt: new Date(start.getTime() + minutes * MINUTE),
  }));
  for (let i = 1; i < occurrences.length; i++) {
    if (occurrences[i - 1].endsAt.getTime() > occurrences[i].startsAt.getTime())
      throw badFields({
        durationMinutes: words`${field("durationMinutes")} does not fit: an occurrence would end after the next one starts (${occurrences[i].startsAt.toISOString()})`,
      });
  }
  return { party, recurrence: recurrence.rule, occurrences };
}

const skippedOf = (refused: RefusedSlot): SkippedOccurrence => ({
  startsAt: refused.startsAt,
  reason: refused.error.reason,
  message: refused.error.message,
  conflictingSessionId: refused.error.details.conflictingSessionId ?? null,
});

/**
 * ALL_OR_NOTHING's answer: the first failing occurrence's error (its code, reason and message),
 * listing every failing occurrence in `occurrences`.
 */
function seriesRefused(refused: RefusedSlot[]): DomainError {
  const first = refused[0].error;
  return new DomainError(first.reason, first.words, {
    ...first.details,
    occurrences: refused.map((r) => ({
      startsAt: r.startsAt,
      reason: r.error.reason,
      conflictingSessionId: r.error.details.conflictingSessionId,
    })),
  });
}

/** The occurrences that passed every check, in order. */
function bookable(planned: PlannedSeries, refused: RefusedSlot[]): Occurrence[] {
  const refusedAt = new Set(refused.map((r) => r.startsAt.getTime()));
  return planned.occurrences.filter((o) => !refusedAt.has(o.startsAt.getTime()));
}

/**
 * Books every occurrence of a rule as ordinary sessions, each checked like bookSession (one
 * statement for all overlaps; availability for a CLIENT), in one transaction: the series row,
 * one multi-row INSERT and one BOOKED event per occurrence. ALL_OR_NOTHING (default) books
 * nothing when any occurrence fails; SKIP_CONFLICTS books the others, lists the failures in
 * `skipped` and keeps their starts as the series' exceptions. The exclusion constraints decide
 * under concurrency: a collision at the insert is answered like a failed check (all or nothing).
 */
export async function bookSeries(ctx: RequestContext, input: BookSeriesCommand): Promise<SeriesBookingResult> {
  const planned = await planSeries(ctx, input);
  const refused = await refusedSlots(ctx, planned.party, planned.occurrences);
  const policy = input.conflictPolicy ?? "ALL_OR_NOTHING";
  if (refused.length && (policy === "ALL_OR_NOTHING" || refused.length === planned.occurrences.length))
    throw seriesRefused(refused);
  const kept = bookable(planned, refused);
  let series!: SessionSeriesRow;
  const booked = await writeBookings(ctx, planned.party, input as BookingDetails, kept, {
    series: async (tx) => {
      // The plan's authorization, under its lock (after the tenant's, as every session write
      // takes them): what it refuses is skipped, or refuses the whole series.
      const overdrawn = planned.party.plan
        ? refusedByAuthorization(await lockPlanAuthorization(tx, planned.party.plan.id, planned.party.providerId), kept)
        : new Map<Occurrence, DomainError>();
      if (overdrawn.size) {
        refused.push(...[...overdrawn].map(([o, error]) => ({ startsAt: o.startsAt, error })));
        refused.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
        if (policy === "ALL_OR_NOTHING" || overdrawn.size === kept.length) throw seriesRefused(refused);
      }
      const written = kept.flatMap((o, position) => (overdrawn.has(o) ? [] : [{ o, position }]));
      [series] = await tx
        .insert(sessionSeries)
        .values({
          tenantId: ctx.tenant.id,
          providerId: planned.party.providerId,
          clientId: planned.party.clientId,
          treatmentPlanId: planned.party.plan?.id ?? null,
          recurrence: planned.recurrence,
          timeZone: planned.party.providerTimeZone,
          startsAt: input.startsAt,
          durationMinutes: input.durationMinutes,
          exceptions: refused.map((r) => r.startsAt),
          createdBy: ctx.viewer.id,
          createdAt: ctx.deps.now(),
          updatedAt: ctx.deps.now(),
        })
        .returning();
      ctx.loaders.get(seriesById).prime(series.id, series);
      return {
        seriesId: series.id,
        written: written.map((w) => w.position),
        occurrenceIndexes: written.map((w) => w.o.index),
      };
    },
    events: (rows, isInitialConsultation) => seriesBookedEvents(series.id, rows, isInitialConsultation),
    onConflict: seriesRefused,
  });
  return { series, sessions: booked, skipped: refused.map(skippedOf) };
}

/**
 * One BOOKED event per occurrence (the ordinary one: subscribers and shims see ordinary
 * bookings), all naming the series. The first has the series.booked semantics: `seriesBooked`
 * and every occurrence's interval, so slotsChanged delivers the series' dates once, there; the
 * others say their dates came with it (`datesWithFirst`). Ids and times only, never text.
 */
function seriesBookedEvents(seriesId: number, rows: SessionRow[], isInitialConsultation: boolean) {
  return rows.map((row, i) => {
    const event = bookedEvent(row, isInitialConsultation && i === 0);
    const series =
      i === 0
        ? {
            seriesBooked: true,
            seriesIntervals: rows.map((r) => ({ startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString() })),
          }
        : { datesWithFirst: true };
    return {
      ...event,
      payload: { ...event.payload, seriesId, occurrenceIndex: row.occurrenceIndex, ...series },
    };
  });
}

/** The occurrences of a rule and whether each could be booked now, without writing anything. */
export async function previewSeries(ctx: RequestContext, input: BookSeriesCommand): Promise<OccurrencePreview[]> {
  const planned = await planSeries(ctx, input);
  const refused = new Map(
    (await refusedSlots(ctx, planned.party, planned.occurrences)).map((r) => [r.startsAt.getTime(), r]),
  );
  // What the plan's authorization would refuse among the otherwise bookable ones (as bookSeries decides it).
  if (planned.party.plan) {
    const plan = planned.party.plan;
    const authorization = await ctx.db.run((tx) => lockPlanAuthorization(tx, plan.id, planned.party.providerId));
    const candidates = planned.occurrences.filter((o) => !refused.has(o.startsAt.getTime()));
    for (const [o, error] of refusedByAuthorization(authorization, candidates))
      refused.set(o.startsAt.getTime(), { startsAt: o.startsAt, error });
  }
  return planned.occurrences.map((o) => {
    const why = refused.get(o.startsAt.getTime());
    return {
      startsAt: o.startsAt,
      endsAt: o.endsAt,
      bookable: !why,
      reason: why?.error.reason ?? null,
      conflictingSessionId: why?.error.details.conflictingSessionId ?? null,
    };
  });
}

// ---------------------------------------------------------------- reading

/** A series the caller sees: as its sessions, an ADMIN all, a provider or client their own; others NOT_FOUND. */
export async function getVisibleSeries(ctx: RequestContext, id: number): Promise<SessionSeriesRow> {
  const row = await ctx.loaders.get(seriesById).load(id);
  if (!row) throw notFound("Series");
  if (!canSeeSession(ctx.viewer, row)) throw hiddenFromCaller("Series");
  return row;
}

/** A series by id, or null when none or hidden (a field that may be null). */
export async function findVisibleSeries(ctx: RequestContext, id: number | null): Promise<SessionSeriesRow | null> {
  if (id === null) return null;
  return nullWhenNotFound(getVisibleSeries(ctx, id));
}

/** The series of a plan the caller sees, by first start. */
export async function seriesOfPlan(ctx: RequestContext, planId: number): Promise<SessionSeriesRow[]> {
  const rows = await ctx.db.run((tx) =>
    tx
      .select()
      .from(sessionSeries)
      .where(eq(sessionSeries.treatmentPlanId, planId))
      .orderBy(asc(sessionSeries.startsAt), asc(sessionSeries.id)),
  );
  return rows.filter((row) => canSeeSession(ctx.viewer, row));
}

/**
 * Follows the occurrences: ACTIVE while one is upcoming and active, CANCELLED when every one
 * was cancelled, ENDED otherwise.
 */
export async function seriesStatus(ctx: RequestContext, series: SessionSeriesRow): Promise<SeriesStatus> {
  const [row] = await ctx.db.run((tx) =>
    tx
      .select({
        total: count(),
        upcoming:
          sql<number>`count(*) filter (where ${and(isActiveSql(), gt(sessions.startsAt, ctx.deps.now()))})`.mapWith(
            Number,
          ),
        cancelled: sql<number>`count(*) filter (where ${sessions.status} = 'CANCELLED')`.mapWith(Number),
      })
      .from(sessions)
      .where(eq(sessions.seriesId, series.id)),
  );
  if (row.upcoming > 0) return "ACTIVE";
  if (row.total > 0 && row.cancelled === row.total) return "CANCELLED";
  return "ENDED";
}

/** The next SCHEDULED or CONFIRMED occurrence (from now), or null. */
export async function nextSessionOf(ctx: RequestContext, series: SessionSeriesRow): Promise<SessionRow | null> {
  const [row] = await ctx.db.run((tx) =>
    tx
      .select()
      .from(sessions)
      .where(
        and(
          eq(sessions.seriesId, series.id),
          isActiveSql(),
          gt(sessions.endsAt, ctx.deps.now()),
          visibleSessionsWhere(ctx.viewer),
        ),
      )
      .orderBy(asc(sessions.startsAt), asc(sessions.id))
      .limit(1),
  );
  return row ?? null;
}

/** Its occurrences in order, every status: the sessions connection filtered to the series. */
export function sessionsOfSeries(
  ctx: RequestContext,
  series: SessionSeriesRow,
  args: { first?: number | null; after?: string | null },
): Promise<SessionConnectionResult> {
  return listSessions(ctx, { seriesId: series.id }, undefined, args);
}

// ---------------------------------------------------------------- cancelling

/**
 * Cancels the series from `from` (default now): every SCHEDULED or CONFIRMED occurrence
 * starting at or after it (each as cancelSession would: who, when, reason, its event) and ends
 * the rule just before it (UNTIL), so the rule stays true to what is booked. Earlier occurrences
 * and history stay. Its provider, an ADMIN or its client (as cancelSession).
 */
export async function cancelSeries(
  ctx: RequestContext,
  id: number,
  reason?: string | null,
  from?: Date | null,
): Promise<SessionSeriesRow> {
  checkTextLengths({ reason });
  const series = await getVisibleSeries(ctx, id);
  if (!canManageSession(ctx.viewer, series) && series.clientId !== ctx.viewer.id)
    throw forbidden(words`Only the ${noun("provider")}, the ${noun("client")} or an administrator can cancel a series`);
  const start = from ?? ctx.deps.now();
  return ctx.db.atomic(async (tx) => {
    const [locked] = await tx.select().from(sessionSeries).where(eq(sessionSeries.id, series.id)).for("update");
    if (!locked) throw notFound("Series");
    const ids = await tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.seriesId, series.id), isActiveSql(), gte(sessions.startsAt, start)))
      .for("update");
    await cancelActiveSessions(
      tx,
      ctx,
      ids.map((r) => r.id),
      reason ?? null,
    );
    const [updated] = await tx
      .update(sessionSeries)
      .set({ recurrence: endRuleBefore(locked.recurrence, start), updatedAt: ctx.deps.now() })
      .where(eq(sessionSeries.id, series.id))
      .returning();
    ctx.loaders.get(seriesById).clear(series.id).prime(series.id, updated);
    return updated;
  });
}
