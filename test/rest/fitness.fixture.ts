/**
 * The fitness API's documented examples (../shared/legacy-api/fitness-crm-sessions.md), copied
 * verbatim, and a gym that can replay them: trainer Mike Thompson and his clients John Doe and
 * Sarah Johnson, in a tenant of their own, on America/New_York time.
 */
import { DateTime } from "luxon";
import { expect } from "vitest";
import type { SessionRow, TenantRow } from "../../src/db/schema/index.js";
import type { TestApp } from "../helpers/app.js";
import { makeSession, makeTenant, makeUser, relate } from "../helpers/factories.js";

export const ZONE = "America/New_York";

/** The wall-clock time of the gym as an instant: local("2025-12-10T14:00:00"). */
export const local = (isoLocal: string) => DateTime.fromISO(isoLocal, { zone: ZONE }).toJSDate();

/** A test's clock: each example sets the time its document shows. */
export const clock = { now: local("2025-12-09T10:30:00") };

export async function makeGym(t: TestApp) {
  const tenant: TenantRow = await makeTenant(t.database, { timeZone: ZONE });
  const trainer = await makeUser(t.database, tenant, "PROVIDER", {
    username: "trainer_mike",
    name: "Mike Thompson",
    email: "mike@mectofitness.com",
  });
  const john = await makeUser(t.database, tenant, "CLIENT", {
    name: "John Doe",
    email: "john@example.com",
    phone: "+1-555-0123",
  });
  const sarah = await makeUser(t.database, tenant, "CLIENT", {
    name: "Sarah Johnson",
    email: "sarah@example.com",
    phone: "+1-555-0456",
  });
  const stranger = await makeUser(t.database, tenant, "CLIENT", { name: "Not Mike's Client" });
  const otherTrainer = await makeUser(t.database, tenant, "PROVIDER", { name: "Other Trainer" });
  const admin = await makeUser(t.database, tenant, "ADMIN");
  await relate(t.database, tenant, trainer, john);
  await relate(t.database, tenant, trainer, sarah);
  await relate(t.database, tenant, otherTrainer, stranger);
  const token = await t.token(trainer, tenant);
  return {
    tenant,
    trainer,
    john,
    sarah,
    stranger,
    otherTrainer,
    admin,
    token,
    /** The document's clients authenticate with the cookie `session=<jwt>`. */
    cookie: { cookie: `session=${token}` },
    session: (values: Partial<SessionRow> & Pick<SessionRow, "clientId" | "startsAt" | "endsAt">) =>
      makeSession(t.database, tenant, {
        providerId: trainer.id,
        type: "PERSONAL",
        createdAt: clock.now,
        updatedAt: clock.now,
        ...values,
      }),
  };
}
export type Gym = Awaited<ReturnType<typeof makeGym>>;

/** A value's JSON shape: the type of every leaf, arrays by their first item. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (typeof value === "object")
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shapeOf(v)]));
  return Number.isInteger(value) ? "integer" : typeof value;
}

/** The keys that hold ids: they differ from the document's (1, 5, 25, ...). */
const ID_KEYS = new Set(["id", "trainer_id", "client_id"]);

/** The documented value with the ids replaced by the ones the test expects. */
export function withIds<T>(documented: T, ids: Record<string, number>, path = ""): T {
  if (Array.isArray(documented)) return documented.map((v) => withIds(v, ids, path)) as T;
  if (documented === null || typeof documented !== "object") return documented;
  return Object.fromEntries(
    Object.entries(documented).map(([k, v]) => {
      const key = path ? `${path}.${k}` : k;
      return [k, ID_KEYS.has(k) && typeof v === "number" ? (ids[key] ?? expect.any(Number)) : withIds(v, ids, key)];
    }),
  ) as T;
}

/** The response has the documented shape: the same keys with the same value types (nulls where the document has them). */
export function expectDocumentedShape(actual: unknown, documented: unknown): void {
  expect(shapeOf(actual)).toEqual(shapeOf(documented));
}

// ------------------------------------------------------------------ the document's examples

const SESSION_1 = {
  id: 1,
  title: "Personal Training Session",
  description: "Full body workout focusing on strength",
  session_type: "personal",
  location: "Main Gym - Studio A",
  scheduled_start: "2025-12-10T14:00:00",
  scheduled_end: "2025-12-10T15:00:00",
  actual_start: null,
  actual_end: null,
  status: "scheduled",
  exercises_performed: null,
  notes: "Client wants to focus on upper body",
  client_feedback: null,
  trainer_notes: "Remember client has shoulder sensitivity",
  google_event_id: null,
  outlook_event_id: null,
  created_at: "2025-12-09T10:30:00",
  updated_at: "2025-12-09T10:30:00",
  trainer_id: 1,
  client_id: 5,
  client: { id: 5, name: "John Doe", email: "john@example.com", phone: "+1-555-0123", status: "active" },
};

