import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { classifyFailure } from "../db/client.js";
import type { RequestScope } from "../db/scope.js";
import { DomainError, render, type ErrorCode } from "../errors.js";
import { httpContext } from "../http/request-context.js";
import { finishAudited, outcomeOfError, readEntries, type AuditEntry } from "../modules/audit/audit.service.js";
import type { AppDeps, RequestContext } from "../modules/context.js";
import type { AuthService } from "../modules/tenants/auth.service.js";
import { isWriteRequest } from "../http/write-limit.js";
import { parseRecordId } from "../bounds.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * A GET of one record whose answer includes its clinical text: a failed call is recorded as a
     * read of that entity with its outcome (DENIED when the record is hidden from the caller).
     * What a successful call returns is in the request's read entry (recordRead in the serializers).
     */
    auditRead?: string;
  }
}

/** What every legacy API plugin is registered with. */
export interface ShimOptions {
  deps: AppDeps;
  auth: AuthService;
}

export type ShimContext = RequestContext & { db: RequestScope };

/**
 * One failure, before an API gives it its legacy shape. `status` is the conventional HTTP
 * status; a format may choose another where its document says so.
 */
export interface Problem {
  status: number;
  code: ErrorCode | "RATE_LIMITED" | "ROUTE_NOT_FOUND" | "INVALID_BODY" | "INTERNAL";
  message: string;
  /** BAD_USER_INPUT from a service: field -> message. */
  fieldErrors?: Record<string, string>;
  /** Request validation (JSON schema) failures, one per field, in document order. */
  validation?: FieldProblem[];
  conflictingSessionId?: number;
  /**
   * NOT_FOUND of a record that exists but is not the caller's (hiddenFromCaller): its entity.
   * Formats answer it as an unknown record unless their document gives it another status.
   */
  deniedEntity?: string;
  /** INTERNAL only: also in the log line. */
  correlationId?: string;
}

export interface FieldProblem {
  /** The property that failed: "session_date", "page", or "" for the whole body. */
  field: string;
  /** The JSON-schema keyword that failed: required, type, format, enum, minimum, maximum, pattern, additionalProperties, ... */
  keyword: string;
  /** Where it was: body, querystring, params, headers. */
  location: string;
  message: string;
}

/** An API's error envelope: it turns a Problem into its status and body. */
export type ErrorFormat = (problem: Problem, request: FastifyRequest) => { status: number; body: unknown };

const STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

/**
 * Installs an API's error envelope on its (encapsulated) plugin: schema validation failures,
 * malformed or empty JSON, service DomainErrors, unknown routes under its prefix and bugs all
 * leave in that API's own format. A bug answers 500 with a correlation id that is also logged.
 */
export function useErrorFormat(app: FastifyInstance, format: ErrorFormat): void {
  FORMAT_BY_PREFIX.set(app.prefix, format);
  app.setErrorHandler((error, request, reply) => {
    const problem = problemOf(error);
    if (problem.code === "INTERNAL") request.log.error({ err: error, correlationId: problem.correlationId }, "unexpected REST error");
    const { status, body } = format(problem, request);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = format({ status: 404, code: "ROUTE_NOT_FOUND", message: `Route ${request.method} ${request.url} not found` }, request);
    return reply.code(status).send(body);
  });
}

/** Each API's error format by its route prefix: the same for every server instance (formats hold no state). */
const FORMAT_BY_PREFIX = new Map<string, ErrorFormat>();

/**
 * Fastify's `frameworkErrors`: a URL the router cannot even decode (a path with invalid UTF-8
 * percent-encoding) names no route. Under an API's prefix it is that API's "route not found",
 * in its format; elsewhere a plain 400.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split("?")[0];
  const prefix = [...FORMAT_BY_PREFIX.keys()].filter((p) => p && (path === p || path.startsWith(`${p}/`))).sort((x, y) => y.length - x.length)[0];
  if (prefix === undefined) {
    void reply.code(400).send({ statusCode: 400, error: "Bad Request", message: error.message });
    return;
  }
  const { status, body } = FORMAT_BY_PREFIX.get(prefix)!({ status: 404, code: "ROUTE_NOT_FOUND", message: `Route ${request.method} ${request.url} not found` }, request);
  void reply.code(status).send(body);
}

export function problemOf(error: unknown): Problem {
  error = classifyFailure(error);
  if (error instanceof DomainError) {
    return {
      status: STATUS[error.code],
      code: error.code,
      message: error.message,
      fieldErrors: error.details.fieldErrors && Object.fromEntries(Object.entries(error.details.fieldErrors).map(([name, e]) => [name, render(e.words)])),
      conflictingSessionId: error.details.conflictingSessionId,
      ...(error.denied && error.code === "NOT_FOUND" ? { deniedEntity: error.details.entity } : {}),
    };
  }
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.validation) {
    return { status: 400, code: "BAD_USER_INPUT", message: fastifyError.message ?? "Invalid request", validation: fastifyError.validation.map((v) => fieldProblem(v, fastifyError.validationContext ?? "body")) };
  }
  if (fastifyError.statusCode === 429) return { status: 429, code: "RATE_LIMITED", message: fastifyError.message ?? "Too many requests" };
  // Malformed JSON, an empty JSON body, a wrong content type, a body over the limit: the client's fault.
  if (fastifyError.code?.startsWith("FST_ERR_CTP_") || (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500)) {
    return { status: fastifyError.statusCode ?? 400, code: "INVALID_BODY", message: fastifyError.message ?? "Invalid request body" };
  }
  return { status: 500, code: "INTERNAL", message: "Internal server error", correlationId: crypto.randomUUID() };
}

function fieldProblem(v: NonNullable<FastifyError["validation"]>[number], location: string): FieldProblem {
  const params = v.params as Record<string, unknown>;
  const path = v.instancePath.split("/").filter(Boolean);
  const field = (params.missingProperty as string | undefined) ?? (params.additionalProperty as string | undefined) ?? path[0] ?? "";
  return { field, keyword: v.keyword, location, message: v.message ?? "is invalid" };
}

/** How a request presents its token. The fitness API also accepts the cookie `session=<jwt>`. */
export interface Credentials {
  authorization?: string;
  tenantCode?: string;
}

