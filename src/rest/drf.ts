/**
 * Django REST Framework conventions, shared by the DRF-style legacy APIs (sapphire scheduler,
 * psychologist video): DRF's error bodies and validation messages, an empty request body read
 * as `{}`, PageNumberPagination pages, and DRF's rendering of instants.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { bearerToken } from "../modules/tenants/index.js";
import { render } from "../errors.js";
import { FORMATS, readEmptyJsonAs } from "./primitives.js";
import { unreachable, useErrorFormat, type ErrorFormat, type FieldProblem, type Problem } from "./shim.js";

export interface DrfOptions {
  /**
   * Field names of the services' errors -> this API's fields; null: the error belongs to no
   * request field. Names not listed are already the API's own.
   */
  fields?: Record<string, string | null>;
  /** Request fields naming related objects by primary key: DRF words their errors differently. */
  primaryKeys?: readonly string[];
  /** Where an error of no field goes: `non_field_errors` (a serializer's) or `detail` (a view's). */
  nonField: "non_field_errors" | "detail";
}

type DrfBody = { detail: string } | Record<string, string[] | string>;

export const NOT_FOUND_BODY = { detail: "Not found." } as const;
export const INVALID_PAGE_BODY = { detail: "Invalid page." } as const;

/** The request's own schema for a property, to word a failure the way DRF's field would. */
type PropertySchema = { type?: string | string[]; format?: string; pattern?: string };

/**
 * Installs the DRF conventions on an API's (encapsulated) plugin: its error envelope, JSON
 * bodies only, and an empty or absent body read as `{}` (DRF parses an empty body as no data,
 * so a create answers "This field is required." for each required field).
 */
export function useDrf(app: FastifyInstance, options: DrfOptions): void {
  useErrorFormat(app, drfErrorFormat(options));
  // Only JSON is read (DRF would also read forms): any other body is 415 Unsupported Media Type.
  app.removeContentTypeParser("text/plain");
  readEmptyJsonAs(app, {}, { absent: true });
}

/**
 * DRF's error bodies, by reason: `{"detail": "..."}` for a view's errors, `{"field": ["..."]}`
 * for a serializer's. Conflicts are a serializer's validation error (400), as DRF apps raise
 * them. Messages are the services' words as written (DRF clients saw them so).
 */
export function drfErrorFormat(options: DrfOptions): ErrorFormat {
  return (problem, request) => {
    const detail = (status: number, message: string) => ({ status, body: { detail: message } });
    const message = render(problem.words);
    switch (problem.code) {
      case "UNAUTHENTICATED":
        // DRF's JWT authentication ignores a header that is no Bearer token: no credentials at all.
        return detail(
          401,
          bearerToken(request.headers.authorization) ? message : "Authentication credentials were not provided.",
        );
      case "FORBIDDEN":
        return detail(403, message);
      case "NOT_FOUND":
      case "ROUTE_NOT_FOUND":
        return { status: 404, body: NOT_FOUND_BODY };
      case "CONFLICT":
        return { status: 400, body: nonFieldError(options, message) };
      case "BAD_USER_INPUT":
        if (problem.validation) return schemaErrors(problem.validation, request, options);
        return { status: 400, body: serviceErrors(problem, options) };
      case "INVALID_BODY":
        return bodyError(problem, request);
      case "RATE_LIMITED":
        return detail(429, "Request was throttled.");
      case "UNAVAILABLE":
        return detail(503, message);
      case "INTERNAL":
        return { status: 500, body: { detail: "A server error occurred.", correlation_id: problem.correlationId } };
      default:
        return unreachable(problem.code);
    }
  };
}

/** A body the server could not read: DRF's UnsupportedMediaType (415), ParseError (400), or the transport's own status (413). */
function bodyError(problem: Problem, request: FastifyRequest) {
  const detail = (status: number, message: string) => ({ status, body: { detail: message } });
  switch (problem.bodyFault) {
    case "UNSUPPORTED_MEDIA_TYPE":
      return detail(415, `Unsupported media type "${request.headers["content-type"] ?? ""}" in request.`);
    case "TOO_LARGE":
      return detail(problem.status, problem.message);
    case "EMPTY":
    case "MALFORMED_JSON":
    case "LENGTH_MISMATCH":
    case "UNREADABLE":
    case undefined:
      // Malformed JSON is DRF's ParseError; another client error keeps its status and Fastify's text.
      return detail(problem.status, problem.status === 400 ? `JSON parse error - ${problem.message}` : problem.message);
    default:
      return unreachable(problem.bodyFault);
  }
}

function nonFieldError(options: DrfOptions, message: string): DrfBody {
  return options.nonField === "detail" ? { detail: message } : { non_field_errors: [message] };
}

