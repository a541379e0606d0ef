/**
 * One contract test per documented example of ../shared/legacy-api/booking.md: the example
 * request against a real server, the response compared with the document's (status, keys, value
 * types, and every value the document fixes). The clock stands where the document's examples do
 * (2024-01-01 12:00 UTC) and the people are the document's, so only ids differ.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TenantRow, UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makeSession, makeTenant, makeUser, relate } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { PREFIXES, shapeOf } from "./booking.fixture.js";

// ---------------------------------------------------------------- the document's examples

const CREATE_MEETING_REQUEST = {
  title: "Weekly Therapy Session",
  description: "Regular therapy session to discuss anxiety management",
  startTime: "2024-01-15T14:00:00.000Z",
  duration: 60,
  meetingType: "video",
  therapistId: "therapist_456",
};

const MEETING = {
  id: "meeting_789",
  title: "Weekly Therapy Session",
  description: "Regular therapy session to discuss anxiety management",
  startTime: "2024-01-15T14:00:00.000Z",
  duration: 60,
  status: "SCHEDULED",
  meetingType: "video",
  meetingUrl: null,
  clientId: "client_123",
  therapistId: "therapist_456",
  createdAt: "2024-01-01T12:00:00.000Z",
  updatedAt: "2024-01-01T12:00:00.000Z",
  client: { user: { firstName: "John", lastName: "Doe", email: "john.doe@example.com" } },
  therapist: { user: { firstName: "Jane", lastName: "Smith", email: "jane.smith@example.com" } },
};

const UPDATE_MEETING_REQUEST = {
  title: "Updated Therapy Session",
  description: "Focus on stress management techniques",
  startTime: "2024-01-15T15:00:00.000Z",
  duration: 90,
  status: "CONFIRMED",
  meetingType: "video",
};

const UPDATED_MEETING = {
  ...MEETING,
  title: "Updated Therapy Session",
  description: "Focus on stress management techniques",
  startTime: "2024-01-15T15:00:00.000Z",
  duration: 90,
  status: "CONFIRMED",
  updatedAt: "2024-01-01T12:30:00.000Z",
};

const CANCELLED_MEETING = { ...MEETING, status: "CANCELLED", updatedAt: "2024-01-01T12:45:00.000Z" };

const CREATE_AVAILABILITY_REQUEST = {
  dayOfWeek: 1,
  startTime: "09:00",
  endTime: "17:00",
  notes: "Available for regular sessions",
};

const AVAILABILITY = {
  id: "avail_123",
  therapistId: "therapist_456",
  dayOfWeek: 1,
  startTime: "09:00",
  endTime: "17:00",
  isAvailable: true,
  notes: "Available for regular sessions",
  createdAt: "2024-01-01T12:00:00.000Z",
  updatedAt: "2024-01-01T12:00:00.000Z",
};

const SECOND_AVAILABILITY = {
  ...AVAILABILITY,
  id: "avail_124",
  dayOfWeek: 2,
  startTime: "10:00",
  endTime: "16:00",
  notes: "Tuesday availability",
};

const UPDATE_AVAILABILITY_REQUEST = {
  dayOfWeek: 1,
  startTime: "10:00",
  endTime: "16:00",
  notes: "Updated availability hours",
  isAvailable: true,
};

const UPDATED_AVAILABILITY = {
  ...AVAILABILITY,
  startTime: "10:00",
  endTime: "16:00",
  notes: "Updated availability hours",
  updatedAt: "2024-01-01T12:30:00.000Z",
};

const durations = (...minutes: number[]) => minutes.map((m) => ({ id: String(m), name: `${m} minutes`, duration: m }));
const SLOTS = [
  { startTime: "2024-01-15T09:00:00.000Z", availableDurations: durations(30, 60, 90) },
  { startTime: "2024-01-15T09:30:00.000Z", availableDurations: durations(30, 60) },
  { startTime: "2024-01-15T10:00:00.000Z", availableDurations: durations(30) },
];

// ---------------------------------------------------------------- the world of the examples

const START = new Date("2024-01-01T12:00:00.000Z");
let clock = START;
const setClock = (iso: string) => (clock = new Date(iso));

let t: TestApp;
let tenant: TenantRow;
let john: UserRow, jane: UserRow;
let johnToken: string, janeToken: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => clock });
  // UTC, so that the document's wall-clock hours and its Z instants coincide.
  tenant = await makeTenant(t.database, { timeZone: "UTC" });
  john = await makeUser(t.database, tenant, "CLIENT", {
    name: "John Doe",
    firstName: "John",
    lastName: "Doe",
    email: "john.doe@example.com",
  });
  jane = await makeUser(t.database, tenant, "PROVIDER", {
    name: "Jane Smith",
    firstName: "Jane",
    lastName: "Smith",
    email: "jane.smith@example.com",
  });
  await relate(t.database, tenant, jane, john);
  [johnToken, janeToken] = await Promise.all([t.token(john, tenant), t.token(jane, tenant)]);
});
afterAll(() => t.close());

/** The document's example with our ids. */
const meetingOf = (example: typeof MEETING, id: string) => ({
  ...example,
  id,
  clientId: String(john.id),
  therapistId: String(jane.id),
});

