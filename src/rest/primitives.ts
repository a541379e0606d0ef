/**
 * What every legacy API's routes are built from: the shared JSON-schema primitives (ids, DRF's
 * dates and times, DRF's error bodies), the one way to read an empty JSON body, and route
 * registration whose handlers get `request.body` / `query` / `params` typed from the route's
 * own JSON schema (TypeBox infers the type of a plain `as const` JSON schema): no interface
 * beside a schema, no `request.body as X`.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  HTTPMethods,
  RawServerDefault,
  RouteGenericInterface,
  RouteShorthandOptions,
} from "fastify";
import type { IncomingMessage } from "node:http";
import { ID_SCHEMA } from "../bounds.js";
import { SUPPORTED_DATES, SUPPORTED_YEAR_PATTERN } from "../time.js";
import { scoped, type Credentials, type ShimContext, type ShimOptions } from "./shim.js";

// ------------------------------------------------------------------ ids

/**
 * A record id in a shim's path, query or body: src/bounds.ts's ID_SCHEMA (an integer from 1 to
 * MAX_ID), so a number past our largest id is the client's mistake, never a failed cast.
 */
export function idSchema(): typeof ID_SCHEMA;
export function idSchema<const D extends string>(description: D): typeof ID_SCHEMA & { readonly description: D };
export function idSchema(description?: string) {
  return description === undefined ? ID_SCHEMA : { ...ID_SCHEMA, description };
}

/** The same id, or null (DRF's PrimaryKeyRelatedField, Go's *int): null is the same as leaving it out. */
export const nullableIdSchema = <const D extends string>(description: D) =>
  ({ type: ["integer", "null"], minimum: ID_SCHEMA.minimum, maximum: ID_SCHEMA.maximum, description }) as const;

/** A path id: anything else is a 404, as with Django's URL patterns. */
export const ID_PARAMS = {
  type: "object",
  required: ["id"],
  properties: { id: ID_SCHEMA },
} as const;

/**
 * An id of an API whose ids are opaque strings to its clients (the booking API): any string;
 * one that is not ours (src/bounds.ts parseRecordId) names no record, so it is simply not found.
 */
export const OPAQUE_ID_SCHEMA = { type: "string" } as const;
/** The same in a body or query, where an empty one is a missing one. */
export const opaqueIdSchema = <const D extends string>(description: D) =>
  ({ ...OPAQUE_ID_SCHEMA, minLength: 1, description }) as const;

// ------------------------------------------------------------------ DRF's dates, times and error bodies

/** Strings with a fixed format: their DRF "has wrong format" message, by the schema's format or pattern. */
export const FORMATS = new Map<string, { label: string; hint: string }>([
  ["date", { label: "Date", hint: "YYYY-MM-DD" }],
]);

function formatted<const P extends string, const D extends string>(
  label: string,
  hint: string,
  pattern: P,
  description: D,
) {
  FORMATS.set(pattern, { label, hint });
  return { type: "string", pattern, description } as const;
}

/** A calendar date YYYY-MM-DD (2025-02-30 is none). */
export const DATE_SCHEMA = {
  type: "string",
  format: "date",
  pattern: `^${SUPPORTED_YEAR_PATTERN}-`,
  description: `YYYY-MM-DD, ${SUPPORTED_DATES}`,
} as const;
/** DRF's TimeField input: hh:mm[:ss[.uuuuuu]]. */
export const TIME_SCHEMA = formatted(
  "Time",
  "hh:mm[:ss[.uuuuuu]]",
  "^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,6})?)?$",
  "hh:mm[:ss[.uuuuuu]], a local time",
);
export const MONTH_SCHEMA = formatted(
  "Month",
  "YYYY-MM",
  `^${SUPPORTED_YEAR_PATTERN}-(0[1-9]|1[0-2])$`,
  `YYYY-MM, ${SUPPORTED_DATES}`,
);
export const YEAR_SCHEMA = formatted("Year", "YYYY", `^${SUPPORTED_YEAR_PATTERN}$`, `YYYY, ${SUPPORTED_DATES}`);
/** DRF's `{"detail": "..."}`, for the documentation of error responses. */
export const DETAIL_SCHEMA = {
  type: "object",
  properties: { detail: { type: "string" } },
  required: ["detail"],
} as const;
/** A 400: DRF's field errors, or `{"detail": "..."}` (malformed JSON, or a view's error). */
export const BAD_REQUEST_SCHEMA = {
  anyOf: [
    DETAIL_SCHEMA,
    {
      type: "object",
      description: 'DRF field errors: {"field": ["message"], "non_field_errors": ["message"]}',
      additionalProperties: { type: "array", items: { type: "string" } },
    },
  ],
} as const;

