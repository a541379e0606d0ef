import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { classifyFailure } from "../db/client.js";
import type { RequestScope } from "../db/scope.js";
import { DomainError, HTTP_STATUS, type ErrorCode, type ErrorReason, type FieldError, type Words } from "../errors.js";
import { httpContext } from "../http/request-context.js";
import { finishAudited, outcomeOfError, readEntries, type AuditEntry } from "../modules/audit/index.js";
import type { AppDeps, RequestContext } from "../modules/context.js";
import type { AuthService } from "../modules/tenants/index.js";
import { isWriteRequest } from "../http/write-limit.js";

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

/** Failures of the transport itself, not of a service: they have no ErrorReason. */
export type TransportReason = "ROUTE_NOT_FOUND" | "INVALID_BODY" | "RATE_LIMITED" | "INTERNAL";

/** Every reason a legacy format translates: a service's, or the transport's own. */
export type ProblemReason = ErrorReason | TransportReason;

/**
 * What was wrong with a body the server could not read, from Fastify's error code (never from
 * its message): nothing sent with a JSON content type, JSON that does not parse, a content type
 * no parser reads, a body over the limit, a body shorter or longer than its Content-Length.
 */
export type BodyFault =
  "EMPTY" | "MALFORMED_JSON" | "UNSUPPORTED_MEDIA_TYPE" | "TOO_LARGE" | "LENGTH_MISMATCH" | "UNREADABLE";

/**
 * One failure, before an API gives it its legacy shape: the service's reason and structured
 * details, or the transport's own kind. `status` is the conventional HTTP status (HTTP_STATUS
 * of the reason's code); a format may choose another where its document says so. Formats word
 * messages from `words` with their own Vocabulary, never by reading `message`.
 */
export interface Problem {
  status: number;
  reason: ProblemReason;
  /** The reason's GraphQL code (the audit's outcome), or the transport's kind. */
  code: ErrorCode | TransportReason;
  /** The message with its slots: render(words, vocabulary). */
  words: Words;
  /** The message as services and GraphQL word it (render(words)); transport kinds: Fastify's text, shown as is. */
  message: string;
  /** BAD_USER_INPUT from a service: the service's field name -> what is wrong with it. */
  fieldErrors?: Record<string, FieldError>;
  /** Request validation (JSON schema) failures, one per field, in document order. */
  validation?: FieldProblem[];
  /** NOT_FOUND: which kind of record ("Session", "Provider"). */
  entity?: string;
  /**
   * NOT_FOUND of a record that exists but is not the caller's (hiddenFromCaller). Formats
   * answer it as an unknown record unless their document gives it another status.
   */
  denied?: boolean;
  /** SESSION_OVERLAP: the session collided with, when the caller may see it. */
  conflictingSessionId?: number;
  /** SESSION_OVERLAP: when that session starts, when the caller may know it. */
  conflictingStartsAt?: Date;
  /** INVALID_BODY only. */
  bodyFault?: BodyFault;
  /** INTERNAL only: also in the log line. */
  correlationId?: string;
}

/** Ajv's structured parameters of a failure, so formats word it without reading Ajv's message. */
export interface FieldProblemParams {
  /** minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems, maxItems. */
  limit?: number;
  /** pattern: the pattern the value did not match. */
  pattern?: string;
  /** format: the format the value did not have ("date", "date-time"). */
  format?: string;
  /** enum: the values allowed. */
  allowedValues?: readonly unknown[];
  /** type: the types allowed ("integer"; ["string", "null"]). */
  type?: readonly string[];
}

export interface FieldProblem {
  /** The property that failed: "session_date", "page", or "" for the whole body. */
  field: string;
  /** The JSON-schema keyword that failed: required, type, format, enum, minimum, maximum, pattern, additionalProperties, ... */
  keyword: string;
  /** Where it was: body, querystring, params, headers. */
  location: string;
  /** Ajv's parameters of the failure. */
  params: FieldProblemParams;
  /** Ajv's (or a handler's) own text: shown as is where a format has no wording of its own, never parsed. */
  message: string;
}

