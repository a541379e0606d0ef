/**
 * The error cases of ../shared/legacy-api/booking.md, each in NestJS's envelope
 * {"statusCode", "message", "error"}: validation (ValidationPipe: a list of messages), relationship
 * (403), therapist not found (404), conflicts / availability / past times (400), final meetings
 * (400), therapists-only availability (401), overlapping availability (400), and bad input of
 * every kind (never a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { openAllWeek, snapshot } from "../sessions/sessions.fixture.js";
import { expectNestError, expectValidationError, PREFIXES } from "./booking.fixture.js";

/** Sunday 2030-01-06 12:00 UTC; the practice is in America/New_York; meetings go on Monday the 7th. */
const NOW = new Date("2030-01-06T12:00:00Z");
const monday = (hhmm: string) => `2030-01-07T${hhmm}:00.000Z`;

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let admin: string, therapist: string, client: string, otherClient: string, otherTenantClient: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  [admin, therapist, client, otherClient] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient].map((u) => t.token(u, p.tenant)),
  );
  otherTenantClient = await t.token(other.client, other.tenant);
  await openAllWeek(t, p.tenant, p.provider);
});
afterAll(() => t.close());

const book = (body: unknown, token = client, prefix = "/booking") =>
  rest(t.url, "POST", `${prefix}/meetings`, { token, body });
const meetingBody = (startTime: string, extra: Record<string, unknown> = {}) => ({
  startTime,
  duration: 60,
  therapistId: String(p.provider.id),
  ...extra,
});

