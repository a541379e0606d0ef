import type { SessionRow, TreatmentPlanRow, UserRow } from "../../db/schema/index.js";
import { recordRead } from "../../modules/audit/index.js";
import { userById } from "../../modules/tenants/index.js";
import { findVisibleUser } from "../../modules/tenants/index.js";
import { drfDateTime } from "../drf.js";
import { type ShimContext } from "../shim.js";
import { localDateTime, minutesBetween } from "../../time.js";

/** The legacy role name of sessiongraph's CLIENT users. */
export const CLIENT_ROLE = "Clients/Parent";

const integer = { type: "integer" } as const;
const text = { type: "string" } as const;
const nullableInteger = { type: ["integer", "null"] } as const;
const nullableText = { type: ["string", "null"] } as const;

const USER_DETAILS_SCHEMA = {
  type: ["object", "null"],
  description: "null when the caller may not see this user (a client is never shown an inactive staff member)",
  required: ["id", "name", "username"],
  properties: { id: integer, name: text, username: text },
} as const;

export const SESSION_SCHEMA = {
  type: "object",
  required: [
    "id",
    "client",
    "staff",
    "treatment_plan",
    "session_date",
    "start_time",
    "end_time",
    "session_notes",
    "duration",
    "created_at",
    "client_details",
    "staff_details",
  ],
  properties: {
    id: integer,
    client: integer,
    staff: integer,
    treatment_plan: nullableInteger,
    session_date: { type: "string", description: "YYYY-MM-DD, in the staff member's time zone" },
    start_time: { type: "string", description: "HH:MM:SS, in the staff member's time zone" },
    end_time: { type: "string", description: "HH:MM:SS, in the staff member's time zone" },
    session_notes: nullableText,
    duration: { type: ["integer", "null"], description: "Minutes" },
    created_at: { type: "string", description: "UTC, ISO 8601" },
    client_details: USER_DETAILS_SCHEMA,
    staff_details: USER_DETAILS_SCHEMA,
  },
} as const;

export const CLIENT_SCHEMA = {
  type: "object",
  required: ["id", "username", "name", "email", "staff_id", "role"],
  properties: {
    id: integer,
    username: text,
    name: text,
    email: nullableText,
    staff_id: nullableText,
    role: { type: "string", enum: [CLIENT_ROLE] },
  },
} as const;

export const PLAN_SCHEMA = {
  type: "object",
  required: [
    "id",
    "client_name",
    "client_id",
    "plan_type",
    "title",
    "status",
    "start_date",
    "end_date",
    "created_at",
    "updated_at",
  ],
  properties: {
    id: integer,
    client_name: nullableText,
    client_id: {
      type: ["string", "null"],
      description: "The plan's own client reference, e.g. CLIENT001 (not a user id)",
    },
    plan_type: nullableText,
    title: nullableText,
    status: text,
    start_date: nullableText,
    end_date: nullableText,
    created_at: text,
    updated_at: text,
  },
} as const;

const details = (user: UserRow) => ({ id: user.id, name: user.name, username: user.username });

/**
 * A session as the scheduler knows it: a date and naive times in its staff member's zone.
 * Users come through loaders, so a list costs one statement for all of them: the staff
 * member's zone is read for the rule, the details shown only of users the caller may see. It
 * carries session_notes: the session is in the request's audited read.
 */
export async function sessionJson(ctx: ShimContext, session: SessionRow) {
  recordRead(ctx, "Session", session.id);
  const [zoneOf, staff, client] = await Promise.all([
    ctx.loaders.get(userById).load(session.providerId),
    findVisibleUser(ctx, session.providerId),
    findVisibleUser(ctx, session.clientId),
  ]);
  // The staff member exists: a foreign key of the tenant's own users.
  const zone = zoneOf!.timeZone;
  const start = localDateTime(session.startsAt, zone);
  return {
    id: session.id,
    client: session.clientId,
    staff: session.providerId,
    treatment_plan: session.treatmentPlanId,
    session_date: start.date,
    start_time: start.time,
    end_time: localDateTime(session.endsAt, zone).time,
    session_notes: session.notes,
    duration: minutesBetween(session.startsAt, session.endsAt),
    created_at: drfDateTime(session.createdAt),
    client_details: client && details(client),
    staff_details: staff && details(staff),
  };
}

export function clientJson(user: UserRow) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    email: user.email,
    staff_id: user.staffId,
    role: CLIENT_ROLE,
  };
}

export function planJson(plan: TreatmentPlanRow) {
  return {
    id: plan.id,
    client_name: plan.clientName,
    client_id: plan.clientRef,
    plan_type: plan.planType,
    title: plan.title,
    status: plan.status,
    start_date: plan.startDate,
    end_date: plan.endDate,
    created_at: drfDateTime(plan.createdAt),
    updated_at: drfDateTime(plan.updatedAt),
  };
}
