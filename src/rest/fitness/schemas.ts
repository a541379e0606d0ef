/**
 * JSON schemas of the fitness routes: validation (Ajv), the OpenAPI document (@fastify/swagger)
 * and, through TypeBox, the types of the requests the handlers read.
 */
import { PAGE_NUMBER_SCHEMA } from "../../bounds.js";
import { maxLengthOf, type TextField } from "../../text-limits.js";
import { idSchema } from "../primitives.js";
import { DATE_TIME_PATTERN, SORT_FIELDS, STATUSES, TYPES, type SortField } from "./convert.js";

const TAGS = ["fitness-crm-sessions"];
const SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { sessionCookie: [] }];

const ID = idSchema;
const DATE_TIME = {
  type: "string",
  pattern: DATE_TIME_PATTERN,
  description: "ISO 8601. Without an offset: local time in the trainer's time zone; with Z or an offset: that instant.",
} as const;
/** Flask reads `value.lower() == 'true'`; Python's requests sends True as "True". */
const FLAG = { type: "string", pattern: "^(true|false|True|False|TRUE|FALSE)$", default: "false" } as const;
const NULLABLE_STRING = { type: ["string", "null"] } as const;
const NULLABLE_DATE_TIME = { ...DATE_TIME, type: ["string", "null"] } as const;

// ------------------------------------------------------------------ responses

const CLIENT = {
  type: "object",
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    email: NULLABLE_STRING,
    phone: NULLABLE_STRING,
    status: { type: "string" },
  },
} as const;

const TRAINER = {
  type: "object",
  properties: {
    id: { type: "integer" },
    username: { type: "string" },
    email: NULLABLE_STRING,
    full_name: { type: "string" },
  },
} as const;

const SESSION = {
  type: "object",
  properties: {
    id: { type: "integer" },
    title: NULLABLE_STRING,
    description: NULLABLE_STRING,
    session_type: {
      type: "string",
      description: `${TYPES.join(" | ")} (sessions booked through other APIs may show "therapy")`,
    },
    location: NULLABLE_STRING,
    scheduled_start: { type: "string", description: "Local time in the trainer's time zone" },
    scheduled_end: { type: "string" },
    actual_start: NULLABLE_STRING,
    actual_end: NULLABLE_STRING,
    status: { type: "string", enum: [...STATUSES] },
    exercises_performed: NULLABLE_STRING,
    notes: NULLABLE_STRING,
    client_feedback: NULLABLE_STRING,
    trainer_notes: NULLABLE_STRING,
    google_event_id: NULLABLE_STRING,
    outlook_event_id: NULLABLE_STRING,
    created_at: { type: "string" },
    updated_at: { type: "string" },
    trainer_id: { type: "integer" },
    client_id: { type: "integer" },
    client: CLIENT,
    trainer: TRAINER,
  },
} as const;

const ERROR = {
  type: "object",
  properties: {
    success: { type: "boolean" },
    error: { type: "string" },
    errors: { type: "object", additionalProperties: { type: "string" } },
  },
} as const;

const envelope = (data?: object, message = false) => ({
  type: "object",
  properties: {
    success: { type: "boolean" },
    ...(message ? { message: { type: "string" } } : {}),
    ...(data ? { data } : {}),
  },
});

const responses = (status: number, body: object) => ({ [status]: body, "4xx": ERROR, "5xx": ERROR });

const route = <const S extends object>(summary: string, schema: S) => ({
  tags: TAGS,
  summary,
  security: SECURITY,
  ...schema,
});

const SESSION_PARAMS = { type: "object", required: ["id"], properties: { id: ID("session_id") } } as const;
const SORT_BY = Object.keys(SORT_FIELDS) as SortField[];
const INCLUDES = { include_client: FLAG, include_trainer: FLAG };

// ------------------------------------------------------------------ routes

export const listSchema = route("List sessions", {
  querystring: {
    type: "object",
    properties: {
      page: { ...PAGE_NUMBER_SCHEMA, default: 1 },
      per_page: { type: "integer", minimum: 1, default: 20, description: "At most 100: larger values are clamped" },
      client_id: ID(),
      status: { type: "string", enum: [...STATUSES] },
      session_type: { type: "string", enum: [...TYPES] },
      start_date: DATE_TIME,
      end_date: DATE_TIME,
      ...INCLUDES,
      sort_by: { type: "string", enum: SORT_BY, default: "scheduled_start" },
      sort_order: { type: "string", enum: ["asc", "desc"], default: "desc" },
    },
  },
  response: responses(
    200,
    envelope({
      type: "object",
      properties: {
        sessions: { type: "array", items: SESSION },
        pagination: {
          type: "object",
          properties: {
            page: { type: "integer" },
            per_page: { type: "integer" },
            total_pages: { type: "integer" },
            total_items: { type: "integer" },
            has_next: { type: "boolean" },
            has_prev: { type: "boolean" },
          },
        },
      },
    }),
  ),
});

