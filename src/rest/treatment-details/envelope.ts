import type { FastifyRequest } from "fastify";
import type { TreatmentDetailRow } from "../../db/schema/index.js";
import { render, type Vocabulary } from "../../errors.js";
import { unreachable, type ErrorFormat, type FieldProblem } from "../shim.js";
import { MAX_ID } from "../../bounds.js";

/** The Gin envelope: {"status": "success"|"error", "message", "data"|"error"}. */
export const success = <T>(message: string, data: T) => ({ status: "success" as const, message, data });
export const failure = (message: string, error: string | null) => ({ status: "error" as const, message, error });

/** A detail as the Go API rendered it: snake_case, the session as treatment_id, times in UTC. */
export function legacyDetail(row: TreatmentDetailRow) {
  return {
    id: row.id,
    treatment_id: row.sessionId,
    item_id: row.itemId,
    unit_id: row.unitId,
    quantity: row.quantity,
    created_by: row.createdBy,
    updated_by: row.updatedBy,
    deleted_by: row.deletedBy,
    deleted_at: row.deletedAt && goTime(row.deletedAt),
    created_at: goTime(row.createdAt),
    updated_at: goTime(row.updatedAt),
  };
}

/** Go's time.Time JSON (RFC 3339, trailing zero fractions dropped): 2025-01-15T10:30:00Z, 2025-01-15T10:30:00.25Z. */
export function goTime(instant: Date): string {
  return instant.toISOString().replace(/\.(\d*?)0*Z$/, (_, fraction: string) => (fraction ? `.${fraction}Z` : "Z"));
}

/** The legacy API calls a session a treatment. */
export const TREATMENT_VOCABULARY: Vocabulary = {
  noun: { session: "treatment", sessions: "treatments", Session: "Treatment" },
};

/** A record kind (details.entity) as the legacy API names it. */
const ENTITIES: Record<string, string> = { Session: "Treatment" };

const STATUS_MESSAGES: Record<number, string> = {
  401: "Unauthorized",
  403: "Forbidden",
  409: "Conflict",
  429: "Too many requests",
  500: "Internal server error",
  503: "Service unavailable",
};

const answer = (status: number, message: string, error: string | null) => ({ status, body: failure(message, error) });

/** Every failure of this API in the Gin envelope; the documented messages where the document gives one. */
export const ginErrorFormat: ErrorFormat = (problem, request) => {
  const words = () => render(problem.words, TREATMENT_VOCABULARY);
  switch (problem.code) {
    case "NOT_FOUND":
      return answer(404, problem.entity ? `${ENTITIES[problem.entity] ?? problem.entity} not found` : words(), null);
    case "ROUTE_NOT_FOUND":
      return answer(404, "Route not found", problem.message);
    case "INVALID_BODY":
      return answer(problem.status, "Invalid request body", problem.message);
    case "BAD_USER_INPUT":
      return problem.validation
        ? validationFailure(problem.validation, request)
        : answer(400, "Invalid request body", words());
    case "INTERNAL":
      return answer(500, STATUS_MESSAGES[500], `correlation id ${problem.correlationId}`);
    case "RATE_LIMITED":
      return answer(problem.status, STATUS_MESSAGES[problem.status] ?? "Request failed", problem.message);
    case "CONFLICT":
    case "FORBIDDEN":
    case "UNAUTHENTICATED":
    case "UNAVAILABLE":
      return answer(problem.status, STATUS_MESSAGES[problem.status] ?? "Request failed", words());
    default:
      return unreachable(problem.code);
  }
};

/** Schema failures, as the Gin handlers answered them: the path id first, then the query, then the body binding. */
function validationFailure(validation: FieldProblem[], request: FastifyRequest) {
  const { location, field } = validation[0];
  const fields = [...new Set(validation.map((v) => v.field))];
  const range = (name: string, value?: unknown) =>
    `${name} must be an integer from 1 to ${MAX_ID}${value === undefined ? "" : `, got ${JSON.stringify(String(value))}`}`;
  switch (location) {
    case "params":
      return answer(
        400,
        field === "treatment_id" ? "Invalid treatment ID format" : "Invalid ID format",
        range(field, (request.params as Record<string, unknown>)[field]),
      );
    case "querystring":
      return answer(
        400,
        "Invalid query parameters",
        fields.map((name) => range(name, (request.query as Record<string, unknown>)[name])).join("; "),
      );
    case "body":
      return answer(400, "Invalid request body", goBindingError(validation, request.body));
    default:
      return answer(400, "Invalid request", validation.map((v) => `${v.field} ${v.message}`).join("; "));
  }
}

const GO_FIELDS: Record<string, string> = {
  treatment_id: "TreatmentID",
  item_id: "ItemID",
  unit_id: "UnitID",
  quantity: "Quantity",
};
const GO_TAGS: Record<string, string> = { required: "required", minimum: "min", maximum: "max" };

/**
 * What Gin's ShouldBindJSON said: encoding/json's message for the first value of a wrong JSON
 * type (decoding stops there), else go-playground/validator's line per missing or out-of-range
 * field. A null is missing: Go decodes it to a nil *int (and a null body to an empty struct).
 */
function goBindingError(validation: FieldProblem[], body: unknown): string {
  if (body === undefined) return "request body is empty";
  if (body === null) return validatorError("quantity", "required");
  if (typeof body !== "object" || Array.isArray(body))
    return `json: cannot unmarshal ${jsonKind(body)} into Go value of type TreatmentDetailRequest`;
  const fields = body as Record<string, unknown>;
  const wrongType = validation.find((v) => v.keyword === "type" && v.field !== "" && fields[v.field] !== null);
  if (wrongType)
    return `json: cannot unmarshal ${jsonKind(fields[wrongType.field])} into Go struct field TreatmentDetailRequest.${wrongType.field} of type int`;
  const tags = validation.map((v) =>
    validatorError(v.field, v.keyword === "type" ? "required" : (GO_TAGS[v.keyword] ?? v.keyword)),
  );
  return [...new Set(tags)].join("\n");
}

const validatorError = (field: string, tag: string) => {
  const goField = GO_FIELDS[field] ?? field;
  return `Key: 'TreatmentDetailRequest.${goField}' Error:Field validation for '${goField}' failed on the '${tag}' tag`;
};

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return `number ${value}`;
  if (typeof value === "boolean") return "bool";
  return typeof value;
}