/** An API's error envelope: it turns a Problem into its status and body. */
export type ErrorFormat = (problem: Problem, request: FastifyRequest) => { status: number; body: unknown };

/** The compile-time end of an exhaustive switch: a reason no case handled does not type-check. */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}

/**
 * Installs an API's error envelope on its (encapsulated) plugin: schema validation failures,
 * malformed or empty JSON, service DomainErrors, unknown routes under its prefix and bugs all
 * leave in that API's own format. A bug answers 500 with a correlation id that is also logged.
 */
export function useErrorFormat(app: FastifyInstance, format: ErrorFormat): void {
  FORMAT_BY_PREFIX.set(app.prefix, format);
  app.setErrorHandler((error, request, reply) => {
    const problem = problemOf(error);
    if (problem.reason === "INTERNAL")
      request.log.error({ err: error, correlationId: problem.correlationId }, "unexpected REST error");
    const { status, body } = format(problem, request);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = format(routeNotFound(request), request);
    return reply.code(status).send(body);
  });
}

/** Each API's error format by its route prefix: the same for every server instance (formats hold no state). */
const FORMAT_BY_PREFIX = new Map<string, ErrorFormat>();

const transport = (
  reason: TransportReason,
  status: number,
  message: string,
  extra: Partial<Problem> = {},
): Problem => ({ status, reason, code: reason, words: [message], message, ...extra });

const routeNotFound = (request: FastifyRequest) =>
  transport("ROUTE_NOT_FOUND", 404, `Route ${request.method} ${request.url} not found`);

/**
 * Fastify's `frameworkErrors`: a URL the router cannot even decode (a path with invalid UTF-8
 * percent-encoding) names no route. Under an API's prefix it is that API's "route not found",
 * in its format; elsewhere a plain 400.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split("?")[0];
  const prefix = [...FORMAT_BY_PREFIX.keys()]
    .filter((p) => p && (path === p || path.startsWith(`${p}/`)))
    .sort((x, y) => y.length - x.length)[0];
  if (prefix === undefined) {
    void reply.code(400).send({ statusCode: 400, error: "Bad Request", message: error.message });
    return;
  }
  const { status, body } = FORMAT_BY_PREFIX.get(prefix)!(routeNotFound(request), request);
  void reply.code(status).send(body);
}

/** Fastify's body-reading failures by their error code. */
const BODY_FAULTS: Record<string, BodyFault> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: "EMPTY",
  FST_ERR_CTP_INVALID_JSON_BODY: "MALFORMED_JSON",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_BODY_TOO_LARGE: "TOO_LARGE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "LENGTH_MISMATCH",
};

/**
 * Any error as a Problem. Infrastructure failures are classified once (classifyFailure) into
 * DomainErrors; the status of a reason is HTTP_STATUS of its code, the one table both
 * transports use.
 */
export function problemOf(error: unknown): Problem {
  error = classifyFailure(error);
  if (error instanceof DomainError) {
    const { fieldErrors, entity, conflictingSessionId, conflictingStartsAt } = error.details;
    return {
      status: HTTP_STATUS[error.code],
      reason: error.reason,
      code: error.code,
      words: error.words,
      message: error.message,
      ...(fieldErrors ? { fieldErrors } : {}),
      ...(entity !== undefined ? { entity } : {}),
      ...(error.denied ? { denied: true } : {}),
      ...(conflictingSessionId !== undefined ? { conflictingSessionId } : {}),
      ...(conflictingStartsAt !== undefined ? { conflictingStartsAt } : {}),
    };
  }
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.validation) {
    const message = fastifyError.message ?? "Invalid request";
    return {
      status: HTTP_STATUS.BAD_USER_INPUT,
      reason: "VALIDATION",
      code: "BAD_USER_INPUT",
      words: [message],
      message,
      validation: fastifyError.validation.map((v) => fieldProblem(v, fastifyError.validationContext ?? "body")),
    };
  }
  if (fastifyError.statusCode === 429)
    return transport("RATE_LIMITED", 429, fastifyError.message ?? "Too many requests");
  // Malformed JSON, an empty JSON body, a wrong content type, a body over the limit: the client's fault.
  const bodyFault = fastifyError.code ? BODY_FAULTS[fastifyError.code] : undefined;
  if (
    bodyFault ||
    fastifyError.code?.startsWith("FST_ERR_CTP_") ||
    (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500)
  ) {
    return transport("INVALID_BODY", fastifyError.statusCode ?? 400, fastifyError.message ?? "Invalid request body", {
      bodyFault: bodyFault ?? "UNREADABLE",
    });
  }
  return transport("INTERNAL", 500, "Internal server error", { correlationId: crypto.randomUUID() });
}