describe(`booking.md contract (${engine})`, () => {
  let mondayRuleId: string, tuesdayRuleId: string;
  let meetingId: string, cancelledMeetingId: string;

  describe("Availability Management", () => {
    it("POST /booking/availability: 201 and the documented slot", async () => {
      setClock("2024-01-01T12:00:00.000Z");
      const res = await rest(t.url, "POST", "/booking/availability", {
        token: janeToken,
        body: CREATE_AVAILABILITY_REQUEST,
      });
      expect(res.status, res.text).toBe(201);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(shapeOf(res.body)).toEqual(shapeOf(AVAILABILITY));
      // Rules are stamped by the database clock, not the frozen one: their own ISO instants.
      expect(res.body).toEqual({
        ...AVAILABILITY,
        id: expect.stringMatching(/^\d+$/),
        therapistId: String(jane.id),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      mondayRuleId = res.body.id;
    });

    it("GET /booking/availability: 200 and the documented list", async () => {
      const second = await rest(t.url, "POST", "/api/booking/availability", {
        token: janeToken,
        body: { dayOfWeek: 2, startTime: "10:00", endTime: "16:00", notes: "Tuesday availability" },
      });
      expect(second.status, second.text).toBe(201);
      tuesdayRuleId = second.body.id;
      for (const prefix of PREFIXES) {
        const res = await rest(t.url, "GET", `${prefix}/availability`, { token: janeToken });
        expect(res.status, res.text).toBe(200);
        expect(shapeOf(res.body)).toEqual(shapeOf([AVAILABILITY, SECOND_AVAILABILITY]));
        expect(res.body).toEqual([
          {
            ...AVAILABILITY,
            id: mondayRuleId,
            therapistId: String(jane.id),
            createdAt: expect.any(String),
            updatedAt: expect.any(String),
          },
          {
            ...SECOND_AVAILABILITY,
            id: tuesdayRuleId,
            therapistId: String(jane.id),
            createdAt: expect.any(String),
            updatedAt: expect.any(String),
          },
        ]);
      }
    });

    it("PUT /booking/availability/:id: 200 and the documented slot", async () => {
      setClock("2024-01-01T12:30:00.000Z");
      const res = await rest(t.url, "PUT", `/booking/availability/${mondayRuleId}`, {
        token: janeToken,
        body: UPDATE_AVAILABILITY_REQUEST,
      });
      expect(res.status, res.text).toBe(200);
      expect(shapeOf(res.body)).toEqual(shapeOf(UPDATED_AVAILABILITY));
      expect(res.body).toEqual({
        ...UPDATED_AVAILABILITY,
        id: mondayRuleId,
        therapistId: String(jane.id),
        createdAt: expect.any(String),
      });
    });

    it("DELETE /booking/availability/:id: 200 {success: true}", async () => {
      const res = await rest(t.url, "DELETE", `/booking/availability/${tuesdayRuleId}`, { token: janeToken });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ success: true });
      const left = await rest(t.url, "GET", "/booking/availability", { token: janeToken });
      expect(left.body.map((r: { id: string }) => r.id)).toEqual([mondayRuleId]);
    });
  });

  describe("Meeting Management", () => {
    it("POST /booking/meetings: 201 and the documented meeting", async () => {
      setClock("2024-01-01T12:00:00.000Z");
      const res = await rest(t.url, "POST", "/booking/meetings", {
        token: johnToken,
        body: { ...CREATE_MEETING_REQUEST, therapistId: String(jane.id) },
      });
      expect(res.status, res.text).toBe(201);
      expect(shapeOf(res.body)).toEqual(shapeOf(MEETING));
      expect(res.body).toEqual(meetingOf(MEETING, res.body.id));
      expect(res.body.id).toMatch(/^\d+$/);
      meetingId = res.body.id;
    });

    it("GET /booking/meetings: 200 and the documented list", async () => {
      for (const [prefix, token] of [
        ["/booking", johnToken],
        ["/api/booking", janeToken],
      ] as const) {
        const res = await rest(t.url, "GET", `${prefix}/meetings`, { token });
        expect(res.status, res.text).toBe(200);
        expect(shapeOf(res.body)).toEqual(shapeOf([MEETING]));
        expect(res.body).toEqual([meetingOf(MEETING, meetingId)]);
      }
    });

    it("GET /booking/meetings/:id: 200 and the documented meeting", async () => {
      for (const prefix of PREFIXES) {
        const res = await rest(t.url, "GET", `${prefix}/meetings/${meetingId}`, { token: johnToken });
        expect(res.status, res.text).toBe(200);
        expect(res.body).toEqual(meetingOf(MEETING, meetingId));
      }
    });

    it("PUT /booking/meetings/:id: 200 and the documented updated meeting (the therapist confirms and moves it)", async () => {
      setClock("2024-01-01T12:30:00.000Z");
      const res = await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
        token: janeToken,
        body: UPDATE_MEETING_REQUEST,
      });
      expect(res.status, res.text).toBe(200);
      expect(shapeOf(res.body)).toEqual(shapeOf(UPDATED_MEETING));
      expect(res.body).toEqual(meetingOf(UPDATED_MEETING, meetingId));
    });

    it("DELETE /booking/meetings/:id/cancel: 200 and the documented cancelled meeting", async () => {
      setClock("2024-01-01T12:00:00.000Z");
      const booked = await rest(t.url, "POST", "/api/booking/meetings", {
        token: johnToken,
        body: { ...CREATE_MEETING_REQUEST, therapistId: String(jane.id) },
      });
      expect(booked.status, booked.text).toBe(201);
      cancelledMeetingId = booked.body.id;
      setClock("2024-01-01T12:45:00.000Z");
      const res = await rest(t.url, "DELETE", `/booking/meetings/${cancelledMeetingId}/cancel`, { token: johnToken });
      expect(res.status, res.text).toBe(200);
      expect(shapeOf(res.body)).toEqual(shapeOf(CANCELLED_MEETING));
      expect(res.body).toEqual(meetingOf(CANCELLED_MEETING, cancelledMeetingId));
    });

    it("the documented conflict scenario: 14:30 for 60 minutes next to a 14:00 meeting is 400", async () => {
      setClock("2024-01-01T12:00:00.000Z");
      const first = await rest(t.url, "POST", "/booking/meetings", {
        token: johnToken,
        body: { startTime: "2024-01-15T14:00:00.000Z", duration: 60, therapistId: String(jane.id) },
      });
      expect(first.status, first.text).toBe(201);
      expect(first.body).toMatchObject({ title: null, description: null, meetingType: "video", duration: 60 });
      const conflicting = await rest(t.url, "POST", "/booking/meetings", {
        token: johnToken,
        body: { startTime: "2024-01-15T14:30:00.000Z", duration: 60, therapistId: String(jane.id) },
      });
      expect(conflicting.status, conflicting.text).toBe(400);
      expect(conflicting.body).toEqual({
        statusCode: 400,
        message: expect.stringMatching(/conflict/i),
        error: "Bad Request",
      });
    });
  });

  describe("Available Time Slots", () => {
    let therapist: UserRow;
    beforeAll(async () => {
      setClock("2024-01-01T12:00:00.000Z");
      therapist = await makeUser(t.database, tenant, "PROVIDER");
      const rule = await rest(t.url, "POST", "/booking/availability", {
        token: await t.token(therapist, tenant),
        body: { dayOfWeek: 1, startTime: "09:00", endTime: "17:00" },
      });
      expect(rule.status, rule.text).toBe(201);
      // The rest of the day is taken: the example's three starts are what is left.
      const someoneElse = await makeUser(t.database, tenant, "CLIENT");
      await makeSession(t.database, tenant, {
        providerId: therapist.id,
        clientId: someoneElse.id,
        startsAt: new Date("2024-01-15T10:30:00Z"),
        endsAt: new Date("2024-01-15T17:00:00Z"),
      });
    });

    it.each(PREFIXES)("GET %s/slots?therapistId=&date=2024-01-15: 200 and the documented slots", async (prefix) => {
      const res = await rest(t.url, "GET", `${prefix}/slots?therapistId=${therapist.id}&date=2024-01-15`, {
        token: janeToken,
      });
      expect(res.status, res.text).toBe(200);
      expect(shapeOf(res.body)).toEqual(shapeOf(SLOTS));
      expect(res.body).toEqual(SLOTS);
    });

    it("Empty Response: [] when no slots are available", async () => {
      const res = await rest(t.url, "GET", `/booking/slots?therapistId=${therapist.id}&date=2024-01-16`, {
        token: johnToken,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual([]);
    });
  });

  describe("the shim and GraphQL agree on the same records", () => {
    it("a meeting: same id, therapist, client, times and status", async () => {
      const rest_ = await rest(t.url, "GET", `/booking/meetings/${meetingId}`, { token: johnToken });
      const { data, errors } = await t.gql(
        `query($id: ID!) { session(id: $id) { id startsAt endsAt durationMinutes status modality title provider { id } client { id } } }`,
        { id: meetingId },
        johnToken,
      );
      expect(errors).toBeUndefined();
      const s = data!.session;
      expect(s.id).toBe(rest_.body.id);
      expect(s.provider.id).toBe(rest_.body.therapistId);
      expect(s.client.id).toBe(rest_.body.clientId);
      expect(s.startsAt).toBe(rest_.body.startTime);
      expect(new Date(s.endsAt).getTime() - new Date(s.startsAt).getTime()).toBe(rest_.body.duration * 60_000);
      expect(s.durationMinutes).toBe(rest_.body.duration);
      expect(s.status).toBe(rest_.body.status);
      expect(s.modality).toBe("VIDEO");
      expect(s.title).toBe(rest_.body.title);
    });

    it("availability: the same rules with the same ids and hours", async () => {
      const rules = await rest(t.url, "GET", "/booking/availability", { token: janeToken });
      const { data, errors } = await t.gql(
        `{ availabilityRules { id dayOfWeek startTime endTime isAvailable notes } }`,
        {},
        janeToken,
      );
      expect(errors).toBeUndefined();
      expect(data!.availabilityRules).toEqual(
        rules.body.map((r: typeof AVAILABILITY) => ({
          id: r.id,
          dayOfWeek: r.dayOfWeek,
          startTime: r.startTime,
          endTime: r.endTime,
          isAvailable: r.isAvailable,
          notes: r.notes,
        })),
      );
    });

    it("slots: the same starts and durations as availableSlots", async () => {
      const slots = await rest(t.url, "GET", `/booking/slots?therapistId=${jane.id}&date=2024-01-15`, {
        token: johnToken,
      });
      expect(slots.status, slots.text).toBe(200);
      expect(slots.body.length).toBeGreaterThan(0);
      const { data, errors } = await t.gql(
        `query($p: ID!) { availableSlots(providerId: $p, from: "2024-01-15") { date slots { startsAt availableDurations } } }`,
        { p: String(jane.id) },
        johnToken,
      );
      expect(errors).toBeUndefined();
      expect(data!.availableSlots[0].slots).toEqual(
        slots.body.map((s: (typeof SLOTS)[number]) => ({
          startsAt: s.startTime,
          availableDurations: s.availableDurations.map((d) => d.duration),
        })),
      );
    });
  });
});
