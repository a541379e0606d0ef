/**
 * The fitness API's vocabulary: its session JSON, its lowercase statuses and types, and its
 * date-times (naive ones are wall-clock time in the trainer's zone, as the document writes them).
 */
import type { SessionRow, SessionStatus, SessionType, UserRow } from "../../db/schema/index.js";
import { localToInstant } from "../../time.js";
import type { FastifyRequest } from "fastify";
import { recordRead } from "../../modules/audit/index.js";
import type { RequestContext } from "../../modules/context.js";
import { providerNotesFor } from "../../modules/sessions/index.js";
import type { SessionOrderField } from "../../modules/sessions/index.js";
import { userById } from "../../modules/tenants/index.js";
import { findVisibleUsers } from "../../modules/tenants/index.js";
import { localDateTime, parseInstant } from "../../time.js";

export const STATUSES = ["scheduled", "completed", "cancelled", "no-show"] as const;
export const TYPES = ["personal", "group", "online", "assessment", "consultation"] as const;
export type FitnessStatus = (typeof STATUSES)[number];
export type FitnessType = (typeof TYPES)[number];

/** sort_by: the document's fields and the service's order keys. */
export const SORT_FIELDS = {
  scheduled_start: "STARTS_AT",
  scheduled_end: "ENDS_AT",
  created_at: "CREATED_AT",
  updated_at: "UPDATED_AT",
  status: "STATUS",
  title: "TITLE",
} as const satisfies Record<string, SessionOrderField>;
export type SortField = keyof typeof SORT_FIELDS;

/** The API has no confirmation step: a confirmed session is still "scheduled" to it. */
const STATUS_NAME: Record<SessionStatus, FitnessStatus> = {
  SCHEDULED: "scheduled",
  CONFIRMED: "scheduled",
  COMPLETED: "completed",
  CANCELLED: "cancelled",
  NO_SHOW: "no-show",
};

export const statusName = (status: SessionStatus): FitnessStatus => STATUS_NAME[status];

/** The stored statuses an API status stands for ("scheduled": scheduled and confirmed). */
export const statusesOf = (status: FitnessStatus): SessionStatus[] =>
  (Object.keys(STATUS_NAME) as SessionStatus[]).filter((s) => STATUS_NAME[s] === status);

/** Sessions booked through other APIs may carry a type this API does not list ("therapy"): shown as it is. */
export const typeName = (type: SessionType): string => type.toLowerCase();
export const typeOf = (type: FitnessType): SessionType => type.toUpperCase() as SessionType;

/** ISO 8601 as Python's datetime.fromisoformat reads it: a date, optionally a time, optionally an offset. */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;
export const DATE_TIME_PATTERN = DATE_TIME.source;

/** With Z or an offset: that instant. Naive: wall-clock time in `zone`. undefined when no such time exists. */
export function parseDateTime(value: string, zone: string): Date | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, date, time = "00:00", offset] = m;
  return offset ? parseInstant(`${date}T${time}${offset}`) : localToInstant(date, time, zone);
}

/** An instant as the naive local date-time the document shows: "2025-12-10T14:00:00". */
export function formatDateTime(instant: Date, zone: string): string {
  const { date, time } = localDateTime(instant, zone);
  return `${date}T${time}`;
}

/** The zone each request's naive local times are in, as its handler named it. */
const LOCAL_ZONE = new WeakMap<FastifyRequest, string>();

/**
 * The handler names the zone of this request's local times before it calls a service: the
 * error format then words the instants of a message (the conflicting session's start) in it.
 */
export function speakLocalTimes(request: FastifyRequest, zone: string): void {
  LOCAL_ZONE.set(request, zone);
}

export const localZoneOf = (request: FastifyRequest): string | undefined => LOCAL_ZONE.get(request);

