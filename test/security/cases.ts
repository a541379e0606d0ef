/**
 * How to call every GraphQL field that takes an ID and every REST route validly, as a user of
 * practice A, and which kind of record each id slot names. The tenant sweep swaps one slot at a
 * time for another tenant's id; the fuzzers start from these valid calls and mutate them.
 * Fields and routes are discovered from the schema and /openapi.json (discovery.ts): one that
 * is missing here, or whose slots differ, fails the coverage tests.
 */
import { KINDS, type Ids, type Kind, type RoleName } from "./world.js";

/** GraphQL takes IDs as strings. */
export type IdStrings = Record<Kind, string>;
export const idStrings = (ids: Ids) =>
  Object.fromEntries(Object.entries(ids).map(([kind, id]) => [kind, String(id)])) as IdStrings;
export const MONDAY = "2030-01-07";

export interface GraphqlCase {
  /** Who calls it: a role that may use the field on its own tenant's records. Default admin. */
  role?: RoleName;
  /** Valid arguments with the caller's own ids. */
  args: (own: IdStrings) => Record<string, unknown>;
  /** The kind of record each ID slot names (node: any). */
  slots: Record<string, Kind | readonly Kind[]>;
  /** How a slot answers an id it cannot see, when not NOT_FOUND. */
  answers?: Record<string, Unseen>;
}

/**
 * Besides NOT_FOUND, the ways a field answers an id the caller cannot see, always exactly as
 * for an id that exists nowhere: "null" (node, the Relay convention), "filter" (a list or
 * count filtered by it: nothing matches), "field error" (an id an input refers to:
 * BAD_USER_INPUT naming the field, "... not found", with every other bad field at once).
 */
export type Unseen = "null" | "filter" | "field error";

/** A weekly course of two, Wednesdays (clear of the world's Monday session and Tuesday course). */
const seriesInput = (o: IdStrings) => ({
  providerId: o.provider,
  clientId: o.client,
  treatmentPlanId: o.plan,
  startsAt: "2030-01-09T20:00:00Z",
  durationMinutes: 30,
  recurrence: "FREQ=WEEKLY;COUNT=2",
});

