/**
 * Errors carry a reason, and no shim reads a message (issue 15): every legacy format translates
 * the reason and the structured details of a failure (field errors as Words, the entity of a
 * NOT_FOUND, a denial, the conflicting session's start) into its documented shape, and words
 * messages with its own Vocabulary. Part one renders Words with each shim's vocabulary and
 * answers every reason with every format (a compile-time list of all reasons); part two drives,
 * over real HTTP, a conflict, a not-found, a denial, a validation error and an infrastructure
 * failure (text PostgreSQL cannot store) through each shim.
 */
import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  badFields,
  badInput,
  conflict,
  DomainError,
  field,
  fieldError,
  hiddenFromCaller,
  instant,
  noun,
  notFound,
  render,
  words,
  type ErrorReason,
} from "../../src/errors.js";
import { BOOKING_VOCABULARY, nestErrorFormat } from "../../src/rest/booking/errors.js";
import { drfErrorFormat } from "../../src/rest/drf.js";
import { speakLocalTimes } from "../../src/rest/fitness/convert.js";
import { fitnessError, fitnessVocabulary } from "../../src/rest/fitness/errors.js";
import { problemOf, type ErrorFormat, type Problem, type ProblemReason } from "../../src/rest/shim.js";
import { ginErrorFormat, TREATMENT_VOCABULARY } from "../../src/rest/treatment-details/envelope.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { openAllWeek } from "../sessions/sessions.fixture.js";

/**
 * Every reason a format must answer. `satisfies` makes this list complete at compile time: a
 * reason added to REASON_CODES (src/errors.ts) or to the transport's kinds fails the typecheck
 * here until it is listed, and each format's own `unreachable` default until it is handled.
 */
const EVERY_REASON = {
  SESSION_OVERLAP: true,
  SLOT_HELD: true,
  SESSION_FULL: true,
  PLAN_SESSION_LIMIT: true,
  PLAN_EXPIRED: true,
  HOLD_EXPIRED: true,
  ALREADY_JOINED: true,
  GROUP_CLOSED: true,
  CALENDAR_FEED_EXISTS: true,
  VALIDATION: true,
  ENDS_BEFORE_START: true,
  INVALID_TRANSITION: true,
  INVALID_RECURRENCE: true,
  INVALID_CURSOR: true,
  OUTSIDE_AVAILABILITY: true,
  MIN_NOTICE: true,
  IN_THE_PAST: true,
  NOT_IN_CARE: true,
  OTHER_CLIENTS_PLAN: true,
  BOOKED_BEYOND_AUTHORIZATION: true,
  HAS_RECORDS: true,
  UNSTORABLE_TEXT: true,
  URL_REFUSED: true,
  TOO_MUCH_WORK: true,
  NOT_FOUND: true,
  FORBIDDEN: true,
  TENANT_MISMATCH: true,
  UNAUTHENTICATED: true,
  UNAVAILABLE: true,
  STATEMENT_TIMEOUT: true,
  DEADLINE_EXCEEDED: true,
  ROUTE_NOT_FOUND: true,
  INVALID_BODY: true,
  RATE_LIMITED: true,
  INTERNAL: true,
} as const satisfies Record<ProblemReason, true>;

const TRANSPORT = new Set<ProblemReason>(["ROUTE_NOT_FOUND", "INVALID_BODY", "RATE_LIMITED", "INTERNAL"]);

/** Just what the formats read of a request. */
const fakeRequest = (
  values: Partial<{ method: string; url: string; headers: Record<string, string>; body: unknown }> = {},
) =>
  ({
    method: "POST",
    url: "/x",
    headers: { authorization: "Bearer token" },
    body: {},
    routeOptions: {},
    ...values,
  }) as unknown as FastifyRequest;

function problemOfReason(reason: ProblemReason): Problem {
  if (!TRANSPORT.has(reason)) return problemOf(new DomainError(reason as ErrorReason, "Something went wrong"));
  const status = { ROUTE_NOT_FOUND: 404, INVALID_BODY: 400, RATE_LIMITED: 429, INTERNAL: 500 }[reason as "INTERNAL"];
  return {
    status,
    reason,
    code: reason as "INTERNAL",
    words: ["Something went wrong"],
    message: "Something went wrong",
    ...(reason === "INVALID_BODY" ? { bodyFault: "MALFORMED_JSON" as const } : {}),
  };
}