function fieldProblem(v: NonNullable<FastifyError["validation"]>[number], location: string): FieldProblem {
  const params = v.params as Record<string, unknown>;
  const path = v.instancePath.split("/").filter(Boolean);
  const field =
    (params.missingProperty as string | undefined) ??
    (params.additionalProperty as string | undefined) ??
    path[0] ??
    "";
  return { field, keyword: v.keyword, location, params: problemParams(params), message: v.message ?? "is invalid" };
}

/** The parameters Ajv gives each keyword (limit, pattern, format, allowedValues, type), typed. */
function problemParams(params: Record<string, unknown>): FieldProblemParams {
  const out: FieldProblemParams = {};
  if (typeof params.limit === "number") out.limit = params.limit;
  if (typeof params.pattern === "string") out.pattern = params.pattern;
  if (typeof params.format === "string") out.format = params.format;
  if (Array.isArray(params.allowedValues)) out.allowedValues = params.allowedValues;
  if (typeof params.type === "string" || Array.isArray(params.type)) out.type = [params.type].flat().map(String);
  return out;
}

/** How a request presents its token. The fitness API also accepts the cookie `session=<jwt>`. */
export interface Credentials {
  authorization?: string;
  tenantCode?: string;
}

export function bearerCredentials(request: FastifyRequest): Credentials {
  const tenantCode = request.headers["x-tenant-code"];
  return {
    authorization: request.headers.authorization,
    tenantCode: typeof tenantCode === "string" ? tenantCode : undefined,
  };
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
      await finishAudited(ctx, entries, false).catch((finishErr: unknown) =>
        request.log.error({ err: finishErr }, "ending a failed request (rollback, audit entry) failed"),
      );
      throw err;
    }
    const own = audit && !request.routeOptions.config.auditRead ? [audit("success", result)] : [];
    // A write is audited as a write: what it answers with is its own record.
    await finishAudited(ctx, [...own, ...(isWriteRequest(request) ? [] : readEntries(ctx))], true);
    return result;
  };
}

/** The legacy resources by the GraphQL type of their records, so auditLog(entity, id) shows both adapters' writes. */
const ENTITY_OF_RESOURCE: Record<string, string> = {
  sessions: "Session",
  meetings: "Session",
  "treatment-details": "TreatmentDetail",
  availability: "AvailabilityRule",
  "video-token": "VideoAccess",
  "video-token-refresh": "VideoAccess",
};

/**
 * How a route is audited: a write as `PUT /api/v1/sessions/:id` of its resource (the last static
 * segment before the first parameter) and record (the :id, else the id in the answer); a
 * failed route with config.auditRead as a read of that entity. Successful reads are in the
 * request's read entry when they returned clinical text.
 */
function auditOf(
  request: FastifyRequest,
): ((outcome: AuditEntry["outcome"], result?: unknown) => AuditEntry) | undefined {
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
  return (outcome, result) => ({
    action: `${request.method} ${url}`,
    entity,
    entityId: paramId ?? idIn(result),
    outcome,
  });
}

/** The id of the record a write answered with: { id } or an envelope's { data: { id } }. */
function idIn(result: unknown): unknown {
  const body = result as { id?: unknown; data?: { id?: unknown } } | null | undefined;
  return body?.id ?? body?.data?.id;
}
