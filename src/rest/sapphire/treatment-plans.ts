import type { FastifyInstance } from "fastify";
import type { TreatmentPlanRow } from "../../db/schema/index.js";
import { listUsers } from "../../modules/tenants/index.js";
import {
  getTreatmentPlan,
  listTreatmentPlans,
  matchClient,
  visiblePlanClient,
} from "../../modules/treatment-plans/index.js";
import { DETAIL_SCHEMA, ID_PARAMS, shimRoutes } from "../primitives.js";
import type { ShimOptions } from "../shim.js";
import { CLIENT_SCHEMA, clientJson, PLAN_SCHEMA, planJson } from "./serializers.js";

const tags = ["sapphire scheduler"];
const nullableText = { type: ["string", "null"] } as const;
const READ_ERRORS = { 401: DETAIL_SCHEMA, 403: DETAIL_SCHEMA, 404: DETAIL_SCHEMA } as const;

const PLAN_CLIENT_SCHEMA = {
  type: "object",
  required: ["treatment_plan", "matched_client"],
  properties: {
    treatment_plan: {
      type: "object",
      required: ["id", "client_name", "client_id"],
      properties: {
        id: { type: "integer" },
        client_name: nullableText,
        client_id: nullableText,
        plan_type: nullableText,
      },
    },
    matched_client: { anyOf: [CLIENT_SCHEMA, { type: "null" }] },
    matching_method: { type: "string", enum: ["username", "staff_id", "numeric_id", "name"] },
    message: { type: "string" },
    error: { type: "string" },
    suggestion: { type: "string" },
  },
} as const;

/** How the client was found: a plan assigned to its client explicitly names it by user id. */
async function matchingMethod(
  ctx: Parameters<typeof matchClient>[0],
  plan: TreatmentPlanRow,
  clientId: number,
): Promise<string> {
  if (plan.clientId === clientId) return "numeric_id";
  return (await matchClient(ctx, plan))!.method.toLowerCase();
}

export function treatmentPlanRoutes(api: FastifyInstance, options: ShimOptions): void {
  const routes = shimRoutes(api, options);
  routes.get(
    "/scheduler/clients/",
    {
      schema: {
        tags,
        summary: "The clients the caller may schedule (role Clients/Parent)",
        response: { 200: { type: "array", items: CLIENT_SCHEMA }, 401: DETAIL_SCHEMA },
      },
    },
    async (ctx) => (await listUsers(ctx, { role: "CLIENT" })).map(clientJson),
  );

  routes.get(
    "/treatment-plan/treatment-plans/",
    {
      schema: {
        tags,
        summary: "The treatment plans the caller sees",
        response: { 200: { type: "array", items: PLAN_SCHEMA }, ...READ_ERRORS },
      },
    },
    async (ctx) => (await listTreatmentPlans(ctx)).map(planJson),
  );

  routes.get(
    "/treatment-plan/treatment-plans/:id/",
    {
      schema: {
        tags,
        summary: "One treatment plan",
        params: ID_PARAMS,
        response: { 200: PLAN_SCHEMA, ...READ_ERRORS },
      },
    },
    async (ctx, request) => planJson(await getTreatmentPlan(ctx, request.params.id)),
  );

  routes.get(
    "/treatment-plan/plans/:id/client/",
    {
      schema: {
        tags,
        summary: "The client a session booked with this treatment_plan_id gets, and how it was matched",
        description: "404 with matched_client null when no client user matches the plan's client_id / client_name.",
        params: ID_PARAMS,
        response: {
          200: PLAN_CLIENT_SCHEMA,
          401: DETAIL_SCHEMA,
          403: DETAIL_SCHEMA,
          404: { anyOf: [PLAN_CLIENT_SCHEMA, DETAIL_SCHEMA] },
        },
      },
    },
    async (ctx, request, reply) => {
      const plan = await getTreatmentPlan(ctx, request.params.id);
      // A client the caller may not see is answered as no match at all.
      const client = await visiblePlanClient(ctx, plan);
      const named = { id: plan.id, client_name: plan.clientName, client_id: plan.clientRef };
      if (!client) {
        reply.code(404);
        return {
          treatment_plan: named,
          matched_client: null,
          error: `Could not find a client user matching treatment plan client_id "${plan.clientRef ?? ""}" or client_name "${plan.clientName ?? ""}".`,
          suggestion:
            "Please create the client user first or verify the client_id/client_name in the treatment plan matches an existing user.",
        };
      }
      return {
        treatment_plan: { ...named, plan_type: plan.planType },
        matched_client: clientJson(client),
        matching_method: await matchingMethod(ctx, plan, client.id),
        message: `Client found! Use client ID ${client.id} or simply use treatment_plan_id when creating a session.`,
      };
    },
  );
}