export const GRAPHQL: Record<string, GraphqlCase> = {
  // queries
  auditLog: {
    args: (o) => ({ entity: "Session", entityId: o.session }),
    slots: { entityId: "session" },
    answers: { entityId: "filter" },
  },
  availabilityOverrides: { args: (o) => ({ providerId: o.provider }), slots: { providerId: "provider" } },
  availabilityRules: { args: (o) => ({ providerId: o.provider }), slots: { providerId: "provider" } },
  availableSlots: {
    args: (o) => ({ providerId: o.provider, clientId: o.client, from: MONDAY }),
    slots: { providerId: "provider", clientId: "client" },
  },
  availableSlotsByProvider: {
    args: (o) => ({ providerIds: [o.provider], clientId: o.client, from: MONDAY }),
    slots: { "providerIds[]": "provider", clientId: "client" },
  },
  freeIntervals: { args: (o) => ({ providerId: o.provider, date: MONDAY }), slots: { providerId: "provider" } },
  workingHours: { args: (o) => ({ providerId: o.provider, from: MONDAY }), slots: { providerId: "provider" } },
  groupSession: { args: (o) => ({ id: o.group }), slots: { id: "group" } },
  groupSessions: {
    args: (o) => ({ providerId: o.provider, from: "2030-01-06T00:00:00Z", to: "2030-01-13T00:00:00Z" }),
    slots: { providerId: "provider" },
    answers: { providerId: "filter" },
  },
  itemUsage: {
    args: (o) => ({ providerId: o.provider, from: "2030-01-01T00:00:00Z", to: "2030-02-01T00:00:00Z" }),
    slots: { providerId: "provider" },
    answers: { providerId: "field error" },
  },
  node: { args: (o) => ({ id: o.session }), slots: { id: KINDS }, answers: { id: "null" } },
  providerSchedulingSettings: { args: (o) => ({ providerId: o.provider }), slots: { providerId: "provider" } },
  previewSeries: {
    args: (o) => ({ input: seriesInput(o) }),
    slots: { "input.providerId": "provider", "input.clientId": "client", "input.treatmentPlanId": "plan" },
  },
  series: { args: (o) => ({ id: o.series }), slots: { id: "series" } },
  waitlist: {
    args: (o) => ({ providerId: o.provider, clientId: o.client }),
    slots: { providerId: "provider", clientId: "client" },
    answers: { providerId: "filter", clientId: "filter" },
  },
  session: { args: (o) => ({ id: o.session }), slots: { id: "session" } },
  sessionStats: {
    args: (o) => ({ providerId: o.provider, clientId: o.client }),
    slots: { providerId: "provider", clientId: "client" },
    answers: { providerId: "filter", clientId: "filter" },
  },
  sessions: {
    args: (o) => ({ filter: { providerId: o.provider, clientId: o.client, treatmentPlanId: o.plan } }),
    slots: { "filter.providerId": "provider", "filter.clientId": "client", "filter.treatmentPlanId": "plan" },
    answers: { "filter.providerId": "filter", "filter.clientId": "filter", "filter.treatmentPlanId": "filter" },
  },
  slotHold: { args: (o) => ({ id: o.hold }), slots: { id: "hold" } },
  treatmentDetail: { args: (o) => ({ id: o.detail }), slots: { id: "detail" } },
  treatmentDetails: {
    args: (o) => ({ sessionId: o.session, itemId: o.item }),
    slots: { sessionId: "session", itemId: "item" },
  },
  treatmentPlan: { args: (o) => ({ id: o.plan }), slots: { id: "plan" } },
  treatmentPlans: { args: (o) => ({ clientId: o.client }), slots: { clientId: "client" } },
  videoRoomStatus: { args: (o) => ({ sessionId: o.session }), slots: { sessionId: "session" } },
  // mutations
  assignClient: {
    args: (o) => ({ providerId: o.provider, clientId: o.client }),
    slots: { providerId: "provider", clientId: "client" },
  },
  bookSession: {
    args: (o) => ({
      input: {
        providerId: o.provider,
        clientId: o.client,
        treatmentPlanId: o.plan,
        startsAt: "2030-01-07T20:00:00Z",
        durationMinutes: 30,
      },
    }),
    slots: {
      "input.providerId": "provider",
      "input.clientId": "client",
      "input.treatmentPlanId": "plan",
      "input.holdId": "hold",
    },
  },
  bookSeries: {
    args: (o) => ({ input: seriesInput(o) }),
    slots: { "input.providerId": "provider", "input.clientId": "client", "input.treatmentPlanId": "plan" },
  },
  joinWaitlist: {
    args: (o) => ({
      input: {
        providerId: o.provider,
        clientId: o.client,
        earliest: "2030-01-09T15:00:00Z",
        latest: "2030-01-09T18:00:00Z",
        durationMinutes: 60,
      },
    }),
    slots: { "input.providerId": "provider", "input.clientId": "client" },
  },
  leaveWaitlist: { args: (o) => ({ id: o.waitlistEntry }), slots: { id: "waitlistEntry" } },
  acceptWaitlistOffer: { args: (o) => ({ id: o.waitlistEntry }), slots: { id: "waitlistEntry" } },
  declineWaitlistOffer: { args: (o) => ({ id: o.waitlistEntry }), slots: { id: "waitlistEntry" } },
  // An ADMIN's call for another user (its own needs no id); rotate, so that every call makes a URL.
  calendarFeed: { args: (o) => ({ userId: o.client, rotate: true }), slots: { userId: "client" } },
  cancelSeries: { args: (o) => ({ id: o.series, reason: "sweep" }), slots: { id: "series" } },
  cancelGroupSession: { args: (o) => ({ id: o.group, reason: "sweep" }), slots: { id: "group" } },
  cancelSession: { args: (o) => ({ id: o.session, reason: "sweep" }), slots: { id: "session" } },
  completeSession: { args: (o) => ({ id: o.session }), slots: { id: "session" } },
  confirmSession: { args: (o) => ({ id: o.session }), slots: { id: "session" } },
  // A class on Friday, clear of everything else of the world's.
  createGroupSession: {
    args: (o) => ({
      input: { providerId: o.provider, startsAt: "2030-01-11T09:00:00Z", durationMinutes: 60, capacity: 4 },
    }),
    slots: { "input.providerId": "provider" },
  },
  joinGroupSession: { args: (o) => ({ id: o.group, clientId: o.client }), slots: { id: "group", clientId: "client" } },
  leaveGroupSession: {
    args: (o) => ({ id: o.group, clientId: o.client, reason: "sweep" }),
    slots: { id: "group", clientId: "client" },
  },
  createAvailabilityOverride: {
    args: (o) => ({ input: { providerId: o.provider, date: "2030-01-10", isAvailable: false } }),
    slots: { "input.providerId": "provider" },
  },
  createAvailabilityRule: {
    args: (o) => ({ input: { providerId: o.provider, dayOfWeek: 2, startTime: "09:00", endTime: "10:00" } }),
    slots: { "input.providerId": "provider" },
  },
  createTreatmentDetail: {
    args: (o) => ({ input: { sessionId: o.session, itemId: o.item, unitId: o.unit, quantity: 1 } }),
    slots: { "input.sessionId": "session", "input.itemId": "item", "input.unitId": "unit" },
    answers: { "input.sessionId": "field error", "input.itemId": "field error", "input.unitId": "field error" },
  },
  createTreatmentDetails: {
    args: (o) => ({ sessionId: o.session, lines: [{ itemId: o.item, unitId: o.unit, quantity: 1 }] }),
    slots: { sessionId: "session", "lines[].itemId": "item", "lines[].unitId": "unit" },
    answers: { sessionId: "field error", "lines[].itemId": "field error", "lines[].unitId": "field error" },
  },
  createTreatmentPlan: {
    args: (o) => ({ input: { clientId: o.client, title: "Sweep" } }),
    slots: { "input.clientId": "client" },
  },
  deleteAvailabilityOverride: { args: (o) => ({ id: o.override }), slots: { id: "override" } },
  deleteAvailabilityRule: { args: (o) => ({ id: o.rule }), slots: { id: "rule" } },
  deleteSession: { args: (o) => ({ id: o.session }), slots: { id: "session" } },
  reassignSession: {
    args: (o) => ({ id: o.session, providerId: o.provider, clientId: o.client }),
    slots: { id: "session", providerId: "provider", clientId: "client" },
  },
  deleteTreatmentDetail: { args: (o) => ({ id: o.detail }), slots: { id: "detail" } },
  holdSlot: {
    args: (o) => ({
      input: { providerId: o.provider, clientId: o.client, startsAt: "2030-01-11T15:00:00Z", durationMinutes: 30 },
    }),
    slots: { "input.providerId": "provider", "input.clientId": "client" },
  },
  issueVideoAccess: { args: (o) => ({ sessionId: o.session }), slots: { sessionId: "session" } },
  markNoShow: { args: (o) => ({ id: o.session }), slots: { id: "session" } },
  releaseHold: { args: (o) => ({ id: o.hold }), slots: { id: "hold" } },
  rescheduleSession: {
    args: (o) => ({ id: o.session, startsAt: "2030-01-07T21:00:00Z", durationMinutes: 30 }),
    slots: { id: "session" },
  },
  updateAvailabilityRule: { args: (o) => ({ id: o.rule, input: { notes: "sweep" } }), slots: { id: "rule" } },
  updateItem: { args: (o) => ({ id: o.item, name: "Sweep" }), slots: { id: "item" } },
  updateProviderSchedulingSettings: {
    args: (o) => ({ providerId: o.provider, bufferMinutes: 5 }),
    slots: { providerId: "provider" },
  },
  updateSession: {
    args: (o) => ({ id: o.session, input: { title: "Sweep", treatmentPlanId: o.plan } }),
    slots: { id: "session", "input.treatmentPlanId": "plan" },
  },
  updateTreatmentDetail: {
    args: (o) => ({ id: o.detail, input: { sessionId: o.session, itemId: o.item, unitId: o.unit, quantity: 3 } }),
    slots: { id: "detail", "input.sessionId": "session", "input.itemId": "item", "input.unitId": "unit" },
    answers: { "input.sessionId": "field error", "input.itemId": "field error", "input.unitId": "field error" },
  },
  updateTreatmentPlan: { args: (o) => ({ id: o.plan, input: { title: "Sweep" } }), slots: { id: "plan" } },
  updateUser: { args: (o) => ({ id: o.client, input: { status: "active" } }), slots: { id: "client" } },
  updateUnit: { args: (o) => ({ id: o.unit, name: "Sweep" }), slots: { id: "unit" } },
  deleteWebhookEndpoint: { args: (o) => ({ id: o.webhookEndpoint }), slots: { id: "webhookEndpoint" } },
  redeliverWebhook: { args: (o) => ({ deliveryId: o.webhookDelivery }), slots: { deliveryId: "webhookDelivery" } },
};

