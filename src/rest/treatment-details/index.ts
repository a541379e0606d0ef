import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createTreatmentDetail, deleteTreatmentDetail, getTreatmentDetail, listTreatmentDetails, updateTreatmentDetail } from "../../modules/treatment-details/treatment-detail.service.js";
import { TENANT_MISMATCH, type AuthService } from "../../modules/tenants/auth.service.js";
import { DomainError } from "../../errors.js";
import { bearerCredentials, scoped, useErrorFormat, type ShimOptions } from "../shim.js";
import { failure, ginErrorFormat, legacyDetail, success } from "./envelope.js";
import { byTreatmentParams, deletedResponse, detailParams, detailRequest, detailResponse, listQuery, listResponse, TAGS, tenantHeaders } from "./schemas.js";
import { validatorCompiler } from "./validation.js";

interface DetailBody {
  treatment_id?: number | null;
  item_id?: number | null;
  unit_id?: number | null;
  quantity: number;
}

const serviceInput = (body: DetailBody) => ({ sessionId: body.treatment_id, itemId: body.item_id, unitId: body.unit_id, quantity: body.quantity });
const idOf = (request: FastifyRequest) => (request.params as { id: number }).id;

/** ../shared/legacy-api/treatment-details.md: the Go/Gin treatment detail API (a treatment is a session). */
export async function treatmentDetailsApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  await app.register(
    async (api) => {
      useErrorFormat(api, ginErrorFormat);
      api.setValidatorCompiler(validatorCompiler);
      acceptEmptyJson(api);
      api.addHook("onRequest", authAndTenantMiddleware(options.auth));
      const root = { prefixTrailingSlash: "no-slash" } as const;

      api.get(
        "/",
        { ...root, schema: { tags: TAGS, summary: "List treatment details", headers: tenantHeaders, querystring: listQuery, response: listResponse } },
        scoped(options, async (ctx, request) => {
          const query = request.query as { treatment_id?: number; item_id?: number };
          const rows = await listTreatmentDetails(ctx, { sessionId: query.treatment_id, itemId: query.item_id });
          return success("Treatment details retrieved successfully", rows.map(legacyDetail));
        }),
      );

      api.get(
        "/:id",
        { schema: { tags: TAGS, summary: "Get a treatment detail", headers: tenantHeaders, params: detailParams, response: detailResponse("The treatment detail") } },
        scoped(options, async (ctx, request) => success("Treatment detail retrieved successfully", legacyDetail(await getTreatmentDetail(ctx, idOf(request))))),
      );

      api.get(
        "/by-treatment/:treatment_id",
        { schema: { tags: TAGS, summary: "List the details of a treatment", headers: tenantHeaders, params: byTreatmentParams, response: listResponse } },
        scoped(options, async (ctx, request) => {
          const sessionId = (request.params as { treatment_id: number }).treatment_id;
          return success("Treatment details retrieved successfully", (await listTreatmentDetails(ctx, { sessionId })).map(legacyDetail));
        }),
      );

      api.post(
        "/",
        { ...root, schema: { tags: TAGS, summary: "Create a treatment detail", headers: tenantHeaders, body: detailRequest, response: detailResponse("Created", 201) } },
        scoped(options, async (ctx, request, reply) => {
          const row = await createTreatmentDetail(ctx, serviceInput(request.body as DetailBody));
          reply.code(201);
          return success("Treatment detail created successfully", legacyDetail(row));
        }),
      );

      api.put(
        "/:id",
        { schema: { tags: TAGS, summary: "Replace a treatment detail", headers: tenantHeaders, params: detailParams, body: detailRequest, response: detailResponse("Updated") } },
        scoped(options, async (ctx, request) => {
          const row = await updateTreatmentDetail(ctx, idOf(request), serviceInput(request.body as DetailBody));
          return success("Treatment detail updated successfully", legacyDetail(row));
        }),
      );

      api.delete(
        "/:id",
        { schema: { tags: TAGS, summary: "Soft delete a treatment detail", headers: tenantHeaders, params: detailParams, response: deletedResponse } },
        scoped(options, async (ctx, request) => {
          await deleteTreatmentDetail(ctx, idOf(request));
          return success("Treatment detail deleted successfully", null);
        }),
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
    const { tenant } = await auth.authenticate(authorization);
    if (!tenantCode) return reply.code(400).send(failure("X-Tenant-Code header is required", null));
    // A valid token with another tenant's code: 403, as on every route (AuthService.authenticate).
    if (tenantCode !== tenant.code) throw new DomainError("TENANT_MISMATCH", TENANT_MISMATCH);
  };
}

/**
 * An empty JSON body is no body: the documented DELETE sends Content-Type: application/json
 * without one, which Gin ignores. A POST or PUT without a body still fails its schema.
 */
function acceptEmptyJson(api: FastifyInstance): void {
  const parseJson = api.getDefaultJsonParser("error", "error");
  api.removeContentTypeParser("application/json");
  api.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => (body === "" ? done(null, undefined) : parseJson(request, body as string, done)));
}
