import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { badFields, throwFieldErrors } from "../../errors.js";
import { dayAvailability } from "../../modules/availability/index.js";
import type { RequestContext } from "../../modules/context.js";
import {
  bookSession,
  cancelSession,
  deleteSession,
  getVisibleSession,
  listSessionsPage,
  reassignSession,
  sessionStats,
  type SessionFilter,
} from "../../modules/sessions/index.js";
import { updateInScope } from "../../modules/series/index.js";
import { providerOrCaller } from "../../modules/tenants/index.js";
import { localDate } from "../../time.js";
import { readEmptyJsonAs, shimRoutes, type SchemaRequest } from "../primitives.js";
import { bearerCredentials, useErrorFormat, type Credentials, type ShimOptions } from "../shim.js";
import {
  formatDateTime,
  speakLocalTimes,
  parseDateTime,
  sessionsJson,
  SORT_FIELDS,
  statusesOf,
  statusName,
  STATUSES,
  trainerZone,
  typeName,
  typeOf,
  TYPES,
  type FitnessStatus,
  type FitnessType,
  type Include,
} from "./convert.js";
import { fitnessError } from "./errors.js";
import {
  availabilitySchema,
  createSchema,
  deleteSchema,
  getSchema,
  listSchema,
  statsSchema,
  updateSchema,
} from "./schemas.js";

/**
 * ../shared/legacy-api/fitness-crm-sessions.md (MectoFitness CRM, Flask): the trainer's sessions
 * under /api/v1/sessions. The trainer is the calling PROVIDER; services decide everything else.
 */
export async function fitnessApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  await app.register(
    async (api) => {
      useErrorFormat(api, fitnessError);
      // Flask's request.get_json() on an empty body is no data: the document's "No data provided".
      readEmptyJsonAs(api, undefined);
      const routes = shimRoutes(api, options, fitnessCredentials);

      routes.get("", { schema: listSchema }, listRoute);
      routes.post("", { schema: createSchema }, createRoute);
      // Static routes win over the parametric one; ids are digits, like Flask's <int:session_id>.
      routes.get("/stats", { schema: statsSchema }, statsRoute);
      routes.get("/availability", { schema: availabilitySchema }, availabilityRoute);
      // It answers with notes, trainer notes and client feedback: each call is an audited read.
      routes.get("/:id(^\\d+$)", { schema: getSchema, config: { auditRead: "Session" } }, getRoute);
      routes.put("/:id(^\\d+$)", { schema: updateSchema }, updateRoute);
      routes.patch("/:id(^\\d+$)", { schema: updateSchema }, updateRoute);
      routes.delete("/:id(^\\d+$)", { schema: deleteSchema }, deleteRoute);
    },
    { prefix: "/api/v1/sessions" },
  );
}

/** Bearer first; else the cookie `session=<jwt>` that the document's clients send. */
function fitnessCredentials(request: FastifyRequest): Credentials {
  const credentials = bearerCredentials(request);
  const cookie = request.cookies.session;
  return credentials.authorization || !cookie ? credentials : { ...credentials, authorization: `Bearer ${cookie}` };
}

const flag = (value: string | undefined) => value?.toLowerCase() === "true";
const includes = (q: { include_client?: string; include_trainer?: string }): Include => ({
  client: flag(q.include_client),
  trainer: flag(q.include_trainer),
});

/**
 * The date-times given, as instants (naive ones in `zone`); null stays null (cleared). Every
 * bad one is reported at once. Shapes are the schema's business: here only times that do not
 * exist (2025-02-30, a wall-clock time skipped by DST) remain.
 */
function instants<K extends string>(
  given: Partial<Record<K, string | null>>,
  zone: string,
): Partial<Record<K, Date | null>> {
  const result: Partial<Record<K, Date | null>> = {};
  const errors: Record<string, string> = {};
  for (const [field, value] of Object.entries(given) as [K, string | null | undefined][]) {
    if (value === undefined) continue;
    const instant = value === null ? null : parseDateTime(value, zone);
    if (instant === undefined) errors[field] = `${field} ${value} is not an existing time in ${zone}`;
    else result[field] = instant;
  }
  throwFieldErrors(errors);
  return result;
}