// ------------------------------------------------------------------ an empty JSON body

/**
 * How an API reads a JSON body of zero bytes (Fastify refuses it): as `empty`. DRF parses it as
 * no data (`{}`: a create then answers "This field is required." per field); Gin and Flask as
 * no body at all (`undefined`: the route's schema, or the document's "No data provided").
 * With `absent`, a request that sends no body at all on a route that takes one reads the same.
 */
export function readEmptyJsonAs(
  api: FastifyInstance,
  empty: Record<string, never> | undefined,
  { absent = false }: { absent?: boolean } = {},
): void {
  const parseJson = api.getDefaultJsonParser("error", "error");
  api.removeContentTypeParser("application/json");
  api.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) =>
    body === "" ? done(null, empty && { ...empty }) : parseJson(request, body as string, done),
  );
  if (absent) {
    api.addHook("preValidation", async (request) => {
      if (request.body === undefined && request.routeOptions.schema?.body) request.body = empty && { ...empty };
    });
  }
}

// ------------------------------------------------------------------ routes typed from their schemas

/** The properties of an object schema that have a `default`: Ajv (useDefaults) fills them in before any handler runs. */
type DefaultedKeys<S> = S extends { properties: infer P }
  ? { [K in keyof P]: P[K] extends { default: unknown } ? K : never }[keyof P]
  : never;

/** What @fastify/type-provider-typebox makes of a schema: TypeBox's Static (of a TypeBox type or a plain `as const` JSON schema). */
type TypeBoxType<S> = (TypeBoxTypeProvider & { schema: S })["validator"];

/** A validated request part: its TypeBox type, with the defaulted properties present. */
type Validated<S, T = TypeBoxType<S>> = T extends object
  ? T & { [K in DefaultedKeys<S> & keyof T]-?: Exclude<T[K], undefined> }
  : T;

/**
 * The shims' type provider: request parts as @fastify/type-provider-typebox types them, except
 * that a property with a `default` is not optional once validated. Responses stay untyped.
 */
export interface ShimTypeProvider extends FastifyTypeProvider {
  validator: Validated<this["schema"]>;
  serializer: unknown;
}

/** A request of a route with schema S, as its handler sees it once Fastify validated it. */
export type SchemaRequest<S extends FastifySchema> = FastifyRequest<
  RouteGenericInterface,
  RawServerDefault,
  IncomingMessage,
  S,
  ShimTypeProvider
>;

/** A shim handler: scoped() gives it the request's context and transaction. */
export type ShimHandler<S extends FastifySchema, R> = (
  ctx: ShimContext,
  request: SchemaRequest<S>,
  reply: FastifyReply,
) => Promise<R>;

type AnyRequestHandler = (ctx: ShimContext, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type RouteOptions<S extends FastifySchema> = Omit<RouteShorthandOptions, "schema"> & { schema: S };
type AddRoute = <const S extends FastifySchema, R>(
  url: string,
  route: RouteOptions<S>,
  handler: ShimHandler<S, R>,
) => void;

/**
 * Registers an API's routes: each handler runs in scoped() (authenticated, in the request's
 * transaction, audited) with its request typed from the route's schema.
 */
export function shimRoutes(
  api: FastifyInstance,
  options: ShimOptions,
  credentials?: (request: FastifyRequest) => Credentials,
): Record<"get" | "post" | "put" | "patch" | "delete", AddRoute> {
  const typed = api.withTypeProvider<ShimTypeProvider>();
  const add =
    (method: HTTPMethods): AddRoute =>
    (url, route, handler) => {
      // The one cast: scoped() (src/rest/shim.ts) takes a handler of a plain FastifyRequest, and
      // Fastify has validated this request against S before the handler runs. (A scoped()
      // generic in its request type would make it unnecessary.)
      const run = scoped(options, handler as ShimHandler<FastifySchema, unknown> as AnyRequestHandler, credentials);
      typed.route<RouteGenericInterface, unknown, FastifySchema>({ ...route, method, url, handler: run });
    };
  return { get: add("GET"), post: add("POST"), put: add("PUT"), patch: add("PATCH"), delete: add("DELETE") };
}