/** A service's field errors under this API's field names. */
function serviceErrors(problem: Problem, options: DrfOptions): DrfBody {
  const errors: Record<string, string[]> = {};
  const loose: string[] = [];
  for (const [field, error] of Object.entries(problem.fieldErrors ?? { "": { words: problem.words } })) {
    const name = field in (options.fields ?? {}) ? options.fields![field] : field || null;
    const message = render(error.words);
    if (name === null) loose.push(message);
    else (errors[name] ??= []).push(message);
  }
  if (!loose.length) return errors;
  if (options.nonField === "detail" && !Object.keys(errors).length) return { detail: loose.join(" ") };
  return { ...errors, non_field_errors: loose };
}

/**
 * JSON-schema failures the way DRF reports them: a bad path id is a 404 (the URL matches
 * nothing), a bad page number DRF's "Invalid page.", anything else `{field: [message]}` with
 * DRF's wording, one message per field.
 */
function schemaErrors(problems: FieldProblem[], request: FastifyRequest, options: DrfOptions) {
  if (problems.some((p) => p.location === "params")) return { status: 404, body: NOT_FOUND_BODY };
  if (problems.some((p) => p.location === "querystring" && p.field === "page"))
    return { status: 404, body: INVALID_PAGE_BODY };
  const errors: Record<string, string[]> = {};
  for (const problem of problems) {
    const field = problem.field || "non_field_errors";
    errors[field] ??= [drfMessage(problem, request, options)];
  }
  return { status: 400, body: errors };
}

function drfMessage(problem: FieldProblem, request: FastifyRequest, options: DrfOptions): string {
  if (problem.field === "") return `Invalid data. Expected a dictionary, but got ${pythonType(request.body)}.`;
  const part = (problem.location === "querystring" ? request.query : request.body) as
    Record<string, unknown> | undefined;
  const value = part?.[problem.field];
  const schema = propertySchema(request, problem.location, problem.field);
  const primaryKey = options.primaryKeys?.includes(problem.field) ?? false;
  const format = FORMATS.get(schema?.format ?? "") ?? FORMATS.get(schema?.pattern ?? "");
  const limit = problem.params.limit;
  switch (problem.keyword) {
    case "required":
      return "This field is required.";
    case "type":
      if (value === null) return "This field may not be null.";
      if (primaryKey) return `Incorrect type. Expected pk value, received ${pythonType(value)}.`;
      return TYPE_MESSAGES[[schema?.type].flat().find((t) => t !== "null") ?? ""] ?? problem.message;
    case "format":
    case "pattern":
      return format
        ? `${format.label} has wrong format. Use one of these formats instead: ${format.hint}.`
        : "Enter a valid value.";
    case "enum":
      return `"${String(value)}" is not a valid choice.`;
    case "minimum":
    case "maximum":
      if (primaryKey) return `Invalid pk "${String(value)}" - object does not exist.`;
      return problem.keyword === "minimum"
        ? `Ensure this value is greater than or equal to ${limit}.`
        : `Ensure this value is less than or equal to ${limit}.`;
    case "maxLength":
      return `Ensure this field has no more than ${limit} characters.`;
    default:
      return problem.message;
  }
}

const TYPE_MESSAGES: Record<string, string> = {
  integer: "A valid integer is required.",
  number: "A valid number is required.",
  string: "Not a valid string.",
  boolean: "Must be a valid boolean.",
};

function propertySchema(request: FastifyRequest, location: string, field: string): PropertySchema | undefined {
  const schemas = request.routeOptions.schema as
    Record<string, { properties?: Record<string, PropertySchema> } | undefined> | undefined;
  return schemas?.[location]?.properties?.[field];
}

/** The Python type name DRF's messages use for a JSON value. */
function pythonType(value: unknown): string {
  if (value === null) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "dict";
}

/** An instant as DRF renders it: ISO 8601 in UTC with "Z", microseconds only when there are any. */
export function drfDateTime(instant: Date): string {
  const iso = instant.toISOString();
  return iso.endsWith(".000Z") ? iso.replace(".000Z", "Z") : iso.replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function drfDateTimeOrNull(instant: Date | null): string | null {
  return instant ? drfDateTime(instant) : null;
}

/** DRF's PageNumberPagination body. */
export const PAGE_SCHEMA = (item: object) =>
  ({
    type: "object",
    required: ["count", "next", "previous", "results"],
    properties: {
      count: { type: "integer" },
      next: { type: ["string", "null"], description: "Absolute URL of the next page" },
      previous: { type: ["string", "null"], description: "Absolute URL of the previous page" },
      results: { type: "array", items: item },
    },
  }) as const;

/**
 * A page as DRF's PageNumberPagination answers it: next/previous are absolute links to this
 * request with another `page` (the first page's link has none), built on the public base URL.
 */
export function drfPage<T>(
  request: FastifyRequest,
  publicBaseUrl: string,
  page: { count: number; page: number; pageSize: number },
  results: T[],
) {
  const link = (to: number) => {
    const url = new URL(`${publicBaseUrl}${request.url}`);
    if (to === 1) url.searchParams.delete("page");
    else url.searchParams.set("page", String(to));
    return url.href;
  };
  return {
    count: page.count,
    next: page.page * page.pageSize < page.count ? link(page.page + 1) : null,
    previous: page.page > 1 ? link(page.page - 1) : null,
    results,
  };
}