/** Every REST route, by "METHOD /path" as in /openapi.json. */
export interface RestCase {
  role: RoleName;
  /** The kind of record each id slot (path.id, query.client_id, body.staff) names; "external": another system's id, not a record here. */
  slots: Record<string, Kind | "external">;
  /** Other query parameters a valid call needs. */
  query?: Record<string, string>;
  /** A valid body, without its id slots (they are filled in). */
  body?: () => Record<string, unknown>;
  /** A GET is first called with the caller's own ids and must succeed (false: it needs more than ids, e.g. a live video window). */
  control?: boolean;
}

const SAPPHIRE_SESSION = { session_date: "2030-01-08", start_time: "10:00", end_time: "11:00" };
/** Calendar event ids are Google's and Microsoft's, not records of ours. */
const FITNESS_UPDATE_SLOTS = {
  "body.client_id": "client",
  "body.google_event_id": "external",
  "body.outlook_event_id": "external",
} as const;
const FITNESS_SESSION = {
  title: "Sweep",
  scheduled_start: "2030-01-08T10:00:00",
  scheduled_end: "2030-01-08T11:00:00",
};

const BOOKING = (prefix: string): Record<string, RestCase> => ({
  [`POST ${prefix}/meetings`]: {
    role: "client",
    slots: { "body.therapistId": "provider" },
    body: () => ({ startTime: "2030-01-07T19:00:00.000Z", duration: 60 }),
  },
  [`GET ${prefix}/meetings/{id}`]: { role: "client", slots: { "path.id": "session" } },
  [`PUT ${prefix}/meetings/{id}`]: {
    role: "client",
    slots: { "path.id": "session", "body.therapistId": "provider" },
    body: () => ({ title: "Sweep" }),
  },
  [`DELETE ${prefix}/meetings/{id}/cancel`]: { role: "client", slots: { "path.id": "session" } },
  [`PUT ${prefix}/availability/{id}`]: {
    role: "provider",
    slots: { "path.id": "rule" },
    body: () => ({ notes: "Sweep" }),
  },
  [`DELETE ${prefix}/availability/{id}`]: { role: "provider", slots: { "path.id": "rule" } },
  [`GET ${prefix}/meetings`]: { role: "client", slots: {} },
  [`POST ${prefix}/availability`]: {
    role: "provider",
    slots: {},
    body: () => ({ dayOfWeek: 3, startTime: "09:00", endTime: "12:00", notes: "Fuzz" }),
  },
  [`GET ${prefix}/availability`]: { role: "provider", slots: {} },
  [`GET ${prefix}/slots`]: { role: "client", slots: { "query.therapistId": "provider" }, query: { date: MONDAY } },
});