// ------------------------------------------------------------------ list and read

/** start_date / end_date without an offset are the caller's local time. */
function filterOf(
  ctx: RequestContext,
  q: { client_id?: number; status?: FitnessStatus; session_type?: FitnessType; start_date?: string; end_date?: string },
): SessionFilter {
  const range = instants({ start_date: q.start_date, end_date: q.end_date }, ctx.viewer.timeZone);
  return {
    clientId: q.client_id,
    status: q.status ? statusesOf(q.status) : undefined,
    type: q.session_type ? [typeOf(q.session_type)] : undefined,
    from: range.start_date ?? undefined,
    to: range.end_date ?? undefined,
  };
}

async function listRoute(ctx: RequestContext, request: SchemaRequest<typeof listSchema>) {
  const q = request.query;
  const order = { field: SORT_FIELDS[q.sort_by], direction: q.sort_order === "asc" ? "ASC" : "DESC" } as const;
  const page = await listSessionsPage(ctx, filterOf(ctx, q), order, { page: q.page, perPage: q.per_page });
  const totalPages = Math.ceil(page.total / page.perPage);
  return {
    success: true,
    data: {
      sessions: await sessionsJson(ctx, page.rows, includes(q)),
      pagination: {
        page: page.page,
        per_page: page.perPage,
        total_pages: totalPages,
        total_items: page.total,
        has_next: page.page < totalPages,
        has_prev: page.page > 1,
      },
    },
  };
}

async function getRoute(ctx: RequestContext, request: SchemaRequest<typeof getSchema>) {
  const session = await getVisibleSession(ctx, request.params.id);
  const [json] = await sessionsJson(ctx, [session], includes(request.query));
  return { success: true, data: json };
}

// ------------------------------------------------------------------ writes

/** Created and updated sessions answer with their client, as the document's examples do. */
const WITH_CLIENT: Include = { client: true, trainer: false };

async function createRoute(ctx: RequestContext, request: SchemaRequest<typeof createSchema>, reply: FastifyReply) {
  const { body } = request;
  const zone = await trainerZone(ctx, body.trainer_id);
  const times = instants({ scheduled_start: body.scheduled_start, scheduled_end: body.scheduled_end }, zone);
  speakLocalTimes(request, zone);
  const session = await bookSession(ctx, {
    providerId: body.trainer_id,
    clientId: body.client_id,
    startsAt: times.scheduled_start!,
    endsAt: times.scheduled_end,
    title: body.title,
    description: body.description,
    type: typeOf(body.session_type ?? "personal"),
    location: body.location,
    notes: body.notes,
    providerNotes: body.trainer_notes,
  });
  const [json] = await sessionsJson(ctx, [session], WITH_CLIENT);
  reply.code(201);
  return { success: true, message: "Session created successfully", data: json };
}

/**
 * PUT and PATCH alike: only the fields given change (the document: "supports partial updates";
 * "any session fields from the create endpoint can be updated"). Another client_id moves the
 * session to that client (reassignSession: its rules decide), then the other fields change.
 */