const FORMATS: Record<string, ErrorFormat> = {
  "DRF (sapphire)": drfErrorFormat({ nonField: "non_field_errors", fields: { startsAt: "start_time" } }),
  "DRF (psychologist video)": drfErrorFormat({ nonField: "detail" }),
  "NestJS (booking)": nestErrorFormat,
  "Flask (fitness)": fitnessError,
  "Gin (treatment details)": ginErrorFormat,
};

describe("each shim's vocabulary renders the services' Words", () => {
  const message = words`${field("startsAt")} of the ${noun("session")} with ${noun("provider")} ${field("providerId")} (${field("durationMinutes")} min) must not overlap an ${noun("availability rule")} at ${instant(new Date("2030-01-07T15:00:00Z"))}`;

  it("GraphQL (no vocabulary): as the services write it", () => {
    expect(render(message)).toBe(
      "startsAt of the session with provider providerId (durationMinutes min) must not overlap an availability rule at 2030-01-07T15:00:00.000Z",
    );
  });

  it("booking: meetings, therapists, availability slots and the fields the client sent", () => {
    expect(render(message, BOOKING_VOCABULARY)).toBe(
      "startTime of the meeting with therapist therapistId (duration min) must not overlap an availability slot at 2030-01-07T15:00:00.000Z",
    );
    expect(render(words`${noun("Session")}s and ${noun("AvailabilityRule")}`, BOOKING_VOCABULARY)).toBe(
      "Meetings and Availability slot",
    );
  });

  it("fitness: its field names, and instants as naive local times in the zone the handler named", () => {
    const request = fakeRequest();
    expect(render(message, fitnessVocabulary(request))).toContain(
      "scheduled_start of the session with provider trainer_id (durationMinutes min)",
    );
    expect(render(message, fitnessVocabulary(request))).toMatch(/at 2030-01-07T15:00:00.000Z$/);
    speakLocalTimes(request, "America/New_York");
    expect(render(message, fitnessVocabulary(request))).toMatch(/at 2030-01-07T10:00:00$/);
    expect(render(words`${field("to")} must not be before ${field("from")}`, fitnessVocabulary(request))).toBe(
      "end_date must not be before start_date",
    );
  });

  it("treatment details: a session is a treatment", () => {
    expect(
      render(words`${noun("Session")} 12 not found; the ${noun("session")} is cancelled`, TREATMENT_VOCABULARY),
    ).toBe("Treatment 12 not found; the treatment is cancelled");
  });
});

describe("every format answers every reason", () => {
  for (const [name, format] of Object.entries(FORMATS)) {
    it(`${name}: an error status and a body for each of the ${Object.keys(EVERY_REASON).length} reasons`, () => {
      for (const reason of Object.keys(EVERY_REASON) as ProblemReason[]) {
        const { status, body } = format(problemOfReason(reason), fakeRequest());
        expect([reason, status >= 400 && status < 600]).toEqual([reason, true]);
        expect(body).toBeTruthy();
      }
    });
  }
});

