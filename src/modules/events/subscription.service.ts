import { badInput, field, forbidden, noun, words } from "../../errors.js";
import { mapIterator } from "../../async-iterators.js";
import type { RequestContext } from "../context.js";
import {
  getProvider,
  MAX_SLOT_RANGE_DAYS,
  slotsForProviders,
  validateRange,
  type DaySlots,
} from "../availability/index.js";
import { datesTouchedBy, DEFAULT_DURATIONS, localDaysInRange, type Interval } from "../availability/index.js";
import { canSeeSession } from "../../rules/session-visibility.js";
import type { SessionRow } from "../../db/schema/index.js";
import { MINUTE } from "../../time.js";
import { eventCursor, parseEventCursor } from "./event-cursor.js";
import type { DomainEvent } from "./dispatcher.js";
import { isSessionEventType, type SessionEventType } from "./outbox.js";

/** What a slotsChanged subscriber receives. */
export interface SlotsChangeResult {
  providerId: number;
  /** The local dates (in the subscribed range) whose slots the change touched. */
  dates: string[];
  /** The session event behind it; null for an availability change, a hold or a group session. */
  reason: SessionEventType | null;
  /** The recomputed slots of exactly those dates. */
  days: DaySlots[];
  cursor: string;
}

export interface SessionEventResult {
  id: number;
  type: SessionEventType;
  occurredAt: Date;
  session: SessionRow;
  cursor: string;
}

const LONGEST_DEFAULT_DURATION = Math.max(...DEFAULT_DURATIONS) * MINUTE;

/**
 * A cursor as the event id it names, which must still be retained: events older than
 * EVENT_RETENTION_DAYS are pruned, so what followed an older cursor may be gone, and the client
 * must resync (read the current state, then subscribe without after) rather than miss it silently.
 */
async function retainedCursor(ctx: RequestContext, after: string | null | undefined): Promise<number | undefined> {
  if (after == null) return undefined;
  const id = parseEventCursor(after);
  if (!(await ctx.deps.events.cursorRetained(ctx.tenant.id, id))) {
    const days = ctx.deps.config.eventRetentionDays;
    throw badInput(
      "after",
      words`${field("after")} is older than the event retention (${days} days) or was never issued: resync (read the current state) and subscribe without ${field("after")}`,
      "INVALID_CURSOR",
    );
  }
  return id;
}

/**
 * A provider's slots as they change. Every committed booking, reschedule, cancellation,
 * completion, no-show or availability change of the provider that touches a date in
 * from..to yields those dates and their recomputed slots (as availableSlots without a
 * client). The slots of one event are computed once for all subscribers of this instance.
 */
export async function watchSlots(
  ctx: RequestContext,
  input: { providerId: number; from: string; to?: string | null; after?: string | null },
): Promise<AsyncIterableIterator<SlotsChangeResult>> {
  const range = validateRange(input.from, input.to);
  await getProvider(ctx, input.providerId);
  const after = await retainedCursor(ctx, input.after);
  const events = ctx.deps.events.stream(ctx.tenant.id, { providerId: input.providerId }, after);
  return mapIterator(events, (event) =>
    ctx.deps.events.shared(`slots:${event.id}:${input.providerId}:${range.from}:${range.to}`, () =>
      slotsChange(ctx, event, input.providerId, range),
    ),
  );
}

async function slotsChange(
  ctx: RequestContext,
  event: DomainEvent,
  providerId: number,
  range: { from: string; to: string },
): Promise<SlotsChangeResult | undefined> {
  const provider = await getProvider(ctx, providerId);
  const touched = touchedDates(event, provider.timeZone, provider.bufferMinutes * MINUTE);
  const dates =
    touched === "all"
      ? localDaysInRange(range.from, range.to, MAX_SLOT_RANGE_DAYS)
      : touched.filter((d) => d >= range.from && d <= range.to);
  if (dates.length === 0) return undefined;
  const [slots] = await slotsForProviders(ctx, [providerId], dates[0], dates[dates.length - 1]);
  const wanted = new Set(dates);
  return {
    providerId,
    dates,
    reason: isSessionEventType(event.type) ? event.type : null,
    days: slots.days.filter((day) => wanted.has(day.date)),
    cursor: eventCursor(event.id),
  };
}

/** The provider's local dates an event can change, all dates of the range for rule and settings changes. */
function touchedDates(event: DomainEvent, zone: string, buffer: number): string[] | "all" {
  const payload = event.payload as {
    allDates?: boolean;
    dates?: string[];
    startsAt?: string;
    endsAt?: string;
    previousStartsAt?: string;
    previousEndsAt?: string;
    /** A series booking's first event lists every occurrence's interval: its dates are delivered once, there. */
    seriesIntervals?: { startsAt: string; endsAt: string }[];
    /** The series booking's other events: their dates came with the first. */
    datesWithFirst?: boolean;
  };
  if (event.type === "AVAILABILITY_CHANGED") return payload.allDates ? "all" : (payload.dates ?? []);
  if (payload.datesWithFirst) return [];
  const intervals: Interval[] = (payload.seriesIntervals ?? []).map((i) => ({
    start: Date.parse(i.startsAt),
    end: Date.parse(i.endsAt),
  }));
  if (payload.startsAt && payload.endsAt)
    intervals.push({ start: Date.parse(payload.startsAt), end: Date.parse(payload.endsAt) });
  if (payload.previousStartsAt && payload.previousEndsAt)
    intervals.push({ start: Date.parse(payload.previousStartsAt), end: Date.parse(payload.previousEndsAt) });
  return datesTouchedBy(intervals, zone, LONGEST_DEFAULT_DURATION + buffer, buffer);
}

/**
 * Session events as they commit, each with the session's state at delivery (never an old
 * version of its text), filtered like the sessions query: a CLIENT sees only their
 * own sessions, a PROVIDER the sessions they give or take, an ADMIN all of the tenant's.
 */
export async function watchSessions(
  ctx: RequestContext,
  input: { providerId?: number; clientId?: number; after?: string | null },
): Promise<AsyncIterableIterator<SessionEventResult>> {
  const me = ctx.viewer;
  if (me.role === "CLIENT" && input.clientId !== undefined && input.clientId !== me.id)
    throw forbidden(words`A ${noun("client")} can only follow their own ${noun("sessions")}`);
  const after = await retainedCursor(ctx, input.after);
  // Visibility in the filter (and so in the replay's SQL): a PROVIDER or CLIENT only reads events of their own sessions.
  const involving = me.role === "ADMIN" ? undefined : me.id;
  const events = ctx.deps.events.stream(
    ctx.tenant.id,
    { providerId: input.providerId, clientId: input.clientId, involving, sessionsOnly: true },
    after,
  );
  return mapIterator(events, async (event) => {
    // event.session is the session's current state (or a deleted one's ids, times and status), checked again as it is now.
    if (!event.session || !isSessionEventType(event.type) || !canSeeSession(ctx.viewer, event.session))
      return undefined;
    return {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      session: event.session,
      cursor: eventCursor(event.id),
    };
  });
}