export const getSchema = route("Get a single session", {
  params: SESSION_PARAMS,
  querystring: { type: "object", properties: INCLUDES },
  response: responses(200, envelope(SESSION)),
});

/** A text field of the services' limits table (src/text-limits.ts), nullable. */
const text = (field: TextField) => ({ ...NULLABLE_STRING, ...maxLengthOf(field) }) as const;

const WRITABLE = {
  client_id: ID(),
  title: { type: "string", minLength: 1, ...maxLengthOf("title") },
  scheduled_start: DATE_TIME,
  scheduled_end: DATE_TIME,
  description: text("description"),
  session_type: { type: "string", enum: [...TYPES] },
  location: text("location"),
  notes: text("notes"),
  trainer_notes: text("providerNotes"),
} as const;

export const createSchema = route("Create a session", {
  body: {
    type: "object",
    minProperties: 1,
    required: ["client_id", "title", "scheduled_start", "scheduled_end"],
    properties: {
      ...WRITABLE,
      trainer_id: ID("Only for administrators booking for a trainer; a trainer books for themself"),
    },
    example: {
      client_id: 5,
      title: "Initial Fitness Assessment",
      description: "Comprehensive fitness evaluation and goal setting",
      session_type: "assessment",
      location: "Main Gym - Assessment Area",
      scheduled_start: "2025-12-11T10:00:00",
      scheduled_end: "2025-12-11T11:30:00",
      notes: "Bring body composition analysis equipment",
      trainer_notes: "Client mentioned previous knee injury",
    },
  },
  response: responses(201, envelope(SESSION, true)),
});

export const updateSchema = route("Update a session (PUT and PATCH both update only the fields given)", {
  params: SESSION_PARAMS,
  body: {
    type: "object",
    minProperties: 1,
    properties: {
      ...WRITABLE,
      title: text("title"),
      client_id: ID(
        "Another client moves the session to them (the trainer or an administrator; the client must be in the trainer's care)",
      ),
      status: { type: "string", enum: [...STATUSES] },
      actual_start: NULLABLE_DATE_TIME,
      actual_end: NULLABLE_DATE_TIME,
      exercises_performed: text("exercisesPerformed"),
      client_feedback: text("clientFeedback"),
      google_event_id: text("googleEventId"),
      outlook_event_id: text("outlookEventId"),
    },
    example: {
      status: "completed",
      actual_start: "2025-12-11T10:05:00",
      actual_end: "2025-12-11T11:35:00",
      exercises_performed: "Body composition scan, flexibility tests, strength assessments, cardiovascular evaluation",
      trainer_notes: "Client showed good baseline fitness. Needs work on core strength and flexibility.",
      client_feedback: "Really helpful assessment. Excited to start training!",
    },
  },
  response: responses(200, envelope(SESSION, true)),
});

export const deleteSchema = route("Cancel a session, or delete it with permanent=true", {
  params: SESSION_PARAMS,
  querystring: { type: "object", properties: { permanent: FLAG } },
  response: responses(
    200,
    envelope(
      {
        type: "object",
        description: "Only when cancelled (not with permanent=true)",
        properties: {
          id: { type: "integer" },
          title: NULLABLE_STRING,
          status: { type: "string" },
          updated_at: { type: "string" },
        },
      },
      true,
    ),
  ),
});

const COUNTS = (names: readonly string[]) => ({
  type: "object",
  properties: Object.fromEntries(names.map((n) => [n, { type: "integer" }])),
});

export const statsSchema = route("Session statistics", {
  querystring: { type: "object", properties: { start_date: DATE_TIME, end_date: DATE_TIME, client_id: ID() } },
  response: responses(
    200,
    envelope({
      type: "object",
      properties: {
        total_sessions: { type: "integer" },
        by_status: COUNTS(STATUSES),
        by_type: {
          ...COUNTS([...TYPES, "therapy"]),
          description: 'Every type of the API; "therapy" only when such sessions exist',
        },
        upcoming_sessions: { type: "integer", description: "Scheduled sessions that have not started yet" },
      },
    }),
  ),
});

export const availabilitySchema = route("Check the trainer's availability on a date", {
  querystring: {
    type: "object",
    properties: {
      date: {
        ...DATE_TIME,
        description: "The date to check (its date part); default: today in the trainer's time zone",
      },
      duration: {
        type: "integer",
        minimum: 1,
        maximum: 1440,
        default: 60,
        description: "Minutes; free slots at least this long",
      },
      trainer_id: ID("Whose calendar; default: the caller (required for callers who are not trainers)"),
    },
  },
  response: responses(
    200,
    envelope({
      type: "object",
      properties: {
        date: { type: "string" },
        requested_duration: { type: "integer" },
        available_slots: {
          type: "array",
          items: {
            type: "object",
            properties: { start: { type: "string" }, end: { type: "string" }, duration_minutes: { type: "integer" } },
          },
        },
        booked_sessions: {
          type: "array",
          items: {
            type: "object",
            properties: { start: { type: "string" }, end: { type: "string" }, title: NULLABLE_STRING },
          },
        },
      },
    }),
  ),
});
