import { STATUS_CODES } from "node:http";
import { render, type Vocabulary } from "../../errors.js";
import { unreachable, type ErrorFormat, type FieldProblem, type Problem } from "../shim.js";
import { ALLOWED_VALUES, DATE_TIME_PATTERN, HH_MM_PATTERN } from "./schemas.js";

/**
 * NestJS's exception body: {"statusCode", "message", "error"}. Request validation failures
 * list one message per problem (ValidationPipe); every other error has one message string.
 * The document answers conflicts with 400, not 409, and someone else's meeting with 403.
 */
export const nestErrorFormat: ErrorFormat = (problem, request) => {
  // The document answers someone else's meeting with "403 Forbidden: No access to this meeting".
  const deniedMeeting = problem.denied === true && problem.entity === "Session";
  const status = deniedMeeting ? 403 : nestStatus(problem);
  const body = {
    statusCode: status,
    message: deniedMeeting ? "No access to this meeting" : messageOf(problem, `${request.method} ${request.url}`),
    error: STATUS_CODES[status] ?? "Error",
    ...(problem.correlationId ? { correlationId: problem.correlationId } : {}),
  };
  return { status, body };
};

/** The document's status of each reason: conflicts are 400 ("Bad Request: conflict"), the rest the conventional one. */
function nestStatus(problem: Problem): number {
  switch (problem.code) {
    case "CONFLICT":
      return 400;
    case "BAD_USER_INPUT":
    case "NOT_FOUND":
    case "FORBIDDEN":
    case "UNAUTHENTICATED":
    case "UNAVAILABLE":
    case "ROUTE_NOT_FOUND":
    case "INVALID_BODY":
    case "RATE_LIMITED":
    case "INTERNAL":
      return problem.status;
    default:
      return unreachable(problem.code);
  }
}

/** The services' words for this API's: a legacy client reads the field names it sent, and meetings and therapists. */
const BOOKING_FIELDS: Record<string, string> = {
  startsAt: "startTime",
  durationMinutes: "duration",
  providerId: "therapistId",
};

export const BOOKING_VOCABULARY: Vocabulary = {
  field: (name) => BOOKING_FIELDS[name] ?? name,
  noun: {
    session: "meeting",
    sessions: "meetings",
    Session: "Meeting",
    provider: "therapist",
    providers: "therapists",
    Provider: "Therapist",
    "availability rule": "availability slot",
    AvailabilityRule: "Availability slot",
  },
};

/** A record kind (details.entity) as the document names it: "Therapist not found", "Meeting not found". */
const BOOKING_ENTITIES: Record<string, string> = {
  Session: "Meeting",
  Provider: "Therapist",
  AvailabilityRule: "Availability slot",
};

export const bookingEntity = (entity: string): string => BOOKING_ENTITIES[entity] ?? entity;

function messageOf(problem: Problem, route: string): string | string[] {
  if (problem.validation) return problem.validation.map(validationMessage);
  switch (problem.reason) {
    case "ROUTE_NOT_FOUND":
      return `Cannot ${route}`;
    case "INTERNAL":
      return "Internal server error";
    case "NOT_FOUND":
      return problem.entity ? `${bookingEntity(problem.entity)} not found` : render(problem.words, BOOKING_VOCABULARY);
    case "INVALID_BODY":
    case "RATE_LIMITED":
      // The transport's own text (Fastify's), as NestJS shows its body parser's.
      return problem.message;
    default:
      return render(problem.words, BOOKING_VOCABULARY);
  }
}

const TYPE_PHRASES: Record<string, string> = {
  string: "must be a string",
  integer: "must be an integer number",
  number: "must be a number",
  boolean: "must be a boolean value",
  object: "must be an object",
  array: "must be an array",
};

const PATTERN_PHRASES: Record<string, string> = {
  [DATE_TIME_PATTERN]: "must be a valid ISO 8601 date string",
  [HH_MM_PATTERN]: "must be a time in HH:MM format (24-hour)",
};

/** class-validator's wording for one JSON-schema failure: "duration must be one of the following values: 30, 60, 90, 120". */
function validationMessage(problem: FieldProblem): string {
  const subject = problem.field || (problem.location === "body" ? "request body" : problem.location);
  const { limit, pattern, format, type } = problem.params;
  switch (problem.keyword) {
    case "required":
    case "minLength":
      return `${subject} should not be empty`;
    case "type":
      return `${subject} ${TYPE_PHRASES[type?.[0] ?? ""] ?? problem.message}`;
    case "enum":
      return `${subject} must be one of the following values: ${(ALLOWED_VALUES[problem.field] ?? []).join(", ")}`;
    case "maxLength":
      return `${subject} must be shorter than or equal to ${limit} characters`;
    case "minimum":
      return `${subject} must not be less than ${limit}`;
    case "maximum":
      return `${subject} must not be greater than ${limit}`;
    case "pattern":
      return `${subject} ${PATTERN_PHRASES[pattern ?? ""] ?? problem.message}`;
    case "format":
      return format === "date"
        ? `${subject} must be a valid date in YYYY-MM-DD format`
        : `${subject} ${problem.message}`;
    default:
      return `${subject} ${problem.message}`;
  }
}

/**
 * A field that passed its JSON schema but does not name a real instant (2024-02-30, or a local
 * time skipped by a DST change): reported like a schema failure, as ValidationPipe would.
 */
export class InvalidField extends Error {
  readonly validationContext = "body";
  readonly validation: Array<{
    instancePath: string;
    keyword: string;
    params: Record<string, unknown>;
    message: string;
  }>;

  constructor(field: string, message: string) {
    super(`${field} ${message}`);
    this.validation = [{ instancePath: `/${field}`, keyword: "parse", params: {}, message }];
  }
}
