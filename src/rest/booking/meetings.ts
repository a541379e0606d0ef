import type { FastifyInstance } from "fastify";
import type { Modality, SessionRow, SessionStatus, UserRow } from "../../db/schema/index.js";
import { DomainError, forbidden } from "../../errors.js";
import { getProvider } from "../../modules/availability/index.js";
import {
  bookSession,
  cancelSession,
  getVisibleSession,
  listAllSessions,
  reassignSession,
  updateSession,
} from "../../modules/sessions/index.js";
import { updateInScope } from "../../modules/series/index.js";
import { findVisibleUsers } from "../../modules/tenants/index.js";
import { localToInstant, minutesBetween, parseInstant } from "../../time.js";
import { shimRoutes } from "../primitives.js";
import type { ShimContext, ShimOptions } from "../shim.js";
import { bookingId, type RouteNaming } from "./common.js";
import { InvalidField } from "./errors.js";
import * as schema from "./schemas.js";
import type { MeetingType } from "./schemas.js";

const MODALITY_OF: Record<MeetingType, Modality> = {
  video: "VIDEO",
  audio: "AUDIO",
  in_person: "IN_PERSON",
  chat: "CHAT",
};
const MEETING_TYPE_OF: Record<Modality, MeetingType> = {
  VIDEO: "video",
  AUDIO: "audio",
  IN_PERSON: "in_person",
  CHAT: "chat",
};

/** Newest first, as the legacy service listed them. */
const NEWEST_FIRST = { field: "STARTS_AT", direction: "DESC" } as const;

/** The document's update restriction: "Cannot update completed or cancelled meetings" (400). */
const NOT_UPDATABLE: readonly SessionStatus[] = ["COMPLETED", "CANCELLED"];

export function meetingRoutes(api: FastifyInstance, options: ShimOptions, naming: RouteNaming): void {
  const doc = naming.describe;
  const routes = shimRoutes(api, options);

  routes.post(
    "/meetings",
    {
      schema: {
        ...doc("createMeeting", "Book a meeting (clients, with a therapist they are in care with)"),
        body: schema.meetingCreateBody,
        response: { 201: schema.meeting, ...schema.errorResponses },
      },
    },
    async (ctx, request, reply) => {
      const body = request.body;
      // The legacy controller's gate: booking is a client's action (therapists manage their sessions).
      if (ctx.viewer.role !== "CLIENT") throw forbidden("Only clients can book meetings");
      const providerId = bookingId(body.therapistId, "Therapist");
      const startsAt = await instantOf(ctx, body.startTime, providerId);
      let session = await bookSession(ctx, {
        providerId,
        startsAt,
        durationMinutes: body.duration,
        title: body.title,
        description: body.description,
        modality: MODALITY_OF[body.meetingType ?? "video"],
      });
      // An initial status other than SCHEDULED is a transition, with the state machine's and the role's rules.
      if (body.status && body.status !== session.status)
        session = await updateSession(ctx, session.id, { status: body.status });
      reply.code(201);
      return (await toMeetings(ctx, [session]))[0];
    },
  );

  routes.get(
    "/meetings",
    {
      schema: {
        ...doc("listMeetings", "All meetings of the current user (newest first)"),
        response: { 200: { type: "array", items: schema.meeting }, ...schema.errorResponses },
      },
    },
    // Every session the caller sees: the legacy list had no paging.
    async (ctx) => toMeetings(ctx, await listAllSessions(ctx, {}, NEWEST_FIRST)),
  );

  routes.get(
    "/meetings/:id",
    {
      schema: {
        ...doc("getMeeting", "One meeting"),
        params: schema.idParams,
        response: { 200: schema.meeting, ...schema.errorResponses },
      },
    },
    async (ctx, request) => {
      const session = await getVisibleSession(ctx, bookingId(request.params.id, "Meeting"));
      return (await toMeetings(ctx, [session]))[0];
    },
  );

  routes.put(
    "/meetings/:id",
    {
      schema: {
        ...doc("updateMeeting", "Update, reschedule or change the status of a meeting"),
        params: schema.idParams,
        body: schema.meetingUpdateBody,
        response: { 200: schema.meeting, ...schema.errorResponses },
      },
    },
    async (ctx, request) => {
      const body = request.body;
      let session = await getVisibleSession(ctx, bookingId(request.params.id, "Meeting"));
      // The document's restriction comes before any other check of the request.
      if (NOT_UPDATABLE.includes(session.status))
        throw new DomainError("INVALID_TRANSITION", "Cannot update completed/cancelled meetings");
      // "Change therapist (if allowed)": the one reassignment rule (who may, conflicts, care); then the other changes.
      if (body.therapistId !== undefined && body.therapistId !== String(session.providerId)) {
        session = await reassignSession(ctx, session.id, { providerId: bookingId(body.therapistId, "Therapist") });
        // Only handed over: the previous therapist may no longer edit it, and there is nothing else to change.
        if (Object.entries(body).every(([field, value]) => field === "therapistId" || value === undefined))
          return (await toMeetings(ctx, [session]))[0];
      }
      const updated = await updateInScope(ctx, session.id, undefined, {
        title: body.title,
        description: body.description,
        startsAt: body.startTime === undefined ? undefined : await instantOf(ctx, body.startTime, session.providerId),
        durationMinutes: body.duration,
        status: body.status,
        modality: body.meetingType && MODALITY_OF[body.meetingType],
      });
      return (await toMeetings(ctx, [updated]))[0];
    },
  );

  routes.delete(
    "/meetings/:id/cancel",
    {
      schema: {
        ...doc("cancelMeeting", "Cancel a meeting"),
        params: schema.idParams,
        response: { 200: schema.meeting, ...schema.errorResponses },
      },
    },
    async (ctx, request) => {
      const cancelled = await cancelSession(ctx, bookingId(request.params.id, "Meeting"));
      return (await toMeetings(ctx, [cancelled]))[0];
    },
  );
}

/** startTime as an instant: with an offset as written, without one in the therapist's zone. */
async function instantOf(ctx: ShimContext, value: string, providerId: number): Promise<Date> {
  const [date, time] = value.split("T");
  const instant = /(Z|[+-]\d{2}:?\d{2})$/.test(value)
    ? parseInstant(value)
    : localToInstant(date, time, (await getProvider(ctx, providerId)).timeZone);
  if (!instant) throw new InvalidField("startTime", "must be a valid ISO 8601 date string");
  return instant;
}

/** Sessions in the document's Meeting shape; their users, as the caller may see them, in one batched lookup. */
async function toMeetings(ctx: ShimContext, rows: SessionRow[]) {
  const users = await findVisibleUsers(
    ctx,
    rows.flatMap((s) => [s.clientId, s.providerId]),
  );
  return rows.map((s) => ({
    id: String(s.id),
    title: s.title,
    description: s.description,
    startTime: s.startsAt.toISOString(),
    duration: minutesBetween(s.startsAt, s.endsAt),
    status: s.status,
    meetingType: MEETING_TYPE_OF[s.modality],
    // Video rooms are issued by the video API when a participant joins; a meeting carries no URL.
    meetingUrl: null,
    clientId: String(s.clientId),
    therapistId: String(s.providerId),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    client: { user: personOf(users.get(s.clientId)) },
    therapist: { user: personOf(users.get(s.providerId)) },
  }));
}

/** First and last name; a user with only a display name gives its first word and the rest. */
function personOf(user: UserRow | undefined) {
  if (!user) return null;
  const [first = "", ...rest] = user.name.trim().split(/\s+/);
  return { firstName: user.firstName ?? first, lastName: user.lastName ?? rest.join(" "), email: user.email };
}
