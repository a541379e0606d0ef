import type { FastifyInstance } from "fastify";
import { DateTime } from "luxon";
import { sessionStatusEnum } from "../../db/schema/index.js";
import { DomainError, throwFieldErrors } from "../../errors.js";
import {
  bookSession,
  deleteSession,
  getVisibleSession,
  listAllSessions,
  reassignSession,
  updateSession,
} from "../../modules/sessions/index.js";
import { updateInScope } from "../../modules/series/index.js";
import { userById } from "../../modules/tenants/index.js";
import { getUserWithRole } from "../../modules/tenants/index.js";
import { getTreatmentPlan } from "../../modules/treatment-plans/index.js";
import { ID_SCHEMA } from "../../bounds.js";
import { maxLengthOf } from "../../text-limits.js";
import { localDateTime, localToInstant } from "../../time.js";
import {
  BAD_REQUEST_SCHEMA,
  DATE_SCHEMA,
  DETAIL_SCHEMA,
  ID_PARAMS,
  idSchema,
  nullableIdSchema,
  shimRoutes,
  TIME_SCHEMA,
  type ShimHandler,
} from "../primitives.js";
import type { ShimOptions } from "../shim.js";
import { SESSION_SCHEMA, sessionJson } from "./serializers.js";

const tags = ["sapphire scheduler"];
/** A related object's primary key (DRF's PrimaryKeyRelatedField); null is the same as leaving it out. */
const pk = nullableIdSchema;
const ERRORS = { 400: BAD_REQUEST_SCHEMA, 401: DETAIL_SCHEMA, 403: DETAIL_SCHEMA, 404: DETAIL_SCHEMA } as const;

const SESSION_FIELDS = {
  client: pk("The client user (role Clients/Parent)"),
  staff: pk("The staff user (a provider); defaults to the caller"),
  session_date: DATE_SCHEMA,
  start_time: TIME_SCHEMA,
  end_time: TIME_SCHEMA,
  session_notes: { type: ["string", "null"], ...maxLengthOf("notes") },
} as const;

const CREATE_BODY = {
  type: "object",
  required: ["session_date", "start_time", "end_time"],
  properties: {
    ...SESSION_FIELDS,
    // An id, but not a related field: an unknown plan (any number up to our largest id) has its own documented message.
    treatment_plan_id: {
      type: ["integer", "null"],
      maximum: ID_SCHEMA.maximum,
      description: "The client is the plan's client (found by client_id / client_name) unless `client` is given",
    },
  },
} as const;

const UPDATE_FIELDS = {
  ...SESSION_FIELDS,
  client: pk("The client user (role Clients/Parent): another client moves the session to them"),
  staff: pk("The staff user (a provider): another staff member moves the session to them"),
  treatment_plan: pk("The treatment plan; null unlinks it"),
} as const;
/** PATCH: the fields given change. */
const PATCH_BODY = { type: "object", properties: UPDATE_FIELDS } as const;
/** PUT: the date and times are required, other fields as given. */
const PUT_BODY = {
  type: "object",
  required: ["session_date", "start_time", "end_time"],
  properties: UPDATE_FIELDS,
} as const;

/** The scheduler has no cancelled sessions (it deletes them): every other status is listed. */
const LISTED_STATUSES = sessionStatusEnum.enumValues.filter((status) => status !== "CANCELLED");

const invalidPk = (id: number) => `Invalid pk "${id}" - object does not exist.`;

/**
 * A related object by primary key, as DRF resolves it before validating the whole: an unknown
 * one becomes its field's error, collected so that every bad field is reported at once.
 */
async function related<T>(
  errors: Record<string, string>,
  field: string,
  message: string,
  load: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    if (!(err instanceof DomainError && err.code === "NOT_FOUND")) throw err;
    errors[field] = message;
    return undefined;
  }
}

/** A naive local date and time in the staff member's zone, as an instant; a time the clocks skip is the field's error. */
function localInstant(
  errors: Record<string, string>,
  field: string,
  date: string,
  time: string,
  zone: string,
): Date | undefined {
  const instant = localToInstant(date, time, zone);
  if (!instant) errors[field] = `${time} does not exist on ${date} in ${zone} (the clocks skip it).`;
  return instant;
}

