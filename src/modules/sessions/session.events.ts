import type { SessionRow } from "../../db/schema/index.js";
import { minutesBetween } from "../../time.js";
import type { SessionEventInput } from "../events/index.js";

/**
 * The outbox payloads of session changes, with the fields booking.md documents for each event,
 * except free text (title, description, session notes, reasons): an event carries no clinical
 * text, a subscriber reads the session's current state when it delivers.
 */

const meetingType = (session: SessionRow) => session.modality.toLowerCase();

/** A group seat's events name its group (webhooks tell a seat taken or released from a booking or cancellation). */
const groupOf = (session: SessionRow) =>
  session.groupSessionId !== null ? { groupSessionId: session.groupSessionId } : {};

/** AppointmentBooked */
export const bookedEvent = (session: SessionRow, isInitialConsultation: boolean): SessionEventInput => ({
  type: "BOOKED",
  session,
  payload: {
    startTime: session.startsAt.toISOString(),
    meetingType: meetingType(session),
    duration: minutesBetween(session.startsAt, session.endsAt),
    isInitialConsultation,
    ...groupOf(session),
  },
});

/** AppointmentRescheduled, with the interval that was freed. */
export const rescheduledEvent = (session: SessionRow, previous: SessionRow, by: number): SessionEventInput => ({
  type: "RESCHEDULED",
  session,
  payload: {
    rescheduledBy: by,
    originalStartTime: previous.startsAt.toISOString(),
    newStartTime: session.startsAt.toISOString(),
    previousStartsAt: previous.startsAt.toISOString(),
    previousEndsAt: previous.endsAt.toISOString(),
  },
});

/** AppointmentCancelled; cancellationNotice is in hours (negative when cancelled after the start). */
export const cancelledEvent = (session: SessionRow, noticeHours: number): SessionEventInput => ({
  type: "CANCELLED",
  session,
  payload: {
    cancelledBy: session.cancelledBy,
    originalStartTime: session.startsAt.toISOString(),
    cancelledAt: session.cancelledAt?.toISOString() ?? null,
    cancellationNotice: noticeHours,
    ...groupOf(session),
  },
});

/** AppointmentCompleted, for completions (ATTENDED) and no-shows (NO_SHOW). */
export const completedEvent = (session: SessionRow, completedAt: Date): SessionEventInput => {
  const attended = session.status === "COMPLETED";
  return {
    type: attended ? "COMPLETED" : "NO_SHOW",
    session,
    payload: {
      completedAt: completedAt.toISOString(),
      duration:
        attended && session.actualStart && session.actualEnd
          ? minutesBetween(session.actualStart, session.actualEnd)
          : minutesBetween(session.startsAt, session.endsAt),
      attendanceStatus: attended ? "ATTENDED" : "NO_SHOW",
    },
  };
};

/** Any other change (confirmation, details, deletion): which fields changed. */
export const updatedEvent = (
  session: SessionRow,
  changed: string[],
  extra: Record<string, unknown> = {},
): SessionEventInput => ({
  type: "UPDATED",
  session,
  payload: { status: session.status, changed, ...extra },
});

/** A session moved to another provider and/or client: who had it before (ids only, no clinical text). */
export const reassignedEvent = (
  session: SessionRow,
  previous: Pick<SessionRow, "providerId" | "clientId">,
  by: number,
): SessionEventInput => ({
  type: "REASSIGNED",
  session,
  payload: {
    reassignedBy: by,
    previousProviderId: previous.providerId,
    previousClientId: previous.clientId,
  },
});
