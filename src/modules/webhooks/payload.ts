import type { DomainEventRow } from "../../db/schema/index.js";

/** The event types an endpoint may subscribe to (the contract's list, schema-outline Part 2). */
export const WEBHOOK_EVENT_TYPES = [
  "session.booked",
  "session.rescheduled",
  "session.cancelled",
  "session.completed",
  "session.no_show",
  "session.updated",
  "series.booked",
  "availability.changed",
  "waitlist.offered",
  "waitlist.booked",
  "group.seat_taken",
  "group.seat_released",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const isWebhookEventType = (type: string): type is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);

/** What a delivery sends: `{ type, timestamp, data }`, fixed when the delivery is created. */
export interface WebhookBody {
  type: WebhookEventType;
  /** When the event happened (ISO 8601, UTC). */
  timestamp: string;
  data: Record<string, unknown>;
}

/** Ids as GraphQL's ID gives them: decimal strings. */
const id = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/**
 * The webhook an outbox event becomes, or null for events no receiver subscribes to (holds,
 * other waitlist changes, a group's creation or cancellation — its seats' cancellations are
 * group.seat_released —, user changes, and a series' later occurrences, which come with the
 * first one's series.booked). Each event is one webhook type, so its id is the webhook-id.
 *
 * Built from the outbox row alone, key by key: the outbox holds no clinical text, and nothing
 * here copies a key it does not name, so no note, feedback, title, description or reason can
 * reach a receiver even if a payload grew one.
 */
export function webhookOf(event: DomainEventRow): WebhookBody | null {
  const p = event.payload;
  const body = (type: WebhookEventType, data: Record<string, unknown>): WebhookBody => ({
    type,
    timestamp: event.occurredAt.toISOString(),
    data,
  });
  const session = () => ({
    sessionId: id(p.appointmentId ?? event.sessionId),
    providerId: id(p.therapistId ?? event.providerId),
    clientId: id(p.clientId ?? event.clientId),
    status: p.status,
    sessionType: p.sessionType,
    modality: p.modality,
    startsAt: p.startsAt,
    endsAt: p.endsAt,
    seriesId: id(p.seriesId),
    groupSessionId: id(p.groupSessionId),
  });
  switch (event.type) {
    case "BOOKED":
      if (p.seriesBooked)
        return body("series.booked", { seriesId: id(p.seriesId), ...seriesOf(p), firstSession: session() });
      if (p.datesWithFirst) return null;
      return body(p.groupSessionId != null ? "group.seat_taken" : "session.booked", session());
    case "RESCHEDULED":
      return body("session.rescheduled", {
        ...session(),
        previousStartsAt: p.previousStartsAt,
        previousEndsAt: p.previousEndsAt,
      });
    case "CANCELLED":
      return body(p.groupSessionId != null ? "group.seat_released" : "session.cancelled", {
        ...session(),
        cancelledBy: id(p.cancelledBy),
        cancelledAt: p.cancelledAt ?? null,
      });
    case "COMPLETED":
      return body("session.completed", { ...session(), completedAt: p.completedAt ?? null });
    case "NO_SHOW":
      return body("session.no_show", { ...session(), completedAt: p.completedAt ?? null });
    case "UPDATED":
      return body("session.updated", { ...session(), changed: Array.isArray(p.changed) ? p.changed : [] });
    // A reassignment is an update of who: the previous provider and client say from whom.
    case "REASSIGNED":
      return body("session.updated", {
        ...session(),
        changed: ["provider", "client"].filter((who) =>
          who === "provider" ? p.previousProviderId !== p.therapistId : p.previousClientId !== p.clientId,
        ),
        previousProviderId: id(p.previousProviderId),
        previousClientId: id(p.previousClientId),
      });
    case "AVAILABILITY_CHANGED":
      return body("availability.changed", {
        providerId: id(event.providerId),
        dates: Array.isArray(p.dates) ? p.dates : null,
        allDates: p.allDates === true,
      });
    case "WAITLIST_OFFERED":
    case "WAITLIST_BOOKED":
      return body(event.type === "WAITLIST_OFFERED" ? "waitlist.offered" : "waitlist.booked", {
        waitlistEntryId: id(p.waitlistEntryId),
        providerId: id(event.providerId),
        clientId: id(event.clientId),
        status: p.status,
        earliest: p.earliest,
        latest: p.latest,
        durationMinutes: p.durationMinutes,
        sessionId: id(p.sessionId),
      });
    default:
      return null;
  }
}

/** A series' occurrences as booked (its first event carries every interval). */
function seriesOf(p: Record<string, unknown>): { occurrences: { startsAt: unknown; endsAt: unknown }[] } {
  const intervals = Array.isArray(p.seriesIntervals) ? (p.seriesIntervals as Record<string, unknown>[]) : [];
  return { occurrences: intervals.map((i) => ({ startsAt: i.startsAt, endsAt: i.endsAt })) };
}
