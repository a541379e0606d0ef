import { STATUS_CODES } from "node:http";
import type { ErrorFormat, FieldProblem, Problem } from "../shim.js";
import { ALLOWED_VALUES, DATE_TIME_PATTERN, HH_MM_PATTERN } from "./schemas.js";

/**
 * NestJS's exception body: {"statusCode", "message", "error"}. Request validation failures
 * list one message per problem (ValidationPipe); every other error has one message string.
 * The document answers conflicts with 400, not 409, and someone else's meeting with 403.
 */
export const nestErrorFormat: ErrorFormat = (problem, request) => {
  // The document answers someone else's meeting with "403 Forbidden: No access to this meeting".
  const deniedMeeting = problem.deniedEntity === "Session";
  const status = problem.code === "CONFLICT" ? 400 : deniedMeeting ? 403 : problem.status;
  const body = {
    statusCode: status,
    message: deniedMeeting ? "No access to this meeting" : messageOf(problem, `${request.method} ${request.url}`),
    error: STATUS_CODES[status] ?? "Error",
    ...(problem.correlationId ? { correlationId: problem.correlationId } : {}),
  };
  return { status, body };
};

function messageOf(problem: Problem, route: string): string | string[] {
  if (problem.validation) return problem.validation.map(validationMessage);
  if (problem.code === "ROUTE_NOT_FOUND") return `Cannot ${route}`;
  if (problem.code === "INTERNAL") return "Internal server error";
  return inBookingTerms(problem.message);
}

/** The services' words for this API's: a legacy client reads the field names it sent. */
const TERMS: Array<[RegExp, string]> = [
  [/\bstartsAt\b/g, "startTime"],
  [/\bdurationMinutes\b/g, "duration"],
  [/\bproviderId\b/g, "therapistId"],
  [/\bAvailabilityRule\b/g, "Availability slot"],
  [/\bavailability rule\b/g, "availability slot"],
  [/\bSession(s?)\b/g, "Meeting$1"],
  [/\bsession(s?)\b/g, "meeting$1"],
  [/\bProvider(s?)\b/g, "Therapist$1"],
  [/\bprovider(s?)\b/g, "therapist$1"],
];

export function inBookingTerms(message: string): string {
  return TERMS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
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
  const limit = problem.message.match(/-?\d+(\.\d+)?/)?.[0];
  switch (problem.keyword) {
    case "required":
    case "minLength":
      return `${subject} should not be empty`;
    case "type": {
      const expected = problem.message.replace(/^must be /, "").split(",")[0];
      return `${subject} ${TYPE_PHRASES[expected] ?? problem.message}`;
    }
    case "enum":
      return `${subject} must be one of the following values: ${(ALLOWED_VALUES[problem.field] ?? []).join(", ")}`;
    case "maxLength":
      return `${subject} must be shorter than or equal to ${limit} characters`;
    case "minimum":
      return `${subject} must not be less than ${limit}`;
    case "maximum":
      return `${subject} must not be greater than ${limit}`;
    case "pattern": {
      const pattern = problem.message.match(/^must match pattern "(.*)"$/)?.[1] ?? "";
      return `${subject} ${PATTERN_PHRASES[pattern] ?? problem.message}`;
    }
    case "format":
      return problem.message.includes('"date"') ? `${subject} must be a valid date in YYYY-MM-DD format` : `${subject} ${problem.message}`;
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
  readonly validation: Array<{ instancePath: string; keyword: string; params: Record<string, unknown>; message: string }>;

  constructor(field: string, message: string) {
    super(`${field} ${message}`);
    this.validation = [{ instancePath: `/${field}`, keyword: "parse", params: {}, message }];
  }
}
