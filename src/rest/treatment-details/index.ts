import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  createTreatmentDetail,
  deleteTreatmentDetail,
  getTreatmentDetail,
  listTreatmentDetails,
  updateTreatmentDetail,
} from "../../modules/treatment-details/index.js";
import type { AuthService } from "../../modules/tenants/index.js";
import { readEmptyJsonAs, shimRoutes, type SchemaRequest } from "../primitives.js";
import { bearerCredentials, useErrorFormat, type ShimOptions } from "../shim.js";
import { failure, ginErrorFormat, legacyDetail, success } from "./envelope.js";
import {
  byTreatmentParams,
  deletedResponse,
  detailParams,
  detailRequest,
  detailResponse,
  listQuery,
  listResponse,
  TAGS,
  tenantHeaders,
} from "./schemas.js";
import { validatorCompiler } from "./validation.js";

const serviceInput = (body: SchemaRequest<{ body: typeof detailRequest }>["body"]) => ({
  sessionId: body.treatment_id,
  itemId: body.item_id,
  unitId: body.unit_id,
  quantity: body.quantity,
});

/** ../shared/legacy-api/treatment-details.md: the Go/Gin treatment detail API (a treatment is a session). */
export async function treatmentDetailsApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  await app.register(
    async (api) => {
      useErrorFormat(api, ginErrorFormat);
      api.setValidatorCompiler(validatorCompiler);
      // An empty JSON body is no body: the documented DELETE sends Content-Type: application/json
      // without one, which Gin ignores. A POST or PUT without a body still fails its schema.
      readEmptyJsonAs(api, undefined);
      api.addHook("onRequest", authAndTenantMiddleware(options.auth));
      const routes = shimRoutes(api, options);
      const root = { prefixTrailingSlash: "no-slash" } as const;

      routes.get(
        "/",
        {
          ...root,
          schema: {
            tags: TAGS,
            summary: "List treatment details",
            headers: tenantHeaders,
            querystring: listQuery,
            response: listResponse,
          },
        },
        async (ctx, request) => {
          const { query } = request;
          const rows = await listTreatmentDetails(ctx, { sessionId: query.treatment_id, itemId: query.item_id });
          return success("Treatment details retrieved successfully", rows.map(legacyDetail));
        },
      );

      routes.get(
        "/:id",
        {
          schema: {
            tags: TAGS,
            summary: "Get a treatment detail",
            headers: tenantHeaders,
            params: detailParams,
            response: detailResponse("The treatment detail"),
          },
        },
        async (ctx, request) =>
          success(
            "Treatment detail retrieved successfully",
            legacyDetail(await getTreatmentDetail(ctx, request.params.id)),
          ),
      );

      routes.get(
        "/by-treatment/:treatment_id",
        {
          schema: {
            tags: TAGS,
            summary: "List the details of a treatment",
            headers: tenantHeaders,
            params: byTreatmentParams,
            response: listResponse,
          },
        },
        async (ctx, request) => {
          const sessionId = request.params.treatment_id;
          return success(
            "Treatment details retrieved successfully",
            (await listTreatmentDetails(ctx, { sessionId })).map(legacyDetail),
          );
        },
      );

      routes.post(
        "/",
        {
          ...root,
          schema: {
            tags: TAGS,
            summary: "Create a treatment detail",
            headers: tenantHeaders,
            body: detailRequest,
            response: detailResponse("Created", 201),
          },
        },
        async (ctx, request, reply) => {
          const row = await createTreatmentDetail(ctx, serviceInput(request.body));
          reply.code(201);
          return success("Treatment detail created successfully", legacyDetail(row));
        },
      );

      routes.put(
        "/:id",
        {
          schema: {
            tags: TAGS,
            summary: "Replace a treatment detail",
            headers: tenantHeaders,
            params: detailParams,
            body: detailRequest,
            response: detailResponse("Updated"),
          },
        },
        async (ctx, request) => {
          const row = await updateTreatmentDetail(ctx, request.params.id, serviceInput(request.body));
          return success("Treatment detail updated successfully", legacyDetail(row));
        },
      );

      routes.delete(
        "/:id",
        {
          schema: {
            tags: TAGS,
            summary: "Soft delete a treatment detail",
            headers: tenantHeaders,
            params: detailParams,
            response: deletedResponse,
          },
        },
        async (ctx, request) => {
          await deleteTreatmentDetail(ctx, request.params.id);
          return success("Treatment detail deleted successfully", null);
        },
      );
    },
    { prefix: "/so/api/treatment-details" },
  );
}

/**
 * The Gin middleware chain, before the body is read: the JWT first (401), then X-Tenant-Code
 * (400 when missing, 403 when not the token's tenant). Unknown routes skip it, as Gin's NoRoute
 * skips group middleware. scoped() authenticates again for its context: an HS256 check and a
 * cached tenant lookup.
 */
function authAndTenantMiddleware(auth: AuthService) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.is404) return;
    const { authorization, tenantCode } = bearerCredentials(request);
    await auth.authenticate(authorization);
    if (!tenantCode) return reply.code(400).send(failure("X-Tenant-Code header is required", null));
    // A valid token with another tenant's code: 403 TENANT_MISMATCH, decided where every route decides it.
    await auth.authenticate(authorization, tenantCode);
  };
}
