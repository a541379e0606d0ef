/**
 * The fitness CRM sessions API (Flask), replayed from its document against a real server: every
 * documented example, then the error cases the document lists and the bad input it does not.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SessionRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makeSession, makeTenant, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { clock, DOC, expectDocumentedShape, local, makeGym, withIds, type Gym } from "./fitness.fixture.js";

let t: TestApp;
let gym: Gym;

beforeAll(async () => {
  t = await startTestApp({ now: () => clock.now });
});
afterAll(() => t.close());
beforeEach(async () => {
  clock.now = local("2025-12-09T10:30:00");
  gym = await makeGym(t);
});

const API = "/api/v1/sessions";
/** The document's clients send the cookie; half the calls use it, the rest the Bearer token. */
const asTrainer = (method: string, path: string, body?: unknown) =>
  rest(t.url, method, `${API}${path}`, { headers: gym.cookie, body });
const withToken = (method: string, path: string, token: string, body?: unknown) =>
  rest(t.url, method, `${API}${path}`, { token, body });

/** The same record through GraphQL: ids and instants must agree. */
async function graphqlSession(id: number) {
  const result = await t.gql(
    `query($id: ID!) { session(id: $id) { id title status startsAt endsAt actualStart actualEnd updatedAt } }`,
    { id: String(id) },
    gym.token,
  );
  expect(result.errors).toBeUndefined();
  return result.data!.session as Record<string, string | null>;
}

const iso = (isoLocal: string) => local(isoLocal).toISOString();

const sessionIds = (s: { id: number }, gymIds: { trainer: number; client: number }) => ({
  id: s.id,
  trainer_id: gymIds.trainer,
  client_id: gymIds.client,
  "client.id": gymIds.client,
  "trainer.id": gymIds.trainer,
});

/** The list example's record (id 1 in the document): John's session on Wednesday. */
function personalTraining(
  clientId: number,
): Partial<SessionRow> & Pick<SessionRow, "clientId" | "startsAt" | "endsAt"> {
  return {
    clientId,
    title: "Personal Training Session",
    description: "Full body workout focusing on strength",
    type: "PERSONAL",
    location: "Main Gym - Studio A",
    startsAt: local("2025-12-10T14:00:00"),
    endsAt: local("2025-12-10T15:00:00"),
    notes: "Client wants to focus on upper body",
    providerNotes: "Remember client has shoulder sensitivity",
  };
}