describe("details, not messages, decide the documented wording", () => {
  const request = () => fakeRequest({ method: "GET", url: "/booking/meetings/7" });

  it("NOT_FOUND is worded from details.entity by the booking and treatment-details APIs", () => {
    expect(nestErrorFormat(problemOf(notFound("Provider")), request()).body).toMatchObject({
      statusCode: 404,
      message: "Therapist not found",
    });
    expect(nestErrorFormat(problemOf(notFound("Session")), request()).body).toMatchObject({
      statusCode: 404,
      message: "Meeting not found",
    });
    expect(nestErrorFormat(problemOf(notFound("AvailabilityRule")), request()).body).toMatchObject({
      statusCode: 404,
      message: "Availability slot not found",
    });
    expect(ginErrorFormat(problemOf(notFound("Session")), request())).toEqual({
      status: 404,
      body: { status: "error", message: "Treatment not found", error: null },
    });
    expect(ginErrorFormat(problemOf(notFound("Treatment detail")), request())).toEqual({
      status: 404,
      body: { status: "error", message: "Treatment detail not found", error: null },
    });
  });

  it("another's session (hiddenFromCaller): 403 in the booking and fitness documents, 404 in DRF and Gin", () => {
    const hidden = () => problemOf(hiddenFromCaller("Session"));
    expect(nestErrorFormat(hidden(), request())).toEqual({
      status: 403,
      body: { statusCode: 403, message: "No access to this meeting", error: "Forbidden" },
    });
    expect(fitnessError(hidden(), request())).toEqual({
      status: 403,
      body: { success: false, error: "You do not have permission to view this session" },
    });
    expect(FORMATS["DRF (sapphire)"](hidden(), request())).toEqual({ status: 404, body: { detail: "Not found." } });
    expect(ginErrorFormat(hidden(), request()).status).toBe(404);
  });

  it("fitness: ENDS_BEFORE_START on endsAt is the document's sentence; other fields in its vocabulary", () => {
    const backwards = badFields({
      endsAt: fieldError(words`${field("endsAt")} must be after ${field("startsAt")}`, "ENDS_BEFORE_START"),
    });
    expect(fitnessError(problemOf(backwards), request())).toEqual({
      status: 400,
      body: {
        success: false,
        error: "Validation failed",
        errors: { scheduled_end: "Scheduled end time must be after start time" },
      },
    });
    const actual = badInput(
      "actualEnd",
      words`${field("actualEnd")} must be after ${field("actualStart")}`,
      "ENDS_BEFORE_START",
    );
    expect(fitnessError(problemOf(actual), request()).body).toEqual({
      success: false,
      error: "Validation failed",
      errors: { actual_end: "actual_end must be after actual_start" },
    });
  });

  it("a conflict's instant: the fitness API in the trainer's local time, 409; booking 400 in ISO; DRF a non-field error", () => {
    const startsAt = new Date("2030-01-07T15:00:00Z");
    const clash = () =>
      problemOf(
        conflict(
          "SESSION_OVERLAP",
          words`Scheduling conflict detected with ${noun("session")} "Squats" at ${instant(startsAt)}`,
          { conflictingSessionId: 5, conflictingStartsAt: startsAt },
        ),
      );
    expect(clash()).toMatchObject({
      reason: "SESSION_OVERLAP",
      status: 409,
      conflictingSessionId: 5,
      conflictingStartsAt: startsAt,
    });
    const fitnessRequest = request();
    speakLocalTimes(fitnessRequest, "America/New_York");
    expect(fitnessError(clash(), fitnessRequest)).toEqual({
      status: 409,
      body: { success: false, error: 'Scheduling conflict detected with session "Squats" at 2030-01-07T10:00:00' },
    });
    expect(nestErrorFormat(clash(), request())).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        message: 'Scheduling conflict detected with meeting "Squats" at 2030-01-07T15:00:00.000Z',
        error: "Bad Request",
      },
    });
    expect(FORMATS["DRF (sapphire)"](clash(), request())).toEqual({
      status: 400,
      body: { non_field_errors: ['Scheduling conflict detected with session "Squats" at 2030-01-07T15:00:00.000Z'] },
    });
  });

  it("a body the server cannot read, by its structured fault (never by Fastify's text)", () => {
    const body = (bodyFault: Problem["bodyFault"], status = 400): Problem => ({
      status,
      reason: "INVALID_BODY",
      code: "INVALID_BODY",
      words: ["Fastify's words"],
      message: "Fastify's words",
      bodyFault,
    });
    expect(fitnessError(body("EMPTY"), request()).body).toEqual({ success: false, error: "No data provided" });
    expect(fitnessError(body("MALFORMED_JSON"), request()).body).toEqual({
      success: false,
      error: "Failed to decode JSON object: Fastify's words",
    });
    expect(fitnessError(body("UNSUPPORTED_MEDIA_TYPE", 415), request()).status).toBe(415);
    expect(
      FORMATS["DRF (sapphire)"](
        body("UNSUPPORTED_MEDIA_TYPE", 415),
        fakeRequest({ headers: { "content-type": "text/plain" } }),
      ),
    ).toEqual({ status: 415, body: { detail: 'Unsupported media type "text/plain" in request.' } });
    expect(FORMATS["DRF (sapphire)"](body("TOO_LARGE", 413), request())).toEqual({
      status: 413,
      body: { detail: "Fastify's words" },
    });
  });
});

// ------------------------------------------------------------------ over real HTTP

/** Sunday 2030-01-06 12:00 UTC; the practice is in America/New_York. */
const NOW = new Date("2030-01-06T12:00:00Z");
const NUL_TEXT = "a\u0000b";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let tokens: { admin: string; provider: string; client: string; otherClient: string; otherTenantAdmin: string };
let foreignSessionId: number;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  await openAllWeek(t, p.tenant, p.provider);
  const [admin, provider, client, otherClient, otherTenantAdmin] = await Promise.all([
    t.token(p.admin, p.tenant),
    t.token(p.provider, p.tenant),
    t.token(p.client, p.tenant),
    t.token(p.otherClient, p.tenant),
    t.token(other.admin, other.tenant),
  ]);
  tokens = { admin, provider, client, otherClient, otherTenantAdmin };
  // A colleague's session with their own client: the caller's provider may not see it.
  const colleague = await makeUser(t.database, p.tenant, "PROVIDER");
  await relate(t.database, p.tenant, colleague, p.otherClient);
  foreignSessionId = (
    await makeSession(t.database, p.tenant, {
      providerId: colleague.id,
      clientId: p.otherClient.id,
      startsAt: new Date("2030-01-09T15:00:00Z"),
      endsAt: new Date("2030-01-09T16:00:00Z"),
    })
  ).id;
});
afterAll(() => t?.close());

