import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { classifyFailure } from "../db/client.js";
import { DomainError, HTTP_STATUS, renderFieldErrors, type ErrorReason } from "../errors.js";
import { badId } from "./ids.js";

/**
 * The reasons of errors GraphQL raises itself, beside the services' (ErrorReason): a refused
 * write over its rate limit, and an unexpected failure (a bug, a lost connection).
 */
export type TransportReason = "RATE_LIMITED" | "INTERNAL";
export type GraphQLReason = ErrorReason | TransportReason;

/**
 * The reason of an error that has none of its own, from its code: what graphql and Apollo raise
 * (parse, validation, bad variables), the transport's refusals, and unexpected errors.
 */
const REASON_OF_CODE: Record<string, GraphQLReason> = {
  BAD_USER_INPUT: "VALIDATION",
  GRAPHQL_VALIDATION_FAILED: "VALIDATION",
  GRAPHQL_PARSE_FAILED: "VALIDATION",
  BAD_REQUEST: "VALIDATION",
  OPERATION_RESOLUTION_FAILURE: "VALIDATION",
  PERSISTED_QUERY_NOT_FOUND: "VALIDATION",
  PERSISTED_QUERY_NOT_SUPPORTED: "VALIDATION",
  RATE_LIMITED: "RATE_LIMITED",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL",
};

/** The reason an error with this code (and maybe a reason already) leaves with. */
export function reasonOf(code: string | undefined, reason?: unknown): GraphQLReason {
  if (typeof reason === "string") return reason as GraphQLReason;
  return (code && REASON_OF_CODE[code]) || "INTERNAL";
}

/** An authentication failure as the GraphQL error Apollo answers with (401/403, not 500), with its reason. */
export function authError(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  return new GraphQLError(err.message, {
    extensions: { code: err.code, reason: err.reason, http: { status: HTTP_STATUS[err.code] } },
  });
}

/**
 * Every error leaves with extensions.code and extensions.reason. Bad variables name their field
 * in fieldErrors; unexpected errors are masked in production and carry a correlation id (also logged).
 */
export function formatError(production: boolean, log: (err: unknown, correlationId: string, error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = classifyFailure(unwrapResolverError(error));
    if (original instanceof DomainError) {
      // Its own message: a cancelled statement's would carry the SQL.
      return { ...formatted, message: original.message, extensions: extensionsOf(original) };
    }
    let code = formatted.extensions?.code as string | undefined;
    // An inline literal our scalars reject is bad input, like a bad variable.
    if (code === "GRAPHQL_VALIDATION_FAILED" && SCALAR_REJECTION.test(formatted.message)) code = "BAD_USER_INPUT";
    const reason = reasonOf(code, formatted.extensions?.reason);
    if (
      code === "BAD_USER_INPUT" ||
      code === "GRAPHQL_VALIDATION_FAILED" ||
      code === "GRAPHQL_PARSE_FAILED" ||
      code === "BAD_REQUEST"
    ) {
      const id = badId(error);
      if (id)
        return {
          message: id.message,
          locations: formatted.locations,
          path: formatted.path,
          extensions: { code: "BAD_USER_INPUT", reason, fieldErrors: { [id.field]: id.message } },
        };
      const field = variableField(formatted.message) ?? literalField(error);
      const extensions = {
        ...formatted.extensions,
        code,
        reason,
        ...(field ? { fieldErrors: { [field]: formatted.message } } : {}),
      };
      delete (extensions as Record<string, unknown>).stacktrace;
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    if (code && code !== "INTERNAL_SERVER_ERROR")
      return production
        ? { ...formatted, extensions: { code, reason } }
        : { ...formatted, extensions: { ...formatted.extensions, code, reason } };
    const correlationId = crypto.randomUUID();
    log(original, correlationId, error);
    if (!production)
      return {
        ...formatted,
        extensions: { ...formatted.extensions, code: "INTERNAL_SERVER_ERROR", reason: "INTERNAL", correlationId },
      };
    return {
      message: "Internal server error",
      path: formatted.path,
      extensions: { code: "INTERNAL_SERVER_ERROR", reason: "INTERNAL", correlationId },
    };
  };
}

/** A DomainError's extensions: its code and reason, field errors as text, the conflicting session when visible. */
function extensionsOf(error: DomainError): Record<string, unknown> {
  const { fieldErrors, conflictingSessionId, occurrences } = error.details;
  return {
    code: error.code,
    reason: error.reason,
    ...(fieldErrors ? { fieldErrors: renderFieldErrors(fieldErrors) } : {}),
    ...(conflictingSessionId !== undefined ? { conflictingSessionId } : {}),
    ...(occurrences
      ? {
          occurrences: occurrences.map((o) => ({
            startsAt: o.startsAt.toISOString(),
            reason: o.reason,
            ...(o.conflictingSessionId !== undefined ? { conflictingSessionId: o.conflictingSessionId } : {}),
          })),
        }
      : {}),
  };
}

/** What graphql reports when a scalar's parseLiteral refuses a value (ours, or a built-in one). */
const SCALAR_REJECTION =
  /^(Expected value of type|(DateTime|Date|LocalTime|TimeZone) must be|(Int|Float|ID|String|Boolean) cannot represent)/;

/** The argument or input field an inline literal was written for: `timeZone: "Mars/Base"` -> timeZone. */
function literalField(error: unknown): string | undefined {
  const node = error instanceof GraphQLError ? error.nodes?.[0] : undefined;
  if (!node?.loc) return undefined;
  return /(\w+)\s*:\s*$/.exec(node.loc.source.body.slice(0, node.loc.start))?.[1];
}

/** 'Variable "$input" got invalid value "x" at "input.timeZone"; ...' -> "input.timeZone". */
function variableField(message: string): string | undefined {
  if (SCALAR_REJECTION.test(message)) return undefined;
  const at = /at "([^"]+)"/.exec(message);
  if (at) return at[1];
  const variable = /Variable "\$([^"]+)"/.exec(message);
  if (variable) return variable[1];
  const argument = /Argument "([^"]+)"|argument "([^"]+)"/.exec(message);
  return argument?.[1] ?? argument?.[2];
}