describe(`booking errors (${engine})`, () => {
  describe("every route, both prefixes", () => {
    it.each(PREFIXES)("%s: no token is 401 in NestJS's envelope", async (prefix) => {
      expectNestError(await rest(t.url, "GET", `${prefix}/meetings`), 401, "Unauthorized");
      expectNestError(await rest(t.url, "GET", `${prefix}/meetings`, { token: "not-a-jwt" }), 401, "Unauthorized");
    });

    it.each(PREFIXES)("%s: an unknown route is NestJS's 404 'Cannot <METHOD> <path>'", async (prefix) => {
      expectNestError(
        await rest(t.url, "GET", `${prefix}/nope`, { token: client }),
        404,
        "Not Found",
        `Cannot GET ${prefix}/nope`,
      );
      expectNestError(
        await rest(t.url, "PATCH", `${prefix}/meetings/1`, { token: client, body: {} }),
        404,
        "Not Found",
        `Cannot PATCH ${prefix}/meetings/1`,
      );
    });

    it("malformed JSON, an empty JSON body and a missing body are 400, never 500", async () => {
      const malformed = await rest(t.url, "POST", "/booking/meetings", {
        token: client,
        rawBody: '{"startTime": ',
        headers: { "content-type": "application/json" },
      });
      expectNestError(malformed, 400, "Bad Request");
      expect(typeof malformed.body.message).toBe("string");
      expectNestError(
        await rest(t.url, "POST", "/booking/meetings", {
          token: client,
          rawBody: "",
          headers: { "content-type": "application/json" },
        }),
        400,
        "Bad Request",
      );
      expectValidationError(await rest(t.url, "POST", "/booking/availability", { token: therapist }), [
        "request body must be an object",
      ]);
      expectValidationError(await rest(t.url, "PUT", "/api/booking/meetings/1", { token: client, body: [1, 2] }), [
        "request body must be an object",
      ]);
    });
  });

  describe("POST /booking/meetings", () => {
    it("ValidationPipe: every bad field listed at once", async () => {
      expectValidationError(await book({}), [
        "startTime should not be empty",
        "duration should not be empty",
        "therapistId should not be empty",
      ]);
      expectValidationError(
        await book({
          startTime: "tomorrow",
          duration: 45,
          therapistId: "",
          meetingType: "phone",
          status: "DONE",
          title: { a: 1 },
        }),
        [
          "startTime must be a valid ISO 8601 date string",
          "duration must be one of the following values: 30, 60, 90, 120",
          "therapistId should not be empty",
          "meetingType must be one of the following values: video, audio, in_person, chat",
          "status must be one of the following values: SCHEDULED, CONFIRMED, COMPLETED, CANCELLED, NO_SHOW",
          "title must be a string",
        ],
      );
      expectValidationError(await book(meetingBody(monday("14:00"), { duration: "sixty" })), [
        "duration must be an integer number",
        "duration must be one of the following values: 30, 60, 90, 120",
      ]);
    });

    it("a start that is no real instant (Feb 30, a local time skipped by DST) is a validation error", async () => {
      expectValidationError(await book(meetingBody("2030-02-30T10:00:00Z")), [
        "startTime must be a valid ISO 8601 date string",
      ]);
      // 2030-03-10 02:30 does not exist in New York (clocks jump from 02:00 to 03:00).
      expectValidationError(await book(meetingBody("2030-03-10T02:30:00")), [
        "startTime must be a valid ISO 8601 date string",
      ]);
    });

    it("a naive local start is the therapist's wall-clock time; the answer is in UTC", async () => {
      const res = await book(meetingBody("2030-01-07T09:00:00", { meetingType: "audio" }));
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({
        startTime: monday("14:00"),
        duration: 60,
        meetingType: "audio",
        status: "SCHEDULED",
      });
      expect((await rest(t.url, "DELETE", `/booking/meetings/${res.body.id}/cancel`, { token: client })).status).toBe(
        200,
      );
    });

    it("404 Therapist not found: unknown, malformed, not a therapist, another tenant's", async () => {
      for (const therapistId of [
        "therapist_456",
        "99999999",
        "99999999999999",
        String(p.client.id),
        String(other.provider.id),
      ]) {
        expectNestError(
          await book(meetingBody(monday("14:00"), { therapistId })),
          404,
          "Not Found",
          "Therapist not found",
        );
      }
    });

    it("403 without a relationship with the therapist; nothing is written", async () => {
      const before = await snapshot(t, p.tenant);
      expectNestError(await book(meetingBody(monday("14:00")), otherClient), 403, "Forbidden", /in care with/);
      expect(await snapshot(t, p.tenant)).toEqual(before);
    });

    it("403 for callers who are not clients (booking is the client's action)", async () => {
      expectNestError(
        await book(meetingBody(monday("14:00")), therapist),
        403,
        "Forbidden",
        "Only clients can book meetings",
      );
      expectNestError(
        await book(meetingBody(monday("14:00")), admin),
        403,
        "Forbidden",
        "Only clients can book meetings",
      );
    });

    it("400 for a time in the past", async () => {
      expectNestError(
        await book(meetingBody("2030-01-06T11:00:00.000Z")),
        400,
        "Bad Request",
        "startTime must not be in the past",
      );
    });

    it("400 when the therapist is not available at the requested time", async () => {
      const busyTherapist = await makeUser(t.database, p.tenant, "PROVIDER");
      await relate(t.database, p.tenant, busyTherapist, p.client);
      expectNestError(
        await book(meetingBody(monday("14:00"), { therapistId: String(busyTherapist.id) })),
        400,
        "Bad Request",
        "the therapist is not available at the requested time",
      );
    });

    it("400 for a scheduling conflict (the document answers conflicts with 400, not 409)", async () => {
      const first = await book(meetingBody(monday("15:00")));
      expect(first.status, first.text).toBe(201);
      expectNestError(await book(meetingBody(monday("15:30"))), 400, "Bad Request", /conflict/i);
      expect((await rest(t.url, "DELETE", `/booking/meetings/${first.body.id}/cancel`, { token: client })).status).toBe(
        200,
      );
    });

    it("an initial status follows the state machine and the roles: a client cannot confirm, and nothing stays booked", async () => {
      const before = await snapshot(t, p.tenant);
      expectNestError(await book(meetingBody(monday("16:00"), { status: "CONFIRMED" })), 403, "Forbidden");
      expect(await snapshot(t, p.tenant)).toEqual(before);
    });
  });

  describe("GET, PUT and DELETE /booking/meetings/:id", () => {
    let meetingId: string;
    beforeAll(async () => {
      const res = await book(meetingBody(monday("18:00")));
      expect(res.status, res.text).toBe(201);
      meetingId = res.body.id;
    });

    it("404 Meeting not found: unknown, not a number, out of range, another tenant's, another kind of record", async () => {
      const otherTenantMeeting = await makeSession(t.database, other.tenant, {
        providerId: other.provider.id,
        clientId: other.client.id,
        startsAt: new Date(monday("10:00")),
        endsAt: new Date(monday("11:00")),
      });
      for (const id of [
        "99999999",
        "meeting_789",
        "99999999999999",
        "-1",
        String(otherTenantMeeting.id),
        String(p.provider.id),
      ]) {
        expectNestError(
          await rest(t.url, "GET", `/booking/meetings/${id}`, { token: admin }),
          404,
          "Not Found",
          "Meeting not found",
        );
        expectNestError(
          await rest(t.url, "PUT", `/booking/meetings/${id}`, { token: admin, body: { title: "x" } }),
          404,
          "Not Found",
          "Meeting not found",
        );
        expectNestError(
          await rest(t.url, "DELETE", `/api/booking/meetings/${id}/cancel`, { token: admin }),
          404,
          "Not Found",
          "Meeting not found",
        );
      }
      // The same id is a meeting for its own tenant: the 404 above is tenancy, not a bad id.
      const own = await rest(t.url, "GET", `/booking/meetings/${otherTenantMeeting.id}`, { token: otherTenantClient });
      expect(own.status, own.text).toBe(200);
      expect(own.body.id).toBe(String(otherTenantMeeting.id));
    });

    it("403 for a meeting of someone else", async () => {
      expectNestError(
        await rest(t.url, "GET", `/booking/meetings/${meetingId}`, { token: otherClient }),
        403,
        "Forbidden",
      );
      expectNestError(
        await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, { token: otherClient, body: { duration: 30 } }),
        403,
        "Forbidden",
      );
      expectNestError(
        await rest(t.url, "DELETE", `/booking/meetings/${meetingId}/cancel`, { token: otherClient }),
        403,
        "Forbidden",
      );
    });

    it("PUT: ValidationPipe messages for bad fields", async () => {
      expectValidationError(
        await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
          token: therapist,
          body: { duration: 45, startTime: "2030-01-07 18:00", status: "done" },
        }),
        [
          "duration must be one of the following values: 30, 60, 90, 120",
          "startTime must be a valid ISO 8601 date string",
          "status must be one of the following values: SCHEDULED, CONFIRMED, COMPLETED, CANCELLED, NO_SHOW",
        ],
      );
    });

    it("PUT: a client may only reschedule or cancel (403 for other fields); the therapist may hand over only to a therapist (404 otherwise)", async () => {
      expectNestError(
        await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, { token: client, body: { title: "Mine" } }),
        403,
        "Forbidden",
      );
      const swapped = await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
        token: therapist,
        body: { therapistId: String(p.admin.id) },
      });
      // Reassigning is one rule (reassignSession): an admin is no therapist to hand a meeting to.
      expectNestError(swapped, 404, "Not Found", "Therapist not found");
      const same = await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
        token: therapist,
        body: { therapistId: String(p.provider.id), meetingType: "chat" },
      });
      expect(same.status, same.text).toBe(200);
      expect(same.body.meetingType).toBe("chat");
    });

    it("PUT: rescheduling is validated like booking (past, conflict) and the client's move must fit availability", async () => {
      expectNestError(
        await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
          token: client,
          body: { startTime: "2030-01-05T18:00:00Z" },
        }),
        400,
        "Bad Request",
        "startTime must not be in the past",
      );
      const blocker = await book(meetingBody(monday("20:00")));
      expect(blocker.status, blocker.text).toBe(201);
      expectNestError(
        await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
          token: client,
          body: { startTime: monday("19:30") },
        }),
        400,
        "Bad Request",
        /conflict/i,
      );
      const moved = await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
        token: client,
        body: { startTime: monday("21:00"), duration: 30 },
      });
      expect(moved.status, moved.text).toBe(200);
      expect(moved.body).toMatchObject({ startTime: monday("21:00"), duration: 30 });
    });

    it("400: completed and cancelled meetings cannot be updated or cancelled", async () => {
      const completed = await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, {
        token: therapist,
        body: { status: "COMPLETED" },
      });
      expect(completed.status, completed.text).toBe(200);
      expect(completed.body.status).toBe("COMPLETED");
      expectNestError(
        await rest(t.url, "PUT", `/booking/meetings/${meetingId}`, { token: therapist, body: { title: "Later" } }),
        400,
        "Bad Request",
        /completed/,
      );
      expectNestError(
        await rest(t.url, "DELETE", `/booking/meetings/${meetingId}/cancel`, { token: client }),
        400,
        "Bad Request",
        /completed/,
      );

      const another = await book(meetingBody(monday("23:00"), { duration: 30 }));
      expect(another.status, another.text).toBe(201);
      expect(
        (await rest(t.url, "DELETE", `/booking/meetings/${another.body.id}/cancel`, { token: client })).status,
      ).toBe(200);
      expectNestError(
        await rest(t.url, "DELETE", `/booking/meetings/${another.body.id}/cancel`, { token: client }),
        400,
        "Bad Request",
        /already cancelled/,
      );
      expectNestError(
        await rest(t.url, "PUT", `/booking/meetings/${another.body.id}`, {
          token: client,
          body: { startTime: monday("23:30") },
        }),
        400,
        "Bad Request",
        /cancelled/,
      );
    });
  });

  describe("availability (therapists only)", () => {
    const createRule = (body: unknown, token = therapist) =>
      rest(t.url, "POST", "/booking/availability", { token, body });

    it("401 for clients and admins on every availability route, as documented", async () => {
      for (const token of [client, admin]) {
        expectNestError(
          await createRule({ dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }, token),
          401,
          "Unauthorized",
          "Only therapists can manage availability",
        );
        expectNestError(
          await rest(t.url, "GET", "/api/booking/availability", { token }),
          401,
          "Unauthorized",
          "Only therapists can manage availability",
        );
        expectNestError(
          await rest(t.url, "PUT", "/booking/availability/1", { token, body: { notes: "x" } }),
          401,
          "Unauthorized",
        );
        expectNestError(await rest(t.url, "DELETE", "/booking/availability/1", { token }), 401, "Unauthorized");
      }
    });

    it("ValidationPipe messages: HH:MM, day of week, types", async () => {
      expectValidationError(await createRule({}), [
        "dayOfWeek should not be empty",
        "startTime should not be empty",
        "endTime should not be empty",
      ]);
      expectValidationError(await createRule({ dayOfWeek: 7, startTime: "9am", endTime: "24:00", notes: 5 }), [
        "dayOfWeek must not be greater than 6",
        "startTime must be a time in HH:MM format (24-hour)",
        "endTime must be a time in HH:MM format (24-hour)",
      ]);
      expectValidationError(await createRule({ dayOfWeek: -1, startTime: "09:00", endTime: "10:00" }), [
        "dayOfWeek must not be less than 0",
      ]);
      expectValidationError(await createRule({ dayOfWeek: 1.5, startTime: "09:00", endTime: "10:00" }), [
        "dayOfWeek must be an integer number",
      ]);
    });

    it("400 when the start is not before the end, and for an overlapping slot on the same day", async () => {
      expectNestError(
        await createRule({ dayOfWeek: 3, startTime: "17:00", endTime: "09:00" }),
        400,
        "Bad Request",
        /endTime \(09:00\) must be after startTime \(17:00\)/,
      );
      // openAllWeek gave the therapist 00:00-23:59 every day.
      expectNestError(
        await createRule({ dayOfWeek: 3, startTime: "09:00", endTime: "10:00" }),
        400,
        "Bad Request",
        /overlaps availability slot/,
      );
    });

    describe("PUT and DELETE /booking/availability/:id", () => {
      let ruleId: string;
      let colleague: string;
      beforeAll(async () => {
        const colleagueUser = await makeUser(t.database, p.tenant, "PROVIDER");
        colleague = await t.token(colleagueUser, p.tenant);
        const created = await createRule({ dayOfWeek: 2, startTime: "09:00", endTime: "12:00" }, colleague);
        expect(created.status, created.text).toBe(201);
        ruleId = created.body.id;
      });

      it("403: only their own slots", async () => {
        expectNestError(
          await rest(t.url, "PUT", `/booking/availability/${ruleId}`, { token: therapist, body: { notes: "mine" } }),
          403,
          "Forbidden",
          /own availability/,
        );
        expectNestError(
          await rest(t.url, "DELETE", `/booking/availability/${ruleId}`, { token: therapist }),
          403,
          "Forbidden",
          /own availability/,
        );
      });

      it("404 Availability slot not found: unknown, malformed, another tenant's, a meeting's id", async () => {
        const otherTenantTherapist = await t.token(other.provider, other.tenant);
        const foreign = await createRule({ dayOfWeek: 2, startTime: "09:00", endTime: "12:00" }, otherTenantTherapist);
        expect(foreign.status, foreign.text).toBe(201);
        const meeting = await book(meetingBody(monday("22:00"), { duration: 30 }));
        for (const id of ["99999999", "avail_123", "99999999999999", foreign.body.id, meeting.body.id]) {
          expectNestError(
            await rest(t.url, "PUT", `/booking/availability/${id}`, { token: colleague, body: { notes: "x" } }),
            404,
            "Not Found",
            "Availability slot not found",
          );
          expectNestError(
            await rest(t.url, "DELETE", `/booking/availability/${id}`, { token: colleague }),
            404,
            "Not Found",
            "Availability slot not found",
          );
        }
      });

      it("PUT: validation, overlap on the new day, and a partial change validated as a whole", async () => {
        expectValidationError(
          await rest(t.url, "PUT", `/booking/availability/${ruleId}`, {
            token: colleague,
            body: { isAvailable: "maybe", endTime: "7pm" },
          }),
          ["endTime must be a time in HH:MM format (24-hour)", "isAvailable must be a boolean value"],
        );
        expectNestError(
          await rest(t.url, "PUT", `/booking/availability/${ruleId}`, { token: colleague, body: { endTime: "08:00" } }),
          400,
          "Bad Request",
          /must be after startTime/,
        );
        const second = await createRule({ dayOfWeek: 4, startTime: "09:00", endTime: "12:00" }, colleague);
        expect(second.status, second.text).toBe(201);
        expectNestError(
          await rest(t.url, "PUT", `/booking/availability/${ruleId}`, {
            token: colleague,
            body: { dayOfWeek: 4, startTime: "11:00", endTime: "13:00" },
          }),
          400,
          "Bad Request",
          /overlaps/,
        );
        const parked = await rest(t.url, "PUT", `/booking/availability/${ruleId}`, {
          token: colleague,
          body: { isAvailable: false, notes: null },
        });
        expect(parked.status, parked.text).toBe(200);
        expect(parked.body).toMatchObject({
          isAvailable: false,
          notes: null,
          dayOfWeek: 2,
          startTime: "09:00",
          endTime: "12:00",
        });
      });
    });
  });

  describe("GET /booking/slots", () => {
    it("ValidationPipe: both parameters required, date YYYY-MM-DD", async () => {
      expectValidationError(await rest(t.url, "GET", "/booking/slots", { token: client }), [
        "therapistId should not be empty",
        "date should not be empty",
      ]);
      expectValidationError(
        await rest(t.url, "GET", `/booking/slots?therapistId=${p.provider.id}&date=2030-02-30`, { token: client }),
        ["date must be a valid date in YYYY-MM-DD format"],
      );
      expectValidationError(
        await rest(t.url, "GET", `/booking/slots?therapistId=${p.provider.id}&date=07/01/2030`, { token: client }),
        ["date must be a valid date in YYYY-MM-DD format"],
      );
    });

    it("404 Therapist not found: unknown, malformed, a client, another tenant's", async () => {
      for (const therapistId of ["therapist_456", "99999999", String(p.client.id), String(other.provider.id)]) {
        expectNestError(
          await rest(t.url, "GET", `/booking/slots?therapistId=${therapistId}&date=2030-01-07`, { token: client }),
          404,
          "Not Found",
          "Therapist not found",
        );
      }
    });

    it("[] for a therapist without availability, and for a day in the past", async () => {
      const idle = await makeUser(t.database, p.tenant, "PROVIDER");
      for (const [therapistId, date] of [
        [idle.id, "2030-01-07"],
        [p.provider.id, "2030-01-01"],
      ]) {
        const res = await rest(t.url, "GET", `/booking/slots?therapistId=${therapistId}&date=${date}`, {
          token: client,
        });
        expect(res.status, res.text).toBe(200);
        expect(res.body).toEqual([]);
      }
    });
  });

  it("GET /openapi.json documents both prefixes with distinct operationIds and summaries", async () => {
    const { body } = await rest(t.url, "GET", "/openapi.json");
    const operations = Object.entries(
      body.paths as Record<string, Record<string, { operationId: string; summary: string; tags: string[] }>>,
    )
      .filter(([path]) => /^\/(api\/)?booking\//.test(path))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, ...op })));
    const routes = operations.map((o) => `${o.method.toUpperCase()} ${o.path}`);
    for (const prefix of PREFIXES) {
      for (const route of [
        "POST /meetings",
        "GET /meetings",
        "GET /meetings/{id}",
        "PUT /meetings/{id}",
        "DELETE /meetings/{id}/cancel",
        "POST /availability",
        "GET /availability",
        "PUT /availability/{id}",
        "DELETE /availability/{id}",
        "GET /slots",
      ]) {
        const [method, path] = route.split(" ");
        expect(routes).toContain(`${method} ${prefix}${path}`);
      }
    }
    expect(operations).toHaveLength(20);
    expect(new Set(operations.map((o) => o.operationId)).size).toBe(20);
    expect(new Set(operations.map((o) => o.summary)).size).toBe(20);
    for (const o of operations) expect(o.tags).toEqual(["booking"]);
  });
});
