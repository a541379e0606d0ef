/**
 * JSON schemas of the booking API (../shared/legacy-api/booking.md): validation, the OpenAPI
 * document, and (through TypeBox) the types of the requests its handlers read.
 */
import { sessionStatusEnum } from "../../db/schema/index.js";
import { maxLengthOf } from "../../text-limits.js";
import { opaqueIdSchema, OPAQUE_ID_SCHEMA } from "../primitives.js";

export const DURATIONS = [30, 60, 90, 120] as const;
export const MEETING_TYPES = ["video", "audio", "in_person", "chat"] as const;
/** A meeting's status is a session's: the database enum is the source. */
export const MEETING_STATUSES = sessionStatusEnum.enumValues;

export type MeetingType = (typeof MEETING_TYPES)[number];

/** ISO 8601 date-time; the offset is optional (without one it is the therapist's local time). */
export const DATE_TIME_PATTERN = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?$";
/** HH:MM on a 24-hour clock. */
export const HH_MM_PATTERN = "^([01]\\d|2[0-3]):[0-5]\\d$";

/** The allowed values named in ValidationPipe-style messages, by field. */
export const ALLOWED_VALUES: Record<string, readonly (string | number)[]> = {
  duration: DURATIONS,
  meetingType: MEETING_TYPES,
  status: MEETING_STATUSES,
};

const nullableString = { type: ["string", "null"] } as const;
const instant = { type: "string", format: "date-time" } as const;

const meetingFields = {
  title: { ...nullableString, ...maxLengthOf("title"), description: "Optional meeting title" },
  description: { ...nullableString, ...maxLengthOf("description"), description: "Optional meeting description" },
  startTime: {
    type: "string",
    pattern: DATE_TIME_PATTERN,
    description: "ISO 8601; without an offset: the therapist's local time",
  },
  duration: { type: "integer", enum: [...DURATIONS], description: "Minutes" },
  status: { type: "string", enum: [...MEETING_STATUSES] },
  meetingType: { type: "string", enum: [...MEETING_TYPES], description: "Default video" },
  therapistId: opaqueIdSchema("Therapist user ID"),
} as const;

export const meetingCreateBody = {
  type: "object",
  required: ["startTime", "duration", "therapistId"],
  properties: meetingFields,
  examples: [
    {
      title: "Weekly Therapy Session",
      description: "Regular therapy session to discuss anxiety management",
      startTime: "2024-01-15T14:00:00.000Z",
      duration: 60,
      meetingType: "video",
      therapistId: "456",
    },
  ],
} as const;

export const meetingUpdateBody = {
  type: "object",
  properties: {
    ...meetingFields,
    therapistId: opaqueIdSchema(
      "Change therapist (if allowed): an administrator or the meeting's therapist moves it to another therapist",
    ),
  },
  examples: [
    {
      title: "Updated Therapy Session",
      description: "Focus on stress management techniques",
      startTime: "2024-01-15T15:00:00.000Z",
      duration: 90,
      status: "CONFIRMED",
      meetingType: "video",
    },
  ],
} as const;

const person = {
  type: "object",
  properties: {
    user: {
      type: ["object", "null"],
      description: "null when the caller may not see this user (a client is never shown an inactive therapist)",
      properties: { firstName: { type: "string" }, lastName: { type: "string" }, email: nullableString },
    },
  },
} as const;

export const meeting = {
  type: "object",
  properties: {
    id: { type: "string" },
    title: nullableString,
    description: nullableString,
    startTime: instant,
    duration: { type: "integer" },
    status: { type: "string", enum: [...MEETING_STATUSES] },
    meetingType: { type: "string", enum: [...MEETING_TYPES] },
    meetingUrl: nullableString,
    clientId: { type: "string" },
    therapistId: { type: "string" },
    createdAt: instant,
    updatedAt: instant,
    client: person,
    therapist: person,
  },
} as const;

export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: OPAQUE_ID_SCHEMA },
} as const;

const availabilityFields = {
  dayOfWeek: { type: "integer", minimum: 0, maximum: 6, description: "0 = Sunday ... 6 = Saturday" },
  startTime: { type: "string", pattern: HH_MM_PATTERN, description: "HH:MM, 24-hour, the therapist's local time" },
  endTime: { type: "string", pattern: HH_MM_PATTERN, description: "HH:MM, 24-hour, after startTime" },
  notes: { ...nullableString, ...maxLengthOf("notes") },
} as const;

export const availabilityCreateBody = {
  type: "object",
  required: ["dayOfWeek", "startTime", "endTime"],
  properties: availabilityFields,
  examples: [{ dayOfWeek: 1, startTime: "09:00", endTime: "17:00", notes: "Available for regular sessions" }],
} as const;

export const availabilityUpdateBody = {
  type: "object",
  properties: { ...availabilityFields, isAvailable: { type: "boolean" } },
  examples: [
    { dayOfWeek: 1, startTime: "10:00", endTime: "16:00", notes: "Updated availability hours", isAvailable: true },
  ],
} as const;

export const availability = {
  type: "object",
  properties: {
    id: { type: "string" },
    therapistId: { type: "string" },
    dayOfWeek: { type: "integer" },
    startTime: { type: "string" },
    endTime: { type: "string" },
    isAvailable: { type: "boolean" },
    notes: nullableString,
    createdAt: instant,
    updatedAt: instant,
  },
} as const;

export const success = { type: "object", properties: { success: { type: "boolean" } } } as const;

export const slotsQuery = {
  type: "object",
  required: ["therapistId", "date"],
  properties: {
    therapistId: opaqueIdSchema("Therapist user ID"),
    date: { type: "string", format: "date", description: "YYYY-MM-DD, a local date of the therapist" },
  },
} as const;

export const slots = {
  type: "array",
  items: {
    type: "object",
    properties: {
      startTime: instant,
      availableDurations: {
        type: "array",
        items: {
          type: "object",
          properties: { id: { type: "string" }, name: { type: "string" }, duration: { type: "integer" } },
        },
      },
    },
  },
} as const;

/** NestJS's HttpException body; `message` is a list for request validation failures. */
export const nestError = {
  type: "object",
  properties: {
    statusCode: { type: "integer" },
    message: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    error: { type: "string" },
    correlationId: { type: "string", description: "Only on 500: the id of the logged error" },
  },
} as const;

export const errorResponses = { "4xx": nestError, "5xx": nestError } as const;
