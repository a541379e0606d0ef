import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DateTime } from "luxon";
import { PAGE_NUMBER_SCHEMA } from "../../bounds.js";
import type { Modality, SessionRow, SessionStatus } from "../../db/schema/index.js";
import { listSessionsPage, MAX_PAGE_SIZE, sessionTiming, type SessionFilter } from "../../modules/sessions/index.js";
import { requireRole } from "../../modules/tenants/index.js";
import { userById } from "../../modules/tenants/index.js";
import { findVisibleUser } from "../../modules/tenants/index.js";
import { minutesBetween } from "../../time.js";
import { drfDateTime, drfPage, INVALID_PAGE_BODY, PAGE_SCHEMA } from "../drf.js";
import {
  BAD_REQUEST_SCHEMA,
  DATE_SCHEMA,
  DETAIL_SCHEMA,
  MONTH_SCHEMA,
  shimRoutes,
  YEAR_SCHEMA,
  type SchemaRequest,
} from "../primitives.js";
import type { ShimContext, ShimOptions } from "../shim.js";

const tags = ["psychologist video"];
const integer = { type: "integer" } as const;
const text = { type: "string" } as const;
const nullableInteger = { type: ["integer", "null"] } as const;

/** How each modality is named by the appointments API. */
const SESSION_TYPES: Record<Modality, string> = {
  VIDEO: "telehealth",
  AUDIO: "phone",
  IN_PERSON: "in_person",
  CHAT: "chat",
};
const STATUSES = ["scheduled", "confirmed", "completed", "cancelled", "no_show"] as const;

export const APPOINTMENT_SCHEMA = {
  type: "object",
  required: [
    "id",
    "patient_name",
    "service_name",
    "appointment_date",
    "formatted_date",
    "formatted_time",
    "duration_minutes",
    "status",
    "session_type",
    "video_room_id",
    "meeting_url",
    "session_start_time",
    "session_end_time",
    "time_until_start_seconds",
    "time_remaining_seconds",
    "session_status",
    "can_join_session",
  ],
  properties: {
    id: integer,
    patient_name: { type: ["string", "null"], description: "null when the caller may not see the patient" },
    service_name: { type: "string", description: "The session's title, else its type" },
    appointment_date: { type: "string", description: "The start, UTC" },
    formatted_date: { type: "string", description: 'In the provider\'s zone, e.g. "Sat, 16 Nov 2025"' },
    formatted_time: { type: "string", description: 'In the provider\'s zone, e.g. "08:00 AM"' },
    duration_minutes: integer,
    status: { type: "string", enum: [...STATUSES] },
    session_type: { type: "string", enum: Object.values(SESSION_TYPES) },
    video_room_id: { type: ["string", "null"], description: "Set once the first video token was issued" },
    meeting_url: { type: ["string", "null"], description: "PUBLIC_BASE_URL/video-session/<video_room_id>" },
    session_start_time: text,
    session_end_time: text,
    time_until_start_seconds: nullableInteger,
    time_remaining_seconds: nullableInteger,
    session_status: { type: "string", enum: ["upcoming", "in_progress", "ended"] },
    can_join_session: {
      type: "boolean",
      description: "From 10 minutes before the start until the end, for active telehealth sessions",
    },
  },
} as const;

const paging = (defaultSize: number) =>
  ({
    status: { type: "string", enum: [...STATUSES, "all", ""], description: "all, or empty: any status (the default)" },
    page: { ...PAGE_NUMBER_SCHEMA, default: 1 },
    page_size: { type: "integer", minimum: 1, default: defaultSize, description: `At most ${MAX_PAGE_SIZE}` },
  }) as const;

const RESPONSES = {
  200: PAGE_SCHEMA(APPOINTMENT_SCHEMA),
  400: BAD_REQUEST_SCHEMA,
  401: DETAIL_SCHEMA,
  403: DETAIL_SCHEMA,
  404: DETAIL_SCHEMA,
} as const;

const serviceName = (session: SessionRow) => session.title ?? session.type[0] + session.type.slice(1).toLowerCase();

/** One appointment with its timer fields; users come through the loader (one statement per page). */
async function appointmentJson(ctx: ShimContext, session: SessionRow) {
  // The provider's zone is read for the rule; the patient's name is shown only when the caller may see them.
  const [provider, patient] = await Promise.all([
    ctx.loaders.get(userById).load(session.providerId),
    findVisibleUser(ctx, session.clientId),
  ]);
  const local = DateTime.fromJSDate(session.startsAt, { zone: provider!.timeZone }).setLocale("en-US");
  const timing = sessionTiming(session, ctx.deps.now());
  const room = session.videoRoomName;
  return {
    id: session.id,
    patient_name: patient?.name ?? null,
    service_name: serviceName(session),
    appointment_date: drfDateTime(session.startsAt),
    formatted_date: local.toFormat("ccc, dd LLL yyyy"),
    formatted_time: local.toFormat("hh:mm a"),
    duration_minutes: minutesBetween(session.startsAt, session.endsAt),
    status: session.status.toLowerCase(),
    session_type: SESSION_TYPES[session.modality],
    video_room_id: room,
    meeting_url: room ? `${ctx.deps.config.publicBaseUrl}/video-session/${encodeURIComponent(room)}` : null,
    session_start_time: drfDateTime(session.startsAt),
    session_end_time: drfDateTime(session.endsAt),
    time_until_start_seconds: timing.timeUntilStartSeconds,
    time_remaining_seconds: timing.timeRemainingSeconds,
    session_status: timing.phase.toLowerCase(),
    can_join_session: timing.canJoin,
  };
}