export function bearerCredentials(request: FastifyRequest): Credentials {
  const tenantCode = request.headers["x-tenant-code"];
  return { authorization: request.headers.authorization, tenantCode: typeof tenantCode === "string" ? tenantCode : undefined };
}

/**
 * Wraps a route handler: authenticates, gives it the request's transaction (the same
 * RequestScope GraphQL uses), commits before the response leaves, rolls back on any error.
 * Writes leave their audit entry, and a GET that returned clinical text its one read entry
 * (refused reads too): with the commit, or after the rollback.
 */
export function scoped<R>(
  { deps, auth }: ShimOptions,
  handler: (ctx: ShimContext, request: FastifyRequest, reply: FastifyReply) => Promise<R>,
  credentials: (request: FastifyRequest) => Credentials = bearerCredentials,
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<R> => {
    const ctx = await httpContext(deps, auth, credentials(request), request.id);
    (request as { scope?: RequestScope }).scope = ctx.db;
    const audit = auditOf(request);
    let result: R;
    try {
      result = await handler(ctx, request, reply);
    } catch (err) {
      // The flag is read from the error as the service threw it: the client only sees its legacy status.
      const entries = audit ? [audit(outcomeOfError(err, problemOf(err).code))] : [];
      // The client gets the error it caused, even if the rollback or its audit entry failed.
      await finishAudited(ctx, entries, false).catch((finishErr: unknown) => request.log.error({ err: finishErr }, "ending a failed request (rollback, audit entry) failed"));
      throw err;
    }
    const own = audit && !request.routeOptions.config.auditRead ? [audit("success", result)] : [];
    // A write is audited as a write: what it answers with is its own record.
    await finishAudited(ctx, [...own, ...(isWriteRequest(request) ? [] : readEntries(ctx))], true);
    return result;
  };
}

/** The legacy resources by the GraphQL type of their records, so auditLog(entity, id) shows both adapters' writes. */
const ENTITY_OF_RESOURCE: Record<string, string> = { sessions: "Session", meetings: "Session", "treatment-details": "TreatmentDetail", availability: "AvailabilityRule", "video-token": "VideoAccess", "video-token-refresh": "VideoAccess" };

/**
 * How a route is audited: a write as `PUT /api/v1/sessions/:id` of its resource (the last static
 * segment before the first parameter) and record (the :id, else the id in the answer); a
 * failed route with config.auditRead as a read of that entity. Successful reads are in the
 * request's read entry when they returned clinical text.
 */
function auditOf(request: FastifyRequest): ((outcome: AuditEntry["outcome"], result?: unknown) => AuditEntry) | undefined {
  const { config } = request.routeOptions;
  // "/api/v1/sessions/:id(^\d+$)" -> "/api/v1/sessions/:id"
  const url = (request.routeOptions.url ?? "").replace(/(:\w+)\([^/]*\)/g, "$1");
  const paramId = (request.params as { id?: unknown } | undefined)?.id;
  if (config.auditRead) return (outcome) => ({ action: "read", entity: config.auditRead!, entityId: paramId, outcome });
  if (!isWriteRequest(request)) return undefined;
  const segments = url.split("/").filter(Boolean);
  const firstParam = segments.findIndex((s) => s.startsWith(":"));
  const resource = (firstParam === -1 ? segments : segments.slice(0, firstParam)).at(-1) ?? "";
  const entity = ENTITY_OF_RESOURCE[resource] ?? resource;
  return (outcome, result) => ({ action: `${request.method} ${url}`, entity, entityId: paramId ?? idIn(result), outcome });
}

/** The id of the record a write answered with: { id } or an envelope's { data: { id } }. */
function idIn(result: unknown): unknown {
  const body = result as { id?: unknown; data?: { id?: unknown } } | null | undefined;
  return body?.id ?? body?.data?.id;
}

/** Plain integer ids in paths: "12" -> 12; anything else, or past our largest id -> undefined (the API answers 400 or 404 as it documents). */
export function integerId(value: string): number | undefined {
  return parseRecordId(value);
}
