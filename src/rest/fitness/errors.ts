/**
 * The fitness API's error envelope (its helper `error_response`):
 * `{"success": false, "error": "...", "errors": {"field_name": "..."}}`, `errors` only for validation.
 */
import type { FastifyRequest } from "fastify";
import { render, type FieldError, type Vocabulary } from "../../errors.js";
import { unreachable, type ErrorFormat, type FieldProblem, type Problem } from "../shim.js";
import { formatDateTime, localZoneOf, SORT_FIELDS, STATUSES, TYPES } from "./convert.js";

export const VALIDATION_FAILED = "Validation failed";
export const PERMISSION_DENIED = "You do not have permission to view this session";

/** The services' field names as this API spells them. */
const API_FIELD: Record<string, string> = {
  startsAt: "scheduled_start",
  endsAt: "scheduled_end",
  actualStart: "actual_start",
  actualEnd: "actual_end",
  clientId: "client_id",
  providerId: "trainer_id",
  type: "session_type",
  providerNotes: "trainer_notes",
  clientFeedback: "client_feedback",
  exercisesPerformed: "exercises_performed",
  googleEventId: "google_event_id",
  outlookEventId: "outlook_event_id",
  perPage: "per_page",
  minDurationMinutes: "duration",
  from: "start_date",
  to: "end_date",
};

const apiField = (field: string) => API_FIELD[field] ?? field;

/**
 * The fitness API's words: its field names (API_FIELD) and its instants as the naive local
 * date-times it writes everywhere, in the zone the handler named for this request
 * (speakLocalTimes); without one, as the services write them (UTC).
 */
export function fitnessVocabulary(request: FastifyRequest): Vocabulary {
  const zone = localZoneOf(request);
  return { field: apiField, ...(zone ? { instant: (at: Date) => formatDateTime(at, zone) } : {}) };
}

/** The document words "scheduled_end must be after scheduled_start" its own way. */
const ENDS_BEFORE_START = "Scheduled end time must be after start time";

/** One service field error in this API's words: the document's sentence where it has one, else the service's words in the vocabulary. */
function fieldMessage(field: string, error: FieldError, problem: Problem, vocabulary: Vocabulary): string {
  if (field === "endsAt" && (error.reason ?? problem.reason) === "ENDS_BEFORE_START") return ENDS_BEFORE_START;
  return render(error.words, vocabulary);
}

/** The document's own messages for the required fields. */
const REQUIRED: Record<string, string> = {
  client_id: "Client ID is required",
  title: "Session title is required",
  scheduled_start: "Scheduled start time is required",
  scheduled_end: "Scheduled end time is required",
};

const ALLOWED: Record<string, { label: string; values: readonly string[] }> = {
  session_type: { label: "session type", values: TYPES },
  status: { label: "status", values: STATUSES },
  sort_by: { label: "sort_by field", values: Object.keys(SORT_FIELDS) },
  sort_order: { label: "sort_order", values: ["asc", "desc"] },
};

const DATE_TIME_FIELDS = new Set([
  "scheduled_start",
  "scheduled_end",
  "actual_start",
  "actual_end",
  "start_date",
  "end_date",
  "date",
]);
const FLAGS = new Set(["include_client", "include_trainer", "permanent"]);

export function datetimeMessage(field: string): string {
  return `Invalid datetime format for ${field}. Use ISO format (e.g., 2025-12-10T14:00:00)`;
}

function validationMessage(p: FieldProblem): string {
  if ((p.keyword === "required" || p.keyword === "minLength") && REQUIRED[p.field]) return REQUIRED[p.field];
  if (DATE_TIME_FIELDS.has(p.field) && (p.keyword === "pattern" || p.keyword === "type"))
    return datetimeMessage(p.field);
  if (FLAGS.has(p.field)) return `${p.field} must be true or false`;
  // The services' words for a text over its limit (src/text-limits.ts), without the length sent.
  if (p.keyword === "maxLength") return `${p.field} must be at most ${p.params.limit} characters`;
  const allowed = ALLOWED[p.field];
  if (allowed && (p.keyword === "enum" || p.keyword === "type"))
    return `Invalid ${allowed.label}. Must be one of: ${allowed.values.join(", ")}`;
  return `${p.field} ${p.message}`;
}

/** A body that is absent, null, {} or not an object: Flask's `if not data` answer, or the shape's. */
function rootProblem(request: FastifyRequest): string {
  const body = request.body;
  const empty = body == null || (typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 0);
  return empty ? "No data provided" : "Request body must be a JSON object";
}

function fieldErrors(entries: [string, string][]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [field, message] of entries) errors[field] ??= message;
  return errors;
}

const failure = (status: number, error: string, errors?: Record<string, string>) => ({
  status,
  body: { success: false, error, ...(errors ? { errors } : {}) },
});

export const fitnessError: ErrorFormat = (problem: Problem, request) => {
  if (problem.validation) {
    if (problem.validation.some((p) => p.field === "" && p.location === "body"))
      return failure(400, rootProblem(request));
    return failure(400, VALIDATION_FAILED, fieldErrors(problem.validation.map((p) => [p.field, validationMessage(p)])));
  }
  const vocabulary = fitnessVocabulary(request);
  if (problem.fieldErrors && Object.keys(problem.fieldErrors).length) {
    const entries = Object.entries(problem.fieldErrors).map(([field, error]): [string, string] => [
      apiField(field),
      fieldMessage(field, error, problem, vocabulary),
    ]);
    return failure(problem.status, VALIDATION_FAILED, fieldErrors(entries));
  }
  // The document answers another trainer's session with its "Permission Denied" body (403); other
  // hidden records, like unknown ones, are 404.
  if (problem.denied && problem.entity === "Session") return failure(403, PERMISSION_DENIED);
  switch (problem.code) {
    case "CONFLICT":
    case "BAD_USER_INPUT":
    case "NOT_FOUND":
    case "FORBIDDEN":
    case "UNAUTHENTICATED":
    case "UNAVAILABLE":
      // Conflicts are 409 here, as the document lists; every other reason its conventional status.
      return failure(problem.status, render(problem.words, vocabulary));
    case "INVALID_BODY":
      return bodyFailure(problem);
    case "ROUTE_NOT_FOUND":
    case "RATE_LIMITED":
      return failure(problem.status, problem.message);
    case "INTERNAL":
      return failure(500, `Internal server error (correlation id ${problem.correlationId})`);
    default:
      return unreachable(problem.code);
  }
};

/** A body Flask could not read: `request.get_json()`'s answers, by what was wrong with it. */
function bodyFailure(problem: Problem) {
  switch (problem.bodyFault) {
    case "UNSUPPORTED_MEDIA_TYPE":
      return failure(
        415,
        "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.",
      );
    case "EMPTY":
      return failure(400, "No data provided");
    case "TOO_LARGE":
      return failure(problem.status, problem.message);
    case "MALFORMED_JSON":
    case "LENGTH_MISMATCH":
    case "UNREADABLE":
    case undefined:
      return problem.status === 400
        ? failure(400, `Failed to decode JSON object: ${problem.message}`)
        : failure(problem.status, problem.message);
    default:
      return unreachable(problem.bodyFault);
  }
}