export const REST: Record<string, RestCase> = {
  "GET /sapphire/scheduler/sessions/": { role: "provider", slots: { "query.treatment_plan_id": "plan" } },
  "POST /sapphire/scheduler/sessions/": {
    role: "provider",
    slots: { "body.client": "client", "body.staff": "provider", "body.treatment_plan_id": "plan" },
    body: () => SAPPHIRE_SESSION,
  },
  "GET /sapphire/scheduler/sessions/{id}/": { role: "provider", slots: { "path.id": "session" } },
  "PATCH /sapphire/scheduler/sessions/{id}/": {
    role: "provider",
    slots: { "path.id": "session", "body.client": "client", "body.staff": "provider", "body.treatment_plan": "plan" },
    body: () => ({ session_notes: "Sweep" }),
  },
  "PUT /sapphire/scheduler/sessions/{id}/": {
    role: "provider",
    slots: { "path.id": "session", "body.client": "client", "body.staff": "provider", "body.treatment_plan": "plan" },
    body: () => SAPPHIRE_SESSION,
  },
  "DELETE /sapphire/scheduler/sessions/{id}/": { role: "provider", slots: { "path.id": "session" } },
  "GET /sapphire/scheduler/clients/": { role: "provider", slots: {} },
  "GET /sapphire/treatment-plan/treatment-plans/": { role: "provider", slots: {} },
  "GET /sapphire/treatment-plan/treatment-plans/{id}/": { role: "provider", slots: { "path.id": "plan" } },
  "GET /sapphire/treatment-plan/plans/{id}/client/": { role: "provider", slots: { "path.id": "plan" } },

  "GET /api/v1/sessions": { role: "provider", slots: { "query.client_id": "client" } },
  "POST /api/v1/sessions": {
    role: "provider",
    slots: { "body.client_id": "client", "body.trainer_id": "provider" },
    body: () => FITNESS_SESSION,
  },
  "GET /api/v1/sessions/stats": { role: "provider", slots: { "query.client_id": "client" } },
  "GET /api/v1/sessions/availability": {
    role: "provider",
    slots: { "query.trainer_id": "provider" },
    query: { date: MONDAY },
  },
  "GET /api/v1/sessions/{id}": { role: "provider", slots: { "path.id": "session" } },
  "PUT /api/v1/sessions/{id}": {
    role: "provider",
    slots: { "path.id": "session", ...FITNESS_UPDATE_SLOTS },
    body: () => ({ title: "Sweep" }),
  },
  "PATCH /api/v1/sessions/{id}": {
    role: "provider",
    slots: { "path.id": "session", ...FITNESS_UPDATE_SLOTS },
    body: () => ({ title: "Sweep" }),
  },
  "DELETE /api/v1/sessions/{id}": { role: "provider", slots: { "path.id": "session" } },

  "GET /so/api/treatment-details": {
    role: "admin",
    slots: { "query.treatment_id": "session", "query.item_id": "item" },
  },
  "POST /so/api/treatment-details": {
    role: "admin",
    slots: { "body.treatment_id": "session", "body.item_id": "item", "body.unit_id": "unit" },
    body: () => ({ quantity: 1 }),
  },
  "GET /so/api/treatment-details/{id}": { role: "admin", slots: { "path.id": "detail" } },
  "PUT /so/api/treatment-details/{id}": {
    role: "admin",
    slots: { "path.id": "detail", "body.treatment_id": "session", "body.item_id": "item", "body.unit_id": "unit" },
    body: () => ({ quantity: 4 }),
  },
  "DELETE /so/api/treatment-details/{id}": { role: "admin", slots: { "path.id": "detail" } },
  "GET /so/api/treatment-details/by-treatment/{treatment_id}": {
    role: "admin",
    slots: { "path.treatment_id": "session" },
  },

  ...BOOKING("/booking"),
  ...BOOKING("/api/booking"),

  "GET /api/appointments/video-token/{id}/": { role: "provider", slots: { "path.id": "session" }, control: false },
  "GET /api/appointments/video-token-refresh/{id}/": {
    role: "provider",
    slots: { "path.id": "session" },
    control: false,
  },
  "GET /api/appointments/video-status/{id}/": { role: "provider", slots: { "path.id": "session" } },
  "GET /api/appointments/psychologist/schedule/": { role: "provider", slots: {} },
  "GET /api/appointments/": { role: "client", slots: {} },
};