describe(`fitness API: the documented examples (${engine})`, () => {
  it("1. GET /sessions: this week's scheduled sessions with their client", async () => {
    const s = await gym.session(personalTraining(gym.john.id));
    await gym.session({
      clientId: gym.sarah.id,
      title: "Done already",
      status: "COMPLETED",
      startsAt: local("2025-12-11T09:00:00"),
      endsAt: local("2025-12-11T10:00:00"),
    });
    await gym.session({
      clientId: gym.john.id,
      title: "Next week",
      startsAt: local("2025-12-16T09:00:00"),
      endsAt: local("2025-12-16T10:00:00"),
    });

    const { status, body } = await asTrainer(
      "GET",
      "?start_date=2025-12-09T00:00:00&end_date=2025-12-15T23:59:59&status=scheduled&include_client=true",
    );
    expect(status).toBe(200);
    expectDocumentedShape(body, DOC.list);
    expect(body.data.sessions).toEqual([
      withIds(DOC.list.data.sessions[0], sessionIds(s, { trainer: gym.trainer.id, client: gym.john.id })),
    ]);
    expect(body.data.pagination).toEqual({
      page: 1,
      per_page: 20,
      total_pages: 1,
      total_items: 1,
      has_next: false,
      has_prev: false,
    });
  });

  it("1. GET /sessions: one client's sessions, 50 a page, latest first", async () => {
    const older = await gym.session({
      ...personalTraining(gym.john.id),
      startsAt: local("2025-12-01T14:00:00"),
      endsAt: local("2025-12-01T15:00:00"),
    });
    const newer = await gym.session(personalTraining(gym.john.id));
    await gym.session({
      ...personalTraining(gym.sarah.id),
      startsAt: local("2025-12-12T14:00:00"),
      endsAt: local("2025-12-12T15:00:00"),
    });

    const { status, body } = await asTrainer(
      "GET",
      `?client_id=${gym.john.id}&per_page=50&sort_by=scheduled_start&sort_order=desc`,
    );
    expect(status).toBe(200);
    const { client: _client, ...documented } = DOC.list.data.sessions[0];
    expectDocumentedShape(body, { ...DOC.list, data: { ...DOC.list.data, sessions: [documented] } });
    expect(body.data.sessions.map((s: { id: number }) => s.id)).toEqual([newer.id, older.id]);
    expect(body.data.pagination).toEqual({
      page: 1,
      per_page: 50,
      total_pages: 1,
      total_items: 2,
      has_next: false,
      has_prev: false,
    });
  });

  it("2. GET /sessions/{id}?include_client=true&include_trainer=true", async () => {
    const s = await gym.session({
      clientId: gym.sarah.id,
      title: "HIIT Training",
      description: "High intensity interval training session",
      location: "Outdoor Track",
      startsAt: local("2025-12-10T09:00:00"),
      endsAt: local("2025-12-10T10:00:00"),
      actualStart: local("2025-12-10T09:05:00"),
      actualEnd: local("2025-12-10T10:02:00"),
      status: "COMPLETED",
      exercisesPerformed: "Sprints, burpees, mountain climbers, box jumps",
      notes: "Great energy today",
      clientFeedback: "Tough but felt amazing after!",
      providerNotes: "Client showed significant improvement in stamina",
      googleEventId: "abc123xyz",
      createdAt: local("2025-12-05T14:20:00"),
      updatedAt: local("2025-12-10T10:05:00"),
    });
    const { status, body } = await asTrainer("GET", `/${s.id}?include_client=true&include_trainer=true`);
    expect(status).toBe(200);
    expect(body).toEqual(withIds(DOC.get, sessionIds(s, { trainer: gym.trainer.id, client: gym.sarah.id })));

    const g = await graphqlSession(s.id);
    expect(g).toMatchObject({
      id: String(s.id),
      status: "COMPLETED",
      startsAt: iso("2025-12-10T09:00:00"),
      actualEnd: iso("2025-12-10T10:02:00"),
      updatedAt: iso("2025-12-10T10:05:00"),
    });
  });

  it("3. POST /sessions: the curl example, answered 201 with the documented body; GraphQL shows the same instants", async () => {
    clock.now = local("2025-12-09T15:20:00");
    const { status, body } = await asTrainer("POST", "", { ...DOC.createRequest, client_id: gym.john.id });
    expect(status).toBe(201);
    expect(body).toEqual(withIds(DOC.create, sessionIds(body.data, { trainer: gym.trainer.id, client: gym.john.id })));

    const g = await graphqlSession(body.data.id);
    expect(g).toMatchObject({
      id: String(body.data.id),
      title: "Initial Fitness Assessment",
      startsAt: "2025-12-11T15:00:00.000Z",
      endsAt: "2025-12-11T16:30:00.000Z",
      status: "SCHEDULED",
    });
  });

  it("3. POST /sessions: the Python example (datetime.now() + 2 days, isoformat with microseconds)", async () => {
    clock.now = local("2025-12-09T08:15:42.5");
    const { status, body } = await withToken("POST", "", gym.token, {
      client_id: gym.john.id,
      title: "Strength Training - Lower Body",
      description: "Focus on squats, deadlifts, and leg press",
      session_type: "personal",
      location: "Main Gym - Weight Room",
      scheduled_start: "2025-12-11T08:15:42.500000",
      scheduled_end: "2025-12-11T09:15:42.500000",
      notes: "Client prefers morning sessions",
      trainer_notes: "Progressive overload - increase weight by 5lbs",
    });
    expect(status).toBe(201);
    expectDocumentedShape(body, DOC.create);
    expect(body.data).toMatchObject({
      scheduled_start: "2025-12-11T08:15:42",
      scheduled_end: "2025-12-11T09:15:42",
      session_type: "personal",
      status: "scheduled",
    });
    expect((await graphqlSession(body.data.id)).startsAt).toBe("2025-12-11T13:15:42.500Z");
  });

  it("3. POST /sessions: a scheduling conflict is the documented 409", async () => {
    await gym.session({
      clientId: gym.sarah.id,
      title: "Personal Training Session",
      startsAt: local("2025-12-11T10:30:00"),
      endsAt: local("2025-12-11T11:30:00"),
    });
    const { status, body } = await asTrainer("POST", "", { ...DOC.createRequest, client_id: gym.john.id });
    expect(status).toBe(409);
    expect(body).toEqual(DOC.conflict);
    expect((await asTrainer("GET", `?client_id=${gym.john.id}`)).body.data.pagination.total_items).toBe(0);
  });

  it("4. PATCH /sessions/{id}: completing with notes (the curl example); GraphQL agrees", async () => {
    // The session the create example made.
    const s = await gym.session({
      clientId: gym.john.id,
      title: "Initial Fitness Assessment",
      description: "Comprehensive fitness evaluation and goal setting",
      type: "ASSESSMENT",
      location: "Main Gym - Assessment Area",
      startsAt: local("2025-12-11T10:00:00"),
      endsAt: local("2025-12-11T11:30:00"),
      notes: "Bring body composition analysis equipment",
      providerNotes: "Client mentioned previous knee injury",
      createdAt: local("2025-12-09T15:20:00"),
    });
    clock.now = local("2025-12-11T11:40:00");
    const { status, body } = await asTrainer("PATCH", `/${s.id}`, DOC.completeRequest);
    expect(status).toBe(200);
    // The document abbreviates this body; the answer is the whole session with its client, as after create.
    const documented = { ...DOC.update, data: { ...DOC.create.data, ...DOC.update.data } };
    expect(body).toEqual(withIds(documented, sessionIds(s, { trainer: gym.trainer.id, client: gym.john.id })));

    const g = await graphqlSession(s.id);
    expect(g).toMatchObject({
      status: "COMPLETED",
      actualStart: "2025-12-11T15:05:00.000Z",
      actualEnd: "2025-12-11T16:35:00.000Z",
      updatedAt: "2025-12-11T16:40:00.000Z",
    });
  });

  it("4. PATCH /sessions/{id}: rescheduling (the curl example)", async () => {
    const s = await gym.session({
      ...personalTraining(gym.john.id),
      startsAt: local("2025-12-10T09:00:00"),
      endsAt: local("2025-12-10T10:00:00"),
    });
    const { status, body } = await asTrainer("PATCH", `/${s.id}`, DOC.rescheduleRequest);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      success: true,
      message: "Session updated successfully",
      data: { id: s.id, ...DOC.rescheduleRequest, status: "scheduled" },
    });
    expect(await graphqlSession(s.id)).toMatchObject({
      startsAt: "2025-12-12T19:00:00.000Z",
      endsAt: "2025-12-12T20:00:00.000Z",
    });
  });

  it("4. PUT /sessions/{id}: the Python example (completed with exercises); PUT updates only the fields given, like PATCH", async () => {
    const s = await gym.session({
      ...personalTraining(gym.john.id),
      startsAt: local("2025-12-10T09:00:00"),
      endsAt: local("2025-12-10T10:00:00"),
    });
    clock.now = local("2025-12-10T10:10:00");
    const { status, body } = await asTrainer("PUT", `/${s.id}`, DOC.pythonCompleteRequest);
    expect(status).toBe(200);
    expect(body.data).toMatchObject({
      ...DOC.pythonCompleteRequest,
      title: "Personal Training Session",
      location: "Main Gym - Studio A",
      updated_at: "2025-12-10T10:10:00",
    });
  });

  it("5. DELETE /sessions/{id}: cancels (soft delete) with the documented body", async () => {
    const s = await gym.session(personalTraining(gym.john.id));
    clock.now = local("2025-12-09T16:45:00");
    const { status, body } = await asTrainer("DELETE", `/${s.id}`);
    expect(status).toBe(200);
    expect(body).toEqual(withIds(DOC.cancel, { id: s.id }));
    expect((await graphqlSession(s.id)).status).toBe("CANCELLED");
  });

  it("5. DELETE /sessions/{id}?permanent=true: deleted for good", async () => {
    const s = await gym.session(personalTraining(gym.john.id));
    const { status, body } = await asTrainer("DELETE", `/${s.id}?permanent=true`);
    expect(status).toBe(200);
    expect(body).toEqual(DOC.permanentDelete);
    const gone = await asTrainer("GET", `/${s.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(DOC.notFound);
  });

  it("6. GET /sessions/stats: this month, and one client's", async () => {
    clock.now = local("2025-12-09T12:00:00");
    const statuses = [
      ...Array(32).fill("COMPLETED"),
      ...Array(4).fill("SCHEDULED"),
      ...Array(3).fill("CANCELLED"),
      "NO_SHOW",
    ] as SessionRow["status"][];
    const types = [
      ...Array(38).fill("PERSONAL"),
      ...Array(6).fill("GROUP"),
      ...Array(3).fill("ONLINE"),
      "ASSESSMENT",
    ] as SessionRow["type"][];
    /** The n-th two-hour step from a local time, an hour long. */
    const at = (from: string, n: number) => {
      const start = local(from).getTime() + n * 7_200_000;
      return { startsAt: new Date(start), endsAt: new Date(start + 3_600_000) };
    };
    // 40 sessions before now (4 of them still "scheduled"), 8 upcoming.
    for (let i = 0; i < 40; i++)
      await gym.session({
        clientId: gym.john.id,
        status: statuses[i],
        type: types[i],
        ...at("2025-12-01T06:00:00", i),
      });
    for (let i = 40; i < 48; i++)
      await gym.session({
        clientId: gym.john.id,
        status: "SCHEDULED",
        type: types[i],
        ...at("2025-12-15T06:00:00", i),
      });
    await gym.session({ clientId: gym.sarah.id, status: "COMPLETED", ...at("2025-11-20T06:00:00", 0) });
    await gym.session({
      clientId: gym.john.id,
      status: "SCHEDULED",
      type: "CONSULTATION",
      ...at("2026-01-05T06:00:00", 0),
    });

    const month = await asTrainer("GET", "/stats?start_date=2025-12-01T00:00:00&end_date=2025-12-31T23:59:59");
    expect(month.status).toBe(200);
    expect(month.body).toEqual({
      ...DOC.stats,
      data: { ...DOC.stats.data, by_type: { ...DOC.stats.data.by_type, consultation: 0 } },
    });

    const john = await asTrainer("GET", `/stats?client_id=${gym.john.id}`);
    expect(john.status).toBe(200);
    expectDocumentedShape(john.body.data.by_status, DOC.stats.data.by_status);
    expect(john.body.data).toMatchObject({
      total_sessions: 49,
      by_status: { scheduled: 13 },
      by_type: { consultation: 1 },
      upcoming_sessions: 9,
    });
  });

  it("7. GET /sessions/availability?date=2025-12-10&duration=90: exactly the documented day", async () => {
    await gym.session({
      clientId: gym.john.id,
      title: "Personal Training - John Doe",
      startsAt: local("2025-12-10T10:00:00"),
      endsAt: local("2025-12-10T11:00:00"),
    });
    await gym.session({
      clientId: gym.sarah.id,
      title: "Group Class - HIIT",
      type: "GROUP",
      startsAt: local("2025-12-10T14:00:00"),
      endsAt: local("2025-12-10T15:30:00"),
    });
    const { status, body } = await asTrainer("GET", "/availability?date=2025-12-10&duration=90");
    expect(status).toBe(200);
    expect(body).toEqual(DOC.availability);
  });

  it("7. GET /sessions/availability: the Python example's date (a datetime's isoformat), its default duration and date", async () => {
    await gym.session({
      clientId: gym.john.id,
      title: "Morning",
      startsAt: local("2025-12-09T08:00:00"),
      endsAt: local("2025-12-09T19:30:00"),
    });
    const python = await asTrainer("GET", "/availability?date=2025-12-09T10:30:00.123456&duration=30");
    expect(python.body.data).toMatchObject({
      date: "2025-12-09",
      requested_duration: 30,
      available_slots: [{ start: "2025-12-09T19:30:00", end: "2025-12-09T20:00:00", duration_minutes: 30 }],
    });
    const today = await asTrainer("GET", "/availability");
    expect(today.status).toBe(200);
    expect(today.body.data).toMatchObject({
      date: "2025-12-09",
      requested_duration: 60,
      available_slots: [],
      booked_sessions: [{ title: "Morning" }],
    });
  });
});

describe(`fitness API: errors (${engine})`, () => {
  it("401 without a token or cookie, in the API's envelope", async () => {
    const { status, body } = await rest(t.url, "GET", API);
    expect(status).toBe(401);
    expect(body).toEqual({ success: false, error: expect.any(String) });
  });

  it("400 Validation failed: the document's messages for a missing start and an end before the start", async () => {
    const missing = await asTrainer("POST", "", {
      ...DOC.createRequest,
      client_id: gym.john.id,
      scheduled_start: undefined,
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      success: false,
      error: "Validation failed",
      errors: { scheduled_start: DOC.validationError.errors.scheduled_start },
    });

    const backwards = await asTrainer("POST", "", {
      ...DOC.createRequest,
      client_id: gym.john.id,
      scheduled_end: "2025-12-11T09:00:00",
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body).toEqual({
      success: false,
      error: "Validation failed",
      errors: { scheduled_end: DOC.validationError.errors.scheduled_end },
    });
  });

  it("400 with every bad field at once: required fields, type, formats", async () => {
    const { status, body } = await asTrainer("POST", "", {
      description: "x",
      session_type: "yoga",
      scheduled_start: "tomorrow",
    });
    expect(status).toBe(400);
    expect(body).toEqual({
      success: false,
      error: "Validation failed",
      errors: {
        client_id: "Client ID is required",
        title: "Session title is required",
        scheduled_end: "Scheduled end time is required",
        scheduled_start: "Invalid datetime format for scheduled_start. Use ISO format (e.g., 2025-12-10T14:00:00)",
        session_type: "Invalid session type. Must be one of: personal, group, online, assessment, consultation",
      },
    });
  });

  it("400 for times that do not exist: February 30th, and 02:30 on the night clocks spring forward", async () => {
    const { status, body } = await asTrainer("POST", "", {
      ...DOC.createRequest,
      client_id: gym.john.id,
      scheduled_start: "2026-02-30T10:00:00",
      scheduled_end: "2026-03-08T02:30:00",
    });
    expect(status).toBe(400);
    expect(Object.keys(body.errors)).toEqual(["scheduled_start", "scheduled_end"]);
  });

  it("a client who does not belong to the trainer is refused (400 on client_id); another tenant's client is not found (404)", async () => {
    const stranger = await asTrainer("POST", "", { ...DOC.createRequest, client_id: gym.stranger.id });
    expect(stranger.status).toBe(400);
    expect(stranger.body).toEqual({
      success: false,
      error: "Validation failed",
      errors: { client_id: "You don't have permission to schedule sessions for this client" },
    });

    const elsewhere = await makeGym(t);
    const foreign = await asTrainer("POST", "", { ...DOC.createRequest, client_id: elsewhere.john.id });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ success: false, error: "Client not found" });
  });

  it("403 Permission Denied for another trainer's session; 404 Not Found for unknown ids and another tenant's", async () => {
    const theirs = await makeSession(t.database, gym.tenant, {
      providerId: gym.otherTrainer.id,
      clientId: gym.stranger.id,
      startsAt: local("2025-12-10T09:00:00"),
      endsAt: local("2025-12-10T10:00:00"),
    });
    const denied = await asTrainer("GET", `/${theirs.id}`);
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual(DOC.permissionDenied);

    const elsewhere = await makeGym(t);
    const foreign = await elsewhere.session(personalTraining(elsewhere.john.id));
    for (const path of [`/${foreign.id}`, "/2147483000"]) {
      for (const method of ["GET", "PATCH", "DELETE"]) {
        const { status, body } = await asTrainer(method, path, method === "PATCH" ? { title: "mine now" } : undefined);
        expect([method, path, status, body]).toEqual([method, path, 404, DOC.notFound]);
      }
    }
  });

  it("wrong types and values in the query string are 400 with per-field errors; per_page is clamped to 100", async () => {
    const bad = await asTrainer(
      "GET",
      "?page=abc&client_id=x&status=pending&include_client=maybe&sort_by=price&sort_order=up&start_date=soon",
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("Validation failed");
    expect(Object.keys(bad.body.errors).sort()).toEqual([
      "client_id",
      "include_client",
      "page",
      "sort_by",
      "sort_order",
      "start_date",
      "status",
    ]);
    expect(bad.body.errors.sort_by).toBe(
      "Invalid sort_by field. Must be one of: scheduled_start, scheduled_end, created_at, updated_at, status, title",
    );

    const big = await asTrainer("GET", "?per_page=500&include_client=True");
    expect(big.status).toBe(200);
    expect(big.body.data.pagination.per_page).toBe(100);

    const backwards = await asTrainer("GET", "/stats?start_date=2025-12-31&end_date=2025-12-01");
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toEqual({ end_date: "end_date must not be before start_date" });
  });

  it("malformed JSON, an empty body, {} and a non-object body are 400 in the envelope", async () => {
    const s = await gym.session(personalTraining(gym.john.id));
    const malformed = await rest(t.url, "POST", API, { headers: gym.cookie, rawBody: '{"title": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ success: false, error: expect.stringMatching(/^Failed to decode JSON object: /) });

    const empty = await rest(t.url, "POST", API, {
      headers: { ...gym.cookie, "content-type": "application/json" },
      rawBody: "",
    });
    expect([empty.status, empty.body]).toEqual([400, { success: false, error: "No data provided" }]);
    const none = await rest(t.url, "POST", API, { headers: gym.cookie });
    expect([none.status, none.body]).toEqual([400, { success: false, error: "No data provided" }]);
    const nothing = await asTrainer("PATCH", `/${s.id}`, {});
    expect([nothing.status, nothing.body]).toEqual([400, { success: false, error: "No data provided" }]);
    const list = await asTrainer("PATCH", `/${s.id}`, [1]);
    expect([list.status, list.body]).toEqual([400, { success: false, error: "Request body must be a JSON object" }]);
  });

  it("ids that are not integers and unknown routes are 404 (Flask's <int:session_id>); ids beyond the integer range 400", async () => {
    for (const path of ["/abc", "/1.5", "/-3", "/1/notes"]) {
      const { status, body } = await asTrainer("GET", path);
      expect([path, status, body.success, typeof body.error]).toEqual([path, 404, false, "string"]);
    }
    const huge = await asTrainer("GET", "/99999999999999999999");
    expect(huge.status).toBe(400);
    expect(huge.body.success).toBe(false);
  });

  it("a session's client may change (issue 15: the document lets every create field be updated); a cancelled session cannot be completed (the state machine answers on status)", async () => {
    const s = await gym.session(personalTraining(gym.john.id));
    expect((await asTrainer("PATCH", `/${s.id}`, { client_id: gym.john.id, notes: "same client" })).status).toBe(200);
    const move = await asTrainer("PATCH", `/${s.id}`, { client_id: gym.sarah.id });
    expect(move.status, move.text).toBe(200);
    expect(move.body.data).toMatchObject({ id: s.id, client_id: gym.sarah.id, client: { id: gym.sarah.id } });

    expect((await asTrainer("DELETE", `/${s.id}`)).status).toBe(200);
    const complete = await asTrainer("PATCH", `/${s.id}`, { status: "completed" });
    expect(complete.status).toBe(400);
    expect(complete.body.errors.status).toMatch(/already cancelled/);
  });

  it("a confirmed session reads as scheduled, and writing status scheduled back changes nothing", async () => {
    const s = await gym.session({ ...personalTraining(gym.john.id), status: "CONFIRMED" });
    const read = await asTrainer("GET", `/${s.id}`);
    expect(read.body.data.status).toBe("scheduled");
    const echo = await asTrainer("PATCH", `/${s.id}`, { status: "scheduled", title: "Renamed" });
    expect(echo.status).toBe(200);
    expect((await graphqlSession(s.id)).status).toBe("CONFIRMED");
  });

  it("moving a session onto another one is the documented 409, in the trainer's local time", async () => {
    await gym.session({
      clientId: gym.sarah.id,
      title: "Personal Training Session",
      startsAt: local("2025-12-11T10:30:00"),
      endsAt: local("2025-12-11T11:30:00"),
    });
    const s = await gym.session(personalTraining(gym.john.id));
    const { status, body } = await asTrainer("PATCH", `/${s.id}`, {
      scheduled_start: "2025-12-11T10:00:00",
      scheduled_end: "2025-12-11T11:30:00",
    });
    expect(status).toBe(409);
    expect(body).toEqual(DOC.conflict);
  });

  it("X-Tenant-Code must match the token (403); an administrator books and reads availability for a trainer by trainer_id", async () => {
    const mismatch = await rest(t.url, "GET", API, { headers: { ...gym.cookie, "x-tenant-code": "NOPE" } });
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.success).toBe(false);

    const admin = await t.token(gym.admin, gym.tenant);
    const noTrainer = await withToken("GET", "/availability?date=2025-12-10", admin);
    expect([noTrainer.status, Object.keys(noTrainer.body.errors)]).toEqual([400, ["trainer_id"]]);
    const booked = await withToken("POST", "", admin, {
      ...DOC.createRequest,
      client_id: gym.john.id,
      trainer_id: gym.trainer.id,
    });
    expect(booked.status).toBe(201);
    expect(booked.body.data).toMatchObject({ trainer_id: gym.trainer.id, scheduled_start: "2025-12-11T10:00:00" });
    const day = await withToken("GET", `/availability?date=2025-12-11&trainer_id=${gym.trainer.id}`, admin);
    expect(day.body.data.booked_sessions).toEqual([
      { start: "2025-12-11T10:00:00", end: "2025-12-11T11:30:00", title: "Initial Fitness Assessment" },
    ]);
  });

  it("a client of the practice sees the trainer's free time but not the titles of other clients' sessions", async () => {
    await gym.session({
      clientId: gym.sarah.id,
      title: "Sarah's secret",
      startsAt: local("2025-12-10T10:00:00"),
      endsAt: local("2025-12-10T11:00:00"),
    });
    const john = await t.token(gym.john, gym.tenant);
    const { status, body } = await withToken("GET", `/availability?date=2025-12-10&trainer_id=${gym.trainer.id}`, john);
    expect(status).toBe(200);
    expect(body.data.booked_sessions).toEqual([
      { start: "2025-12-10T10:00:00", end: "2025-12-10T11:00:00", title: null },
    ]);
  });
});

describe(`fitness API: OpenAPI (${engine})`, () => {
  it("every route is in /openapi.json under its tag, with both ways to authenticate", async () => {
    const { body } = await rest(t.url, "GET", "/openapi.json");
    const paths = body.paths as Record<string, Record<string, { tags: string[]; security: unknown[] }>>;
    const mine = Object.entries(paths).filter(([path]) => path.startsWith(API));
    expect(mine.map(([path, ops]) => `${path} ${Object.keys(ops).sort().join(",")}`).sort()).toEqual([
      `${API} get,post`,
      `${API}/availability get`,
      `${API}/stats get`,
      `${API}/{id} delete,get,patch,put`,
    ]);
    for (const [, ops] of mine)
      for (const op of Object.values(ops))
        expect(op).toMatchObject({
          tags: ["fitness-crm-sessions"],
          security: [{ bearerAuth: [] }, { sessionCookie: [] }],
        });
  });
});

describe(`fitness API: tenancy (${engine})`, () => {
  it("a trainer of another tenant never sees this tenant's sessions in lists or stats", async () => {
    await gym.session(personalTraining(gym.john.id));
    const other = await makeTenant(t.database, { timeZone: "Europe/Berlin" });
    const trainer = await makeUser(t.database, other, "PROVIDER");
    const token = await t.token(trainer, other);
    const list = await withToken("GET", "", token);
    expect(list.body.data).toEqual({
      sessions: [],
      pagination: { page: 1, per_page: 20, total_pages: 0, total_items: 0, has_next: false, has_prev: false },
    });
    expect((await withToken("GET", "/stats", token)).body.data.total_sessions).toBe(0);
  });
});