const UNKNOWN_ID = 2_000_000_000;

describe(`each shim over HTTP (${engine})`, () => {
  it("booking (NestJS): conflict 400, not found from the entity, another's meeting 403, validation list, unstorable text 400", async () => {
    const book = (body: Record<string, unknown>, token = tokens.client) =>
      rest(t.url, "POST", "/booking/meetings", {
        token,
        body: { duration: 60, therapistId: String(p.provider.id), ...body },
      });
    const first = await book({ startTime: "2030-01-07T15:00:00.000Z", title: "First" });
    expect(first.status, first.text).toBe(201);

    const clash = await book({ startTime: "2030-01-07T15:30:00.000Z" });
    expect([clash.status, clash.body.statusCode, clash.body.error]).toEqual([400, 400, "Bad Request"]);
    expect(clash.body.message).toMatch(/conflict|no longer available/i);

    expect((await book({ startTime: "2030-01-07T18:00:00.000Z", therapistId: String(UNKNOWN_ID) })).body).toEqual({
      statusCode: 404,
      message: "Therapist not found",
      error: "Not Found",
    });
    expect((await rest(t.url, "GET", `/booking/meetings/${UNKNOWN_ID}`, { token: tokens.client })).body).toEqual({
      statusCode: 404,
      message: "Meeting not found",
      error: "Not Found",
    });
    expect(
      (await rest(t.url, "GET", `/booking/meetings/${first.body.id}`, { token: tokens.otherClient })).body,
    ).toEqual({ statusCode: 403, message: "No access to this meeting", error: "Forbidden" });

    const invalid = await book({ startTime: "tomorrow", duration: 45 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(
      expect.arrayContaining([
        "startTime must be a valid ISO 8601 date string",
        "duration must be one of the following values: 30, 60, 90, 120",
      ]),
    );

    const unstorable = await book({ startTime: "2030-01-07T20:00:00.000Z", title: NUL_TEXT });
    expect(unstorable.body).toEqual({
      statusCode: 400,
      message: "Text may not contain the NUL character (\\u0000)",
      error: "Bad Request",
    });
  });

  it("fitness (Flask): conflict 409, not found 404, another trainer's session 403, validation 400, unstorable text 400, unreadable bodies", async () => {
    const call = (method: string, path: string, body?: unknown) =>
      rest(t.url, method, `/api/v1/sessions${path}`, { token: tokens.provider, body });
    const create = (body: Record<string, unknown>) =>
      call("POST", "", {
        client_id: p.client.id,
        title: "Squats",
        scheduled_start: "2030-01-08T10:00:00",
        scheduled_end: "2030-01-08T11:00:00",
        ...body,
      });
    expect((await create({})).status).toBe(201);

    const clash = await create({ scheduled_start: "2030-01-08T10:30:00", scheduled_end: "2030-01-08T11:30:00" });
    expect(clash.status).toBe(409);
    expect(Object.keys(clash.body).sort()).toEqual(["error", "success"]);
    expect(clash.body.error).toMatch(/^Scheduling conflict detected with session "Squats" at /);

    expect(await call("GET", `/${UNKNOWN_ID}`).then((r) => [r.status, r.body])).toEqual([
      404,
      { success: false, error: "Session not found" },
    ]);
    expect(await call("GET", `/${foreignSessionId}`).then((r) => [r.status, r.body])).toEqual([
      403,
      { success: false, error: "You do not have permission to view this session" },
    ]);

    const invalid = await call("POST", "", { client_id: p.client.id, title: "No start" });
    expect([invalid.status, invalid.body.error, invalid.body.errors.scheduled_start]).toEqual([
      400,
      "Validation failed",
      "Scheduled start time is required",
    ]);

    const unstorable = await create({
      title: NUL_TEXT,
      scheduled_start: "2030-01-08T14:00:00",
      scheduled_end: "2030-01-08T15:00:00",
    });
    expect([unstorable.status, unstorable.body]).toEqual([
      400,
      { success: false, error: "Text may not contain the NUL character (\\u0000)" },
    ]);

    const empty = await rest(t.url, "POST", "/api/v1/sessions", {
      token: tokens.provider,
      rawBody: "",
      headers: { "content-type": "application/json" },
    });
    expect([empty.status, empty.body]).toEqual([400, { success: false, error: "No data provided" }]);
    const malformed = await rest(t.url, "POST", "/api/v1/sessions", {
      token: tokens.provider,
      rawBody: '{"title": ',
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/^Failed to decode JSON object: /);
  });

  it("sapphire (DRF): conflict non_field_errors 400, unknown or another's session 404 Not found., required fields, unstorable text 400", async () => {
    const create = (body: Record<string, unknown>) =>
      rest(t.url, "POST", "/sapphire/scheduler/sessions/", {
        token: tokens.provider,
        body: {
          client: p.client.id,
          staff: p.provider.id,
          session_date: "2030-01-10",
          start_time: "10:00:00",
          end_time: "11:00:00",
          ...body,
        },
      });
    expect((await create({})).status).toBe(201);

    const clash = await create({ start_time: "10:30:00", end_time: "11:30:00" });
    expect(clash.status).toBe(400);
    expect(Object.keys(clash.body)).toEqual(["non_field_errors"]);
    expect(clash.body.non_field_errors[0]).toMatch(/conflict/i);

    for (const id of [UNKNOWN_ID, foreignSessionId]) {
      const response = await rest(t.url, "GET", `/sapphire/scheduler/sessions/${id}/`, { token: tokens.provider });
      expect([id, response.status, response.body]).toEqual([id, 404, { detail: "Not found." }]);
    }

    const invalid = await rest(t.url, "POST", "/sapphire/scheduler/sessions/", {
      token: tokens.provider,
      body: { client: p.client.id, staff: p.provider.id },
    });
    expect([invalid.status, invalid.body.session_date]).toEqual([400, ["This field is required."]]);

    const unstorable = await create({ start_time: "14:00:00", end_time: "15:00:00", session_notes: NUL_TEXT });
    expect(unstorable.status).toBe(400);
    expect(Object.values(unstorable.body).flat()).toEqual(["Text may not contain the NUL character (\\u0000)"]);
  });

  it("psychologist video (DRF): an unknown appointment is 404 Not found.; no credentials 401", async () => {
    expect(
      await rest(t.url, "GET", `/api/appointments/video-token/${UNKNOWN_ID}/`, { token: tokens.client }).then((r) => [
        r.status,
        r.body,
      ]),
    ).toEqual([404, { detail: "Not found." }]);
    expect(
      await rest(t.url, "GET", `/api/appointments/video-token/${UNKNOWN_ID}/`).then((r) => [r.status, r.body]),
    ).toEqual([401, { detail: "Authentication credentials were not provided." }]);
  });

  it("treatment details (Gin): not found by entity, a hidden treatment 404, another tenant 403, a bad body 400", async () => {
    const headers = { "X-Tenant-Code": p.tenant.code, "Content-Type": "application/json" };
    const call = (method: string, path: string, token: string, body?: unknown) =>
      rest(t.url, method, `/so/api/treatment-details${path}`, { token, body, headers });

    expect((await call("GET", `/${UNKNOWN_ID}`, tokens.admin)).body).toEqual({
      status: "error",
      message: "Treatment detail not found",
      error: null,
    });
    expect((await call("GET", `/by-treatment/${UNKNOWN_ID}`, tokens.admin)).body).toEqual({
      status: "error",
      message: "Treatment not found",
      error: null,
    });
    const hidden = await call("GET", `/by-treatment/${foreignSessionId}`, tokens.client);
    expect([hidden.status, hidden.body]).toEqual([
      404,
      { status: "error", message: "Treatment not found", error: null },
    ]);

    const mismatch = await call("GET", `/${UNKNOWN_ID}`, tokens.otherTenantAdmin);
    expect([mismatch.status, mismatch.body]).toEqual([
      403,
      { status: "error", message: "Forbidden", error: "X-Tenant-Code does not match the token's tenant" },
    ]);

    const invalid = await call("POST", "", tokens.admin, {
      treatment_id: foreignSessionId,
      item_id: 1,
      unit_id: 1,
      quantity: "two",
    });
    expect([invalid.status, invalid.body.status, invalid.body.message]).toEqual([400, "error", "Invalid request body"]);
  });
});