async function updateRoute(ctx: RequestContext, request: SchemaRequest<typeof updateSchema>) {
  let current = await getVisibleSession(ctx, request.params.id);
  const { body } = request;
  // The trainer stays (trainer_id is no field of this API's updates), and so does the zone.
  const zone = await trainerZone(ctx, current.providerId);
  speakLocalTimes(request, zone);
  if (body.client_id !== undefined && body.client_id !== current.clientId)
    current = await reassignSession(ctx, current.id, { clientId: body.client_id });
  const t = instants(
    {
      scheduled_start: body.scheduled_start,
      scheduled_end: body.scheduled_end,
      actual_start: body.actual_start,
      actual_end: body.actual_end,
    },
    zone,
  );
  const moves = t.scheduled_start != null || t.scheduled_end != null;
  // A status this API shows for the current one ("scheduled" for a confirmed session) is no change.
  const status = body.status
    ? statusesOf(body.status).includes(current.status)
      ? current.status
      : statusesOf(body.status)[0]
    : undefined;
  const session = await updateInScope(ctx, current.id, undefined, {
    title: body.title,
    description: body.description,
    type: body.session_type ? typeOf(body.session_type) : undefined,
    location: body.location,
    notes: body.notes,
    providerNotes: body.trainer_notes,
    clientFeedback: body.client_feedback,
    exercisesPerformed: body.exercises_performed,
    googleEventId: body.google_event_id,
    outlookEventId: body.outlook_event_id,
    // The time not given keeps its value.
    startsAt: moves ? (t.scheduled_start ?? current.startsAt) : undefined,
    endsAt: moves ? (t.scheduled_end ?? current.endsAt) : undefined,
    status,
    actualStart: t.actual_start,
    actualEnd: t.actual_end,
  });
  const [json] = await sessionsJson(ctx, [session], WITH_CLIENT);
  return { success: true, message: "Session updated successfully", data: json };
}

async function deleteRoute(ctx: RequestContext, request: SchemaRequest<typeof deleteSchema>) {
  const { id } = request.params;
  if (flag(request.query.permanent)) {
    await deleteSession(ctx, id);
    return { success: true, message: "Session permanently deleted" };
  }
  const session = await cancelSession(ctx, id);
  const zone = await trainerZone(ctx, session.providerId);
  return {
    success: true,
    message: "Session cancelled successfully",
    data: {
      id: session.id,
      title: session.title,
      status: statusName(session.status),
      updated_at: formatDateTime(session.updatedAt, zone),
    },
  };
}

// ------------------------------------------------------------------ stats and availability

async function statsRoute(ctx: RequestContext, request: SchemaRequest<typeof statsSchema>) {
  const stats = await sessionStats(ctx, filterOf(ctx, request.query));
  const byStatus: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const { status, count } of stats.byStatus) byStatus[statusName(status)] += count;
  // Every type of the API; a type only other APIs book ("therapy") when there are such sessions.
  const byType: Record<string, number> = Object.fromEntries(TYPES.map((t) => [t, 0]));
  for (const { type, count } of stats.byType) if (count || typeName(type) in byType) byType[typeName(type)] = count;
  return {
    success: true,
    data: { total_sessions: stats.total, by_status: byStatus, by_type: byType, upcoming_sessions: stats.upcoming },
  };
}

async function availabilityRoute(ctx: RequestContext, request: SchemaRequest<typeof availabilitySchema>) {
  const q = request.query;
  const trainerId = providerOrCaller(ctx, q.trainer_id);
  if (trainerId === undefined)
    throw badFields({ trainer_id: "trainer_id is required: only trainers have a calendar of their own" });
  const zone = await trainerZone(ctx, trainerId);
  // A date-time counts by its date part, as Flask's fromisoformat(...).date() does.
  const date = q.date ? q.date.slice(0, 10) : localDate(ctx.deps.now(), zone);
  const day = await dayAvailability(ctx, { providerId: trainerId, date, minDurationMinutes: q.duration });
  const local = (instant: Date) => formatDateTime(instant, day.timeZone);
  return {
    success: true,
    data: {
      date: day.date,
      requested_duration: q.duration,
      available_slots: day.free.map((f) => ({
        start: local(f.startsAt),
        end: local(f.endsAt),
        duration_minutes: f.durationMinutes,
      })),
      booked_sessions: day.booked.map((b) => ({ start: local(b.startsAt), end: local(b.endsAt), title: b.title })),
    },
  };
}
