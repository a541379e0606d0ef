import type { FastifyInstance } from "fastify";
import type { AvailabilityRuleRow } from "../../db/schema/index.js";
import { DomainError } from "../../errors.js";
import {
  availableSlots,
  createAvailabilityRule,
  deleteAvailabilityRule,
  listAvailabilityRules,
  updateAvailabilityRule,
} from "../../modules/availability/index.js";
import { shimRoutes } from "../primitives.js";
import type { ShimContext, ShimOptions } from "../shim.js";
import { bookingId, type RouteNaming } from "./common.js";
import * as schema from "./schemas.js";

/**
 * The legacy controller's gate for the availability routes, answered 401 as the document says:
 * only therapists manage (and list) their weekly availability.
 */
function therapistOnly(ctx: ShimContext): void {
  if (ctx.viewer.role !== "PROVIDER")
    throw new DomainError("UNAUTHENTICATED", "Only therapists can manage availability");
}

const slotIdOf = (params: { id: string }) => bookingId(params.id, "Availability slot");

export function availabilityRoutes(api: FastifyInstance, options: ShimOptions, naming: RouteNaming): void {
  const doc = naming.describe;
  const routes = shimRoutes(api, options);

  routes.post(
    "/availability",
    {
      schema: {
        ...doc("createAvailability", "Add a weekly availability slot (therapists)"),
        body: schema.availabilityCreateBody,
        response: { 201: schema.availability, ...schema.errorResponses },
      },
    },
    async (ctx, request, reply) => {
      therapistOnly(ctx);
      const { body } = request;
      const rule = await createAvailabilityRule(ctx, {
        dayOfWeek: body.dayOfWeek,
        startTime: body.startTime,
        endTime: body.endTime,
        notes: body.notes,
      });
      reply.code(201);
      return toAvailability(rule);
    },
  );

  routes.get(
    "/availability",
    {
      schema: {
        ...doc("listAvailability", "The current therapist's weekly availability"),
        response: { 200: { type: "array", items: schema.availability }, ...schema.errorResponses },
      },
    },
    async (ctx) => {
      therapistOnly(ctx);
      return (await listAvailabilityRules(ctx)).map(toAvailability);
    },
  );

  routes.put(
    "/availability/:id",
    {
      schema: {
        ...doc("updateAvailability", "Change a weekly availability slot (its therapist)"),
        params: schema.idParams,
        body: schema.availabilityUpdateBody,
        response: { 200: schema.availability, ...schema.errorResponses },
      },
    },
    async (ctx, request) => {
      therapistOnly(ctx);
      const { body } = request;
      const rule = await updateAvailabilityRule(ctx, slotIdOf(request.params), {
        dayOfWeek: body.dayOfWeek,
        startTime: body.startTime,
        endTime: body.endTime,
        notes: body.notes,
        isAvailable: body.isAvailable,
      });
      return toAvailability(rule);
    },
  );

  routes.delete(
    "/availability/:id",
    {
      schema: {
        ...doc("deleteAvailability", "Delete a weekly availability slot (its therapist)"),
        params: schema.idParams,
        response: { 200: schema.success, ...schema.errorResponses },
      },
    },
    async (ctx, request) => {
      therapistOnly(ctx);
      return { success: await deleteAvailabilityRule(ctx, slotIdOf(request.params)) };
    },
  );

  routes.get(
    "/slots",
    {
      schema: {
        ...doc("listSlots", "Bookable start times of a therapist on a date, with the durations that fit"),
        querystring: schema.slotsQuery,
        response: { 200: schema.slots, ...schema.errorResponses },
      },
    },
    async (ctx, request) => {
      const { query } = request;
      const days = await availableSlots(ctx, {
        providerId: bookingId(query.therapistId, "Therapist"),
        from: query.date,
      });
      return days.flatMap((day) =>
        day.slots.map((slot) => ({
          startTime: slot.startsAt.toISOString(),
          availableDurations: slot.availableDurations.map((minutes) => ({
            id: String(minutes),
            name: `${minutes} minutes`,
            duration: minutes,
          })),
        })),
      );
    },
  );
}

function toAvailability(rule: AvailabilityRuleRow) {
  return {
    id: String(rule.id),
    therapistId: String(rule.providerId),
    dayOfWeek: rule.dayOfWeek,
    // The database keeps seconds ("09:00:00"); the document speaks HH:MM.
    startTime: rule.startTime.slice(0, 5),
    endTime: rule.endTime.slice(0, 5),
    isAvailable: rule.isAvailable,
    notes: rule.notes,
    createdAt: rule.createdAt.toISOString(),
    updatedAt: rule.updatedAt.toISOString(),
  };
}