/** Local calendar bounds (days, a month, a year) in the caller's zone; all given ones apply together. */
interface LocalBounds {
  fromDate?: string;
  toDate?: string;
  month?: string;
  year?: string;
}

function instantRange(bounds: LocalBounds, zone: string): { from?: Date; to?: Date } {
  const starts: DateTime[] = [];
  const ends: DateTime[] = [];
  const day = (date: string) => DateTime.fromISO(date, { zone });
  if (bounds.fromDate) starts.push(day(bounds.fromDate).startOf("day"));
  if (bounds.toDate) ends.push(day(bounds.toDate).endOf("day"));
  if (bounds.month) {
    const month = DateTime.fromISO(bounds.month, { zone });
    starts.push(month.startOf("month"));
    ends.push(month.endOf("month"));
  }
  if (bounds.year) {
    const year = DateTime.fromObject({ year: Number(bounds.year) }, { zone });
    starts.push(year.startOf("year"));
    ends.push(year.endOf("year"));
  }
  return {
    from: starts.length ? DateTime.max(...starts)!.toJSDate() : undefined,
    to: ends.length ? DateTime.min(...ends)!.toJSDate() : undefined,
  };
}

/** The paging and status parameters of both lists, as validated (page and page_size have defaults). */
type PageQuery = SchemaRequest<{ querystring: { type: "object"; properties: ReturnType<typeof paging> } }>["query"];

/** A DRF page of the sessions the caller sees within the bounds; a page past the last is DRF's 404. */
async function appointmentPage(
  ctx: ShimContext,
  request: FastifyRequest,
  reply: FastifyReply,
  query: PageQuery,
  bounds: LocalBounds,
  filter: SessionFilter = {},
) {
  const { from, to } = instantRange(bounds, ctx.viewer.timeZone);
  const status = query.status && query.status !== "all" ? [query.status.toUpperCase() as SessionStatus] : undefined;
  // Bounds that exclude each other (a month outside the year) select nothing, as a Django filter would.
  const result =
    from && to && to < from
      ? { rows: [], total: 0, perPage: Math.min(query.page_size, MAX_PAGE_SIZE) }
      : await listSessionsPage(ctx, { ...filter, from, to, status }, undefined, {
          page: query.page,
          perPage: query.page_size,
        });
  if (query.page > 1 && result.rows.length === 0) {
    reply.code(404);
    return INVALID_PAGE_BODY;
  }
  const results = await Promise.all(result.rows.map((session) => appointmentJson(ctx, session)));
  return drfPage(
    request,
    ctx.deps.config.publicBaseUrl,
    { count: result.total, page: query.page, pageSize: result.perPage },
    results,
  );
}

export function appointmentRoutes(api: FastifyInstance, options: ShimOptions): void {
  const routes = shimRoutes(api, options);
  routes.get(
    "/psychologist/schedule/",
    {
      schema: {
        tags,
        summary: "The calling psychologist's appointments with video room and timer fields, by start",
        description: "Dates, months and years are in the caller's time zone.",
        querystring: {
          type: "object",
          properties: {
            start_date: DATE_SCHEMA,
            end_date: DATE_SCHEMA,
            month: MONTH_SCHEMA,
            year: YEAR_SCHEMA,
            ...paging(50),
          },
        },
        response: RESPONSES,
      },
    },
    async (ctx, request, reply) => {
      requireRole(ctx, "PROVIDER");
      const { query } = request;
      const bounds = { fromDate: query.start_date, toDate: query.end_date, month: query.month, year: query.year };
      return appointmentPage(ctx, request, reply, query, bounds, { providerId: ctx.viewer.id });
    },
  );

  routes.get(
    "/",
    {
      prefixTrailingSlash: "slash",
      schema: {
        tags,
        summary:
          "The caller's appointments (a psychologist's own; a patient's own; all for an administrator), by start",
        description: "Dates are in the caller's time zone.",
        querystring: { type: "object", properties: { date_from: DATE_SCHEMA, date_to: DATE_SCHEMA, ...paging(100) } },
        response: RESPONSES,
      },
    },
    async (ctx, request, reply) => {
      const { query } = request;
      return appointmentPage(ctx, request, reply, query, { fromDate: query.date_from, toDate: query.date_to });
    },
  );
}