export interface SessionJson {
  id: number;
  title: string | null;
  description: string | null;
  session_type: string;
  location: string | null;
  scheduled_start: string;
  scheduled_end: string;
  actual_start: string | null;
  actual_end: string | null;
  status: FitnessStatus;
  exercises_performed: string | null;
  notes: string | null;
  client_feedback: string | null;
  trainer_notes: string | null;
  google_event_id: string | null;
  outlook_event_id: string | null;
  created_at: string;
  updated_at: string;
  trainer_id: number;
  client_id: number;
  client?: { id: number; name: string; email: string | null; phone: string | null; status: string };
  trainer?: { id: number; username: string; email: string | null; full_name: string };
}

/** It carries notes, client feedback and trainer notes: the session is in the request's audited read. */
export function sessionJson(ctx: RequestContext, s: SessionRow, zone: string): SessionJson {
  recordRead(ctx, "Session", s.id);
  const local = (instant: Date | null) => (instant ? formatDateTime(instant, zone) : null);
  return {
    id: s.id,
    title: s.title,
    description: s.description,
    session_type: typeName(s.type),
    location: s.location,
    scheduled_start: formatDateTime(s.startsAt, zone),
    scheduled_end: formatDateTime(s.endsAt, zone),
    actual_start: local(s.actualStart),
    actual_end: local(s.actualEnd),
    status: statusName(s.status),
    exercises_performed: s.exercisesPerformed,
    notes: s.notes,
    client_feedback: s.clientFeedback,
    trainer_notes: providerNotesFor(ctx, s),
    google_event_id: s.googleEventId,
    outlook_event_id: s.outlookEventId,
    created_at: formatDateTime(s.createdAt, zone),
    updated_at: formatDateTime(s.updatedAt, zone),
    trainer_id: s.providerId,
    client_id: s.clientId,
  };
}

const clientJson = (u: UserRow) => ({ id: u.id, name: u.name, email: u.email, phone: u.phone, status: u.status });
const trainerJson = (u: UserRow) => ({ id: u.id, username: u.username, email: u.email, full_name: u.name });

export interface Include {
  client: boolean;
  trainer: boolean;
}

/**
 * Users by id through the request's DataLoader, one batched statement for the whole page: for
 * their zones (a rule), not for showing (that is findVisibleUsers).
 */
export async function usersById(ctx: RequestContext, ids: number[]): Promise<Map<number, UserRow>> {
  const loader = ctx.loaders.get(userById);
  // The caller is usually the trainer of every session: no need to read them again.
  loader.prime(ctx.viewer.id, ctx.viewer);
  const users = await loader.loadMany([...new Set(ids)]);
  return new Map(users.filter((u): u is UserRow => !!u && !(u instanceof Error)).map((u) => [u.id, u]));
}

/** A trainer's zone (the tenant's when there is no such user); without a trainer, the caller's. */
export async function trainerZone(ctx: RequestContext, trainerId: number | undefined): Promise<string> {
  if (trainerId === undefined) return ctx.viewer.timeZone;
  return (await usersById(ctx, [trainerId])).get(trainerId)?.timeZone ?? ctx.tenant.timeZone;
}

/** Sessions as JSON, each in its trainer's zone, with the client and trainer objects asked for. */
export async function sessionsJson(ctx: RequestContext, rows: SessionRow[], include: Include): Promise<SessionJson[]> {
  // The embedded client and trainer objects are shown: only those the caller may see. Asked in
  // the same tick as the zones, so an admin's (one loader for both) cost one statement.
  const [zones, shown] = await Promise.all([
    usersById(
      ctx,
      rows.map((s) => s.providerId),
    ),
    include.client || include.trainer
      ? findVisibleUsers(
          ctx,
          rows.flatMap((s) => [s.providerId, s.clientId]),
        )
      : new Map<number, UserRow>(),
  ]);
  return rows.map((s) => {
    const trainer = shown.get(s.providerId);
    const client = shown.get(s.clientId);
    const json = sessionJson(ctx, s, zones.get(s.providerId)?.timeZone ?? ctx.tenant.timeZone);
    if (include.client && client) json.client = clientJson(client);
    if (include.trainer && trainer) json.trainer = trainerJson(trainer);
    return json;
  });
}