/** On update the plan is the field `treatment_plan` (on create, and in the API's field map, `treatment_plan_id`). */
function asUpdateFields(err: unknown): never {
  const fields = err instanceof DomainError ? err.details.fieldErrors : undefined;
  if (!(err instanceof DomainError) || fields?.treatmentPlanId === undefined) throw err;
  const { treatmentPlanId, ...rest } = fields;
  throw new DomainError(err.reason, err.words, {
    ...err.details,
    fieldErrors: { ...rest, treatment_plan: treatmentPlanId },
  });
}

export function sessionRoutes(api: FastifyInstance, options: ShimOptions): void {
  const routes = shimRoutes(api, options);
  routes.get(
    "/scheduler/sessions/",
    {
      schema: {
        tags,
        summary: "The caller's sessions as staff from today on (in the caller's zone), by date and start time",
        querystring: {
          type: "object",
          properties: { treatment_plan_id: idSchema("Only this treatment plan's sessions") },
        },
        response: { 200: { type: "array", items: SESSION_SCHEMA }, 400: BAD_REQUEST_SCHEMA, 401: DETAIL_SCHEMA },
      },
    },
    async (ctx, request) => {
      const { treatment_plan_id } = request.query;
      const today = DateTime.fromJSDate(ctx.deps.now(), { zone: ctx.viewer.timeZone }).startOf("day").toJSDate();
      // The scheduler's list is not paginated.
      const rows = await listAllSessions(ctx, {
        providerId: ctx.viewer.id,
        treatmentPlanId: treatment_plan_id,
        from: today,
        status: LISTED_STATUSES,
      });
      return Promise.all(rows.map((session) => sessionJson(ctx, session)));
    },
  );

  routes.post(
    "/scheduler/sessions/",
    {
      schema: {
        tags,
        summary: "Books a session; with treatment_plan_id the client is the plan's client",
        body: CREATE_BODY,
        response: { 201: SESSION_SCHEMA, ...ERRORS },
      },
    },
    async (ctx, request, reply) => {
      const body = request.body;
      const errors: Record<string, string> = {};
      const [staff] = await Promise.all([
        body.staff != null
          ? related(errors, "staff", invalidPk(body.staff), () =>
              getUserWithRole(ctx, body.staff!, "PROVIDER", "Provider"),
            )
          : undefined,
        body.client != null
          ? related(errors, "client", invalidPk(body.client), () =>
              getUserWithRole(ctx, body.client!, "CLIENT", "Client"),
            )
          : undefined,
        body.treatment_plan_id != null
          ? related(errors, "treatment_plan_id", "Treatment plan not found.", () =>
              getTreatmentPlan(ctx, body.treatment_plan_id!),
            )
          : undefined,
      ]);
      const zone = (staff ?? ctx.viewer).timeZone;
      const startsAt = localInstant(errors, "start_time", body.session_date, body.start_time, zone);
      const endsAt = localInstant(errors, "end_time", body.session_date, body.end_time, zone);
      throwFieldErrors(errors);
      const session = await bookSession(ctx, {
        providerId: body.staff,
        clientId: body.client,
        treatmentPlanId: body.treatment_plan_id,
        startsAt: startsAt!,
        endsAt,
        notes: body.session_notes,
      });
      reply.code(201);
      return sessionJson(ctx, session);
    },
  );

  routes.get(
    "/scheduler/sessions/:id/",
    // It answers with session_notes: each call is an audited read.
    {
      config: { auditRead: "Session" },
      schema: {
        tags,
        summary: "One session",
        params: ID_PARAMS,
        response: { 200: SESSION_SCHEMA, 401: DETAIL_SCHEMA, 403: DETAIL_SCHEMA, 404: DETAIL_SCHEMA },
      },
    },
    async (ctx, request) => sessionJson(ctx, await getVisibleSession(ctx, request.params.id)),
  );

  /**
   * PUT and PATCH: another client or staff member moves the session to them (reassignSession,
   * with its rules: who may, active sessions only, conflicts, care); then the other fields change,
   * all in the request's transaction. Unknown people are their fields' errors, as on create.
   */
  const update: ShimHandler<{ params: typeof ID_PARAMS; body: typeof PATCH_BODY }, unknown> = async (ctx, request) => {
    const { id } = request.params;
    const body = request.body;
    const session = await getVisibleSession(ctx, id);
    const errors: Record<string, string> = {};
    const clientId = body.client != null && body.client !== session.clientId ? body.client : undefined;
    const providerId = body.staff != null && body.staff !== session.providerId ? body.staff : undefined;
    const [staff] = await Promise.all([
      providerId !== undefined
        ? related(errors, "staff", invalidPk(providerId), () =>
            getUserWithRole(ctx, providerId, "PROVIDER", "Provider"),
          )
        : undefined,
      clientId !== undefined
        ? related(errors, "client", invalidPk(clientId), () => getUserWithRole(ctx, clientId, "CLIENT", "Client"))
        : undefined,
      body.treatment_plan != null
        ? related(errors, "treatment_plan", invalidPk(body.treatment_plan), () =>
            getTreatmentPlan(ctx, body.treatment_plan!),
          )
        : undefined,
    ]);
    let startsAt: Date | undefined;
    let endsAt: Date | undefined;
    if (body.session_date !== undefined || body.start_time !== undefined || body.end_time !== undefined) {
      // The date and the times are separate fields: the ones not given keep their value, in the (new) staff member's zone.
      const zone = (staff ?? (await ctx.loaders.get(userById).load(session.providerId)))!.timeZone;
      const start = localDateTime(session.startsAt, zone);
      const date = body.session_date ?? start.date;
      startsAt = localInstant(errors, "start_time", date, body.start_time ?? start.time, zone);
      endsAt = localInstant(errors, "end_time", date, body.end_time ?? localDateTime(session.endsAt, zone).time, zone);
    }
    throwFieldErrors(errors);
    if (clientId === undefined && providerId === undefined) {
      return sessionJson(
        ctx,
        await updateSession(ctx, id, {
          notes: body.session_notes,
          startsAt,
          endsAt,
          treatmentPlanId: body.treatment_plan,
        }).catch(asUpdateFields),
      );
    }
    let treatmentPlanId = body.treatment_plan;
    // A plan is its client's: a request that also sets treatment_plan (null, or the new client's plan) lets go of the old one first.
    if (treatmentPlanId !== undefined && session.treatmentPlanId !== null) {
      await updateSession(ctx, id, { treatmentPlanId: null });
      if (treatmentPlanId === null) treatmentPlanId = undefined;
    }
    const moved = await reassignSession(ctx, id, { providerId, clientId }).catch(asUpdateFields);
    // The other changes, if any: a PUT that only hands the session over repeats its times (and its old staff member may no longer edit it).
    const same = (given: Date | undefined, current: Date) =>
      given === undefined || given.getTime() === current.getTime();
    const more =
      body.session_notes !== undefined ||
      treatmentPlanId !== undefined ||
      !same(startsAt, moved.startsAt) ||
      !same(endsAt, moved.endsAt);
    const updated = more
      ? await updateInScope(ctx, id, undefined, { notes: body.session_notes, startsAt, endsAt, treatmentPlanId }).catch(
          asUpdateFields,
        )
      : moved;
    return sessionJson(ctx, updated);
  };
  const updateResponses = { 200: SESSION_SCHEMA, ...ERRORS };
  routes.patch(
    "/scheduler/sessions/:id/",
    {
      schema: {
        tags,
        summary: "Changes the fields given",
        params: ID_PARAMS,
        body: PATCH_BODY,
        response: updateResponses,
      },
    },
    update,
  );
  routes.put(
    "/scheduler/sessions/:id/",
    {
      schema: {
        tags,
        summary: "Changes the session: date and times required, other fields as given",
        params: ID_PARAMS,
        body: PUT_BODY,
        response: updateResponses,
      },
    },
    update,
  );

  routes.delete(
    "/scheduler/sessions/:id/",
    {
      schema: {
        tags,
        summary:
          "Deletes the session (its staff member or an administrator); a completed or no-show session, or one with treatment details, is a clinical record: 400",
        params: ID_PARAMS,
        response: {
          204: { type: "null", description: "No Content" },
          400: BAD_REQUEST_SCHEMA,
          401: DETAIL_SCHEMA,
          403: DETAIL_SCHEMA,
          404: DETAIL_SCHEMA,
        },
      },
    },
    async (ctx, request, reply) => {
      await deleteSession(ctx, request.params.id);
      reply.code(204);
      return null;
    },
  );
}