export const DOC = {
  list: {
    success: true,
    data: {
      sessions: [SESSION_1],
      pagination: { page: 1, per_page: 20, total_pages: 3, total_items: 48, has_next: true, has_prev: false },
    },
  },
  get: {
    success: true,
    data: {
      id: 15,
      title: "HIIT Training",
      description: "High intensity interval training session",
      session_type: "personal",
      location: "Outdoor Track",
      scheduled_start: "2025-12-10T09:00:00",
      scheduled_end: "2025-12-10T10:00:00",
      actual_start: "2025-12-10T09:05:00",
      actual_end: "2025-12-10T10:02:00",
      status: "completed",
      exercises_performed: "Sprints, burpees, mountain climbers, box jumps",
      notes: "Great energy today",
      client_feedback: "Tough but felt amazing after!",
      trainer_notes: "Client showed significant improvement in stamina",
      google_event_id: "abc123xyz",
      outlook_event_id: null,
      created_at: "2025-12-05T14:20:00",
      updated_at: "2025-12-10T10:05:00",
      trainer_id: 1,
      client_id: 8,
      client: { id: 8, name: "Sarah Johnson", email: "sarah@example.com", phone: "+1-555-0456", status: "active" },
      trainer: { id: 1, username: "trainer_mike", email: "mike@mectofitness.com", full_name: "Mike Thompson" },
    },
  },
  createRequest: {
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
  create: {
    success: true,
    message: "Session created successfully",
    data: {
      id: 25,
      title: "Initial Fitness Assessment",
      description: "Comprehensive fitness evaluation and goal setting",
      session_type: "assessment",
      location: "Main Gym - Assessment Area",
      scheduled_start: "2025-12-11T10:00:00",
      scheduled_end: "2025-12-11T11:30:00",
      actual_start: null,
      actual_end: null,
      status: "scheduled",
      exercises_performed: null,
      notes: "Bring body composition analysis equipment",
      client_feedback: null,
      trainer_notes: "Client mentioned previous knee injury",
      google_event_id: null,
      outlook_event_id: null,
      created_at: "2025-12-09T15:20:00",
      updated_at: "2025-12-09T15:20:00",
      trainer_id: 1,
      client_id: 5,
      client: { id: 5, name: "John Doe", email: "john@example.com", phone: "+1-555-0123", status: "active" },
    },
  },
  conflict: {
    success: false,
    error: 'Scheduling conflict detected with session "Personal Training Session" at 2025-12-11T10:30:00',
  },
  completeRequest: {
    status: "completed",
    actual_start: "2025-12-11T10:05:00",
    actual_end: "2025-12-11T11:35:00",
    exercises_performed: "Body composition scan, flexibility tests, strength assessments, cardiovascular evaluation",
    trainer_notes: "Client showed good baseline fitness. Needs work on core strength and flexibility.",
    client_feedback: "Really helpful assessment. Excited to start training!",
  },
  update: {
    success: true,
    message: "Session updated successfully",
    data: {
      id: 25,
      title: "Initial Fitness Assessment",
      status: "completed",
      actual_start: "2025-12-11T10:05:00",
      actual_end: "2025-12-11T11:35:00",
      exercises_performed: "Body composition scan, flexibility tests, strength assessments, cardiovascular evaluation",
      trainer_notes: "Client showed good baseline fitness. Needs work on core strength and flexibility.",
      client_feedback: "Really helpful assessment. Excited to start training!",
      updated_at: "2025-12-11T11:40:00",
    },
  },
  rescheduleRequest: { scheduled_start: "2025-12-12T14:00:00", scheduled_end: "2025-12-12T15:00:00" },
  pythonCompleteRequest: {
    status: "completed",
    actual_start: "2025-12-10T09:05:00",
    actual_end: "2025-12-10T10:02:00",
    exercises_performed: "Bench press 3x10, Squats 4x8, Deadlifts 3x6",
    trainer_notes: "Client hit new PR on deadlift!",
    client_feedback: "Best workout yet!",
  },
  cancel: {
    success: true,
    message: "Session cancelled successfully",
    data: { id: 30, title: "Personal Training Session", status: "cancelled", updated_at: "2025-12-09T16:45:00" },
  },
  permanentDelete: { success: true, message: "Session permanently deleted" },
  stats: {
    success: true,
    data: {
      total_sessions: 48,
      by_status: { completed: 32, scheduled: 12, cancelled: 3, "no-show": 1 },
      by_type: { personal: 38, group: 6, online: 3, assessment: 1 },
      upcoming_sessions: 8,
    },
  },
  availability: {
    success: true,
    data: {
      date: "2025-12-10",
      requested_duration: 90,
      available_slots: [
        { start: "2025-12-10T08:00:00", end: "2025-12-10T10:00:00", duration_minutes: 120 },
        { start: "2025-12-10T11:00:00", end: "2025-12-10T14:00:00", duration_minutes: 180 },
        { start: "2025-12-10T15:30:00", end: "2025-12-10T20:00:00", duration_minutes: 270 },
      ],
      booked_sessions: [
        { start: "2025-12-10T10:00:00", end: "2025-12-10T11:00:00", title: "Personal Training - John Doe" },
        { start: "2025-12-10T14:00:00", end: "2025-12-10T15:30:00", title: "Group Class - HIIT" },
      ],
    },
  },
  validationError: {
    success: false,
    error: "Validation failed",
    errors: {
      scheduled_start: "Scheduled start time is required",
      scheduled_end: "Scheduled end time must be after start time",
    },
  },
  permissionDenied: { success: false, error: "You do not have permission to view this session" },
  notFound: { success: false, error: "Session not found" },
};
