/**
 * Contract tests of ../shared/legacy-api/psychologist-video.md: each documented example against
 * a real server over a fake Twilio (status, envelope, keys and value types as documented), the
 * documented rules (both roles, own appointments only), DRF's conventions where the document
 * is silent, and agreement with GraphQL.
 */
import { jwtVerify } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SessionRow, TenantRow, UserRow } from "../../src/db/schema/index.js";
import { TwilioVideoProvider } from "../../src/modules/video/twilio-video.provider.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { FakeTwilio } from "../helpers/fake-twilio.js";
import { rest } from "../helpers/rest.js";

// ------------------------------------------------------------------ the document's examples

/** "Get Video Access Token". */
const TOKEN_200 = {
  access_token: "eyJhbGciOiJIUzI1NiIs...",
  room_name: "apt-47-1763138954-46eb915c",
  user_identity: "19-sarah@example.com",
  expires_in: 5400,
  expires_at: "2025-11-16T10:30:00Z",
  appointment_id: 47,
  appointment_duration_minutes: 60,
  token_valid_until: "90 minutes (1 hours)",
};
/** "Refresh Video Token": the same, with refreshed_at. */
const REFRESH_200 = { ...TOKEN_200, refreshed_at: "2025-11-16T08:40:00Z" };
/** "Get Video Room Status". */
const STATUS_200 = {
  room_name: "apt-47-abc",
  room_sid: "RM...",
  status: "in-progress",
  participants_count: 2,
  participants: [
    {
      sid: "PA...",
      identity: "19-sarah@example.com",
      status: "connected",
      duration: 1200,
      connected_at: "2025-11-16T08:00:00Z",
    },
    {
      sid: "PA...",
      identity: "2-jane@example.com",
      status: "connected",
      duration: 1200,
      connected_at: "2025-11-16T08:00:00Z",
    },
  ],
  duration: 1200,
  created_at: "2025-11-16T08:00:00Z",
  appointment_id: 47,
};
/** "Psychologist Schedule". */
const SCHEDULE_200 = {
  count: 10,
  next: null,
  previous: null,
  results: [
    {
      id: 47,
      patient_name: "Jane Doe",
      service_name: "Individual Therapy",
      appointment_date: "2025-11-16T08:00:00Z",
      formatted_date: "Sat, 16 Nov 2025",
      formatted_time: "08:00 AM",
      duration_minutes: 60,
      status: "confirmed",
      session_type: "telehealth",
      video_room_id: "apt-47-abc",
      meeting_url: "https://yourwebsite.com/video-session/apt-47-abc",
      session_start_time: "2025-11-16T08:00:00Z",
      session_end_time: "2025-11-16T09:00:00Z",
      time_until_start_seconds: 3600,
      time_remaining_seconds: null,
      session_status: "upcoming",
      can_join_session: false,
    },
  ],
};

/** The JSON type of every value, recursively: what a response must share with its documented example. */
function shapeOf(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === "object")
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
}

// ------------------------------------------------------------------ the practice

const creds = {
  accountSid: `AC${"a1".repeat(16)}`,
  apiKeySid: `SK${"b2".repeat(16)}`,
  apiKeySecret: "test-api-key-secret-0123456789abcdef",
};
const PUBLIC_BASE_URL = "https://yourwebsite.com";
/** The documented moment: an hour before the documented 08:00 UTC appointment. */
const DOCUMENTED_NOW = new Date("2025-11-16T07:00:00Z");

let fake: FakeTwilio;
let t: TestApp;
let a: Awaited<ReturnType<typeof makePractice>>;
let b: Awaited<ReturnType<typeof makePractice>>;
/** The documented psychologist (London: 08:00 UTC is 08:00 there in November) and patient. */
let sarah: UserRow;
let jane: UserRow;
let otherPsychologist: UserRow;
let currentNow = DOCUMENTED_NOW;
const tokens = new Map<UserRow, string>();

beforeAll(async () => {
  fake = await FakeTwilio.start();
  const video = new TwilioVideoProvider({ ...creds, httpClient: fake.httpClient({ timeout: 2_000 }) });
  t = await startTestApp({ now: () => currentNow, video, env: { PUBLIC_BASE_URL } });
  a = await makePractice(t.database);
  b = await makePractice(t.database);
  sarah = await makeUser(t.database, a.tenant, "PROVIDER", {
    username: "sarah",
    email: "sarah@example.com",
    name: "Sarah Psychologist",
    timeZone: "Europe/London",
  });
  jane = await makeUser(t.database, a.tenant, "CLIENT", {
    username: "jane",
    email: "jane@example.com",
    name: "Jane Doe",
  });
  otherPsychologist = await makeUser(t.database, a.tenant, "PROVIDER");
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});
beforeEach(() => {
  fake.reset();
  currentNow = DOCUMENTED_NOW;
});

async function tokenOf(
  user: UserRow,
  tenant: TenantRow = user.tenantId === b.tenant.id ? b.tenant : a.tenant,
): Promise<string> {
  if (!tokens.has(user)) tokens.set(user, await t.token(user, tenant));
  return tokens.get(user)!;
}

const api = async (user: UserRow | undefined, path: string) =>
  rest(t.url, "GET", `/api/appointments${path}`, { token: user && (await tokenOf(user)) });

let day = 0;
/** A confirmed 60-minute telehealth appointment of sarah with jane, each on its own day from 2026-01-05 08:00 UTC. */
function appointment(values: Partial<SessionRow> = {}) {
  const startsAt = new Date(Date.UTC(2026, 0, 5 + day++, 8));
  return makeSession(t.database, a.tenant, {
    providerId: sarah.id,
    clientId: jane.id,
    startsAt,
    endsAt: new Date(startsAt.getTime() + 3_600_000),
    modality: "VIDEO",
    status: "CONFIRMED",
    title: "Individual Therapy",
    ...values,
  });
}

const minutesBefore = (session: SessionRow, minutes: number) => new Date(session.startsAt.getTime() - minutes * 60_000);

async function verify(token: string) {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(creds.apiKeySecret), {
    algorithms: ["HS256"],
    issuer: creds.apiKeySid,
    requiredClaims: ["exp"],
  });
  return payload as typeof payload & { grants: { identity: string; video: { room: string } } };
}

describe(`psychologist video: documented examples (${engine})`, () => {
  it("GET video-token/<id>/: the documented token body; the token lets the psychologist into the room; GraphQL sees the same room", async () => {
    const session = await appointment();
    currentNow = minutesBefore(session, 5);

    const response = await api(sarah, `/video-token/${session.id}/`);

    expect(response.status).toBe(200);
    expect(shapeOf(response.body)).toEqual(shapeOf(TOKEN_200));
    const unix = Math.floor(currentNow.getTime() / 1000);
    expect(response.body).toEqual({
      access_token: expect.any(String),
      room_name: expect.stringMatching(new RegExp(`^apt-${session.id}-${unix}-[0-9a-f]{8}$`)),
      user_identity: `${sarah.id}-sarah@example.com`,
      expires_in: 5400,
      expires_at: new Date(currentNow.getTime() + 5400_000).toISOString().replace(".000Z", "Z"),
      appointment_id: session.id,
      appointment_duration_minutes: 60,
      token_valid_until: "90 minutes (1 hours)",
    });
    const payload = await verify(response.body.access_token);
    expect(payload.grants).toMatchObject({
      identity: response.body.user_identity,
      video: { room: response.body.room_name },
    });
    const { data } = await t.gql(
      `query ($id: ID!) { videoRoomStatus(sessionId: $id) { roomName sessionId } }`,
      { id: String(session.id) },
      await tokenOf(sarah),
    );
    expect(data!.videoRoomStatus).toEqual({ roomName: response.body.room_name, sessionId: String(session.id) });
  });

  it("GET video-token-refresh/<id>/: the same body plus refreshed_at, for the same room", async () => {
    const session = await appointment();
    currentNow = minutesBefore(session, 5);
    const first = await api(sarah, `/video-token/${session.id}/`);
    currentNow = new Date(session.startsAt.getTime() + 40 * 60_000);

    const response = await api(sarah, `/video-token-refresh/${session.id}/`);

    expect(response.status).toBe(200);
    expect(shapeOf(response.body)).toEqual(shapeOf(REFRESH_200));
    expect(response.body).toMatchObject({
      room_name: first.body.room_name,
      appointment_id: session.id,
      refreshed_at: currentNow.toISOString().replace(".000Z", "Z"),
      expires_in: 5400,
    });
    expect((await verify(response.body.access_token)).grants.video).toEqual({ room: first.body.room_name });
  });

  it("GET video-status/<id>/: the documented room status with its participants", async () => {
    const session = await appointment();
    currentNow = session.startsAt;
    const { room_name } = (await api(sarah, `/video-token/${session.id}/`)).body;
    currentNow = new Date(session.startsAt.getTime() + 20 * 60_000);
    const roomSid = `RM${"0f".repeat(16)}`;
    const connected = session.startsAt.toISOString();
    fake.setRoom(room_name, {
      sid: roomSid,
      status: "in-progress",
      duration: 1200,
      date_created: connected,
      participants: [
        {
          sid: `PA${"01".repeat(16)}`,
          identity: `${sarah.id}-sarah@example.com`,
          status: "connected",
          duration: 1200,
          start_time: connected,
        },
        {
          sid: `PA${"02".repeat(16)}`,
          identity: `${jane.id}-jane@example.com`,
          status: "connected",
          duration: 1200,
          start_time: connected,
        },
      ],
    });

    const response = await api(sarah, `/video-status/${session.id}/`);

    expect(response.status).toBe(200);
    expect(shapeOf(response.body)).toEqual(shapeOf(STATUS_200));
    const at = connected.replace(".000Z", "Z");
    expect(response.body).toEqual({
      room_name,
      room_sid: roomSid,
      status: "in-progress",
      participants_count: 2,
      participants: [
        {
          sid: `PA${"01".repeat(16)}`,
          identity: `${sarah.id}-sarah@example.com`,
          status: "connected",
          duration: 1200,
          connected_at: at,
        },
        {
          sid: `PA${"02".repeat(16)}`,
          identity: `${jane.id}-jane@example.com`,
          status: "connected",
          duration: 1200,
          connected_at: at,
        },
      ],
      duration: 1200,
      created_at: at,
      appointment_id: session.id,
    });
  });

  it("GET psychologist/schedule/: the documented appointment, value for value (but the true weekday); GraphQL's timing agrees", async () => {
    const psychologist = await makeUser(t.database, a.tenant, "PROVIDER", { timeZone: "Europe/London" });
    const session = await makeSession(t.database, a.tenant, {
      providerId: psychologist.id,
      clientId: jane.id,
      startsAt: new Date("2025-11-16T08:00:00Z"),
      endsAt: new Date("2025-11-16T09:00:00Z"),
      modality: "VIDEO",
      status: "CONFIRMED",
      title: "Individual Therapy",
      videoRoomName: `apt-${day}-abc`,
    });

    const response = await api(psychologist, "/psychologist/schedule/?status=confirmed");

    expect(response.status).toBe(200);
    expect(shapeOf(response.body)).toEqual({ ...(shapeOf(SCHEDULE_200) as object), count: "integer" });
    expect(response.body).toEqual({
      ...SCHEDULE_200,
      count: 1,
      results: [
        {
          ...SCHEDULE_200.results[0],
          id: session.id,
          // 16 November 2025 is a Sunday (the document says "Sat").
          formatted_date: "Sun, 16 Nov 2025",
          video_room_id: `apt-${day}-abc`,
          meeting_url: `https://yourwebsite.com/video-session/apt-${day}-abc`,
        },
      ],
    });
    const { data } = await t.gql(
      `query ($id: ID!) { session(id: $id) { id startsAt endsAt durationMinutes timing { phase timeUntilStartSeconds timeRemainingSeconds canJoin } } }`,
      { id: String(session.id) },
      await tokenOf(psychologist),
    );
    const item = response.body.results[0];
    expect(data!.session).toEqual({
      id: String(item.id),
      startsAt: item.session_start_time.replace("Z", ".000Z"),
      endsAt: item.session_end_time.replace("Z", ".000Z"),
      durationMinutes: item.duration_minutes,
      timing: {
        phase: "UPCOMING",
        timeUntilStartSeconds: item.time_until_start_seconds,
        timeRemainingSeconds: item.time_remaining_seconds,
        canJoin: item.can_join_session,
      },
    });
  });

  it("GET /api/appointments/: the same format, the caller's appointments", async () => {
    const psychologist = await makeUser(t.database, a.tenant, "PROVIDER");
    const session = await makeSession(t.database, a.tenant, {
      providerId: psychologist.id,
      clientId: jane.id,
      startsAt: new Date("2025-11-17T15:00:00Z"),
      endsAt: new Date("2025-11-17T15:50:00Z"),
      modality: "IN_PERSON",
    });

    const response = await api(psychologist, "/");

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ count: 1, next: null, previous: null });
    expect(shapeOf(response.body.results[0])).toEqual({
      ...(shapeOf(SCHEDULE_200.results[0]) as object),
      video_room_id: "null",
      meeting_url: "null",
    });
    // New York (the tenant's zone) for this psychologist: 15:00 UTC is 10:00 AM on Monday.
    expect(response.body.results[0]).toMatchObject({
      id: session.id,
      service_name: "Test session",
      formatted_date: "Mon, 17 Nov 2025",
      formatted_time: "10:00 AM",
      duration_minutes: 50,
      status: "scheduled",
      session_type: "in_person",
      can_join_session: false,
    });
  });
});

describe(`psychologist video: who may join, and when (${engine})`, () => {
  // Issue 14: the document gives no 403 here; another psychologist's appointment is 404 like an unknown one (it was 403).
  it("the patient gets a token too; another psychologist, another tenant's appointment or an unknown id 404", async () => {
    const session = await appointment();
    currentNow = minutesBefore(session, 5);
    const foreign = await makeSession(t.database, b.tenant, {
      providerId: b.provider.id,
      clientId: b.client.id,
      startsAt: session.startsAt,
      endsAt: session.endsAt,
      modality: "VIDEO",
    });

    const patient = await api(jane, `/video-token/${session.id}/`);
    expect(patient.status).toBe(200);
    expect(patient.body.user_identity).toBe(`${jane.id}-jane@example.com`);
    for (const path of ["/video-token", "/video-token-refresh", "/video-status"]) {
      const stranger = await api(otherPsychologist, `${path}/${session.id}/`);
      expect([path, stranger.status, stranger.body]).toEqual([path, 404, { detail: "Not found." }]);
      for (const id of [foreign.id, 999999, "abc"]) {
        const missing = await api(sarah, `${path}/${id}/`);
        expect([path, id, missing.status, missing.body]).toEqual([path, id, 404, { detail: "Not found." }]);
      }
    }
  });

  it("outside the join window, for a cancelled or a non-video appointment: 400 {detail}", async () => {
    const early = await appointment();
    const cancelled = await appointment({ status: "CANCELLED" });
    const inPerson = await appointment({ modality: "IN_PERSON" });
    const cases: [SessionRow, Date, RegExp][] = [
      [early, minutesBefore(early, 11), /opens at/],
      [early, early.endsAt, /ended/],
      [cancelled, minutesBefore(cancelled, 5), /cancelled/],
      [inPerson, minutesBefore(inPerson, 5), /not a video session/],
    ];
    for (const [session, now, message] of cases) {
      currentNow = now;
      const response = await api(sarah, `/video-token/${session.id}/`);
      expect(response.status).toBe(400);
      expect(Object.keys(response.body)).toEqual(["detail"]);
      expect(response.body.detail).toMatch(message);
    }
  });

  it("video-status before any token: not-started without asking Twilio; a Twilio failure: 503 {detail}", async () => {
    const session = await appointment();
    const before = await api(sarah, `/video-status/${session.id}/`);
    expect(before.body).toEqual({
      room_name: null,
      room_sid: null,
      status: "not-started",
      participants_count: 0,
      participants: [],
      duration: null,
      created_at: null,
      appointment_id: session.id,
    });
    expect(fake.requests).toEqual([]);

    currentNow = session.startsAt;
    await api(sarah, `/video-token/${session.id}/`);
    fake.failWith(500);
    const failed = await api(sarah, `/video-status/${session.id}/`);
    expect(failed.status).toBe(503);
    expect(failed.body.detail).toMatch(/video service is unavailable/);
  });

  it("no token: 401 with DRF's message", async () => {
    for (const path of ["/video-token/1/", "/psychologist/schedule/", "/"]) {
      const response = await api(undefined, path);
      expect([path, response.status, response.body]).toEqual([
        path,
        401,
        { detail: "Authentication credentials were not provided." },
      ]);
    }
  });
});

describe(`psychologist video: schedule and appointment lists (${engine})`, () => {
  let psychologist: UserRow;
  let sessions: SessionRow[];

  beforeAll(async () => {
    // Five appointments in New York (the tenant's zone), one per day from Friday 2026-01-30 19:00 local (00:00 UTC next day).
    psychologist = await makeUser(t.database, a.tenant, "PROVIDER");
    sessions = [];
    for (let i = 0; i < 5; i++) {
      const startsAt = new Date(Date.UTC(2026, 0, 31 + i, 0));
      sessions.push(
        await makeSession(t.database, a.tenant, {
          providerId: psychologist.id,
          clientId: a.client.id,
          startsAt,
          endsAt: new Date(startsAt.getTime() + 3_600_000),
          status: i === 4 ? "COMPLETED" : "SCHEDULED",
        }),
      );
    }
  });

  const ids = (body: { results: { id: number }[] }) => body.results.map((r) => r.id);

  it("pages like DRF: absolute next/previous links on PUBLIC_BASE_URL, the first page's link without page; past the last page 404 Invalid page.", async () => {
    const first = await api(psychologist, "/psychologist/schedule/?page_size=2");
    const second = await api(psychologist, "/psychologist/schedule/?page_size=2&page=2");
    const last = await api(psychologist, "/psychologist/schedule/?page_size=2&page=3");
    const beyond = await api(psychologist, "/psychologist/schedule/?page_size=2&page=4");
    const garbage = await api(psychologist, "/psychologist/schedule/?page=abc");

    expect(first.body).toMatchObject({
      count: 5,
      previous: null,
      next: "https://yourwebsite.com/api/appointments/psychologist/schedule/?page_size=2&page=2",
    });
    expect(ids(first.body)).toEqual([sessions[0].id, sessions[1].id]);
    expect(second.body).toMatchObject({
      next: "https://yourwebsite.com/api/appointments/psychologist/schedule/?page_size=2&page=3",
      previous: "https://yourwebsite.com/api/appointments/psychologist/schedule/?page_size=2",
    });
    expect(ids(second.body)).toEqual([sessions[2].id, sessions[3].id]);
    expect(last.body).toMatchObject({
      count: 5,
      next: null,
      previous: "https://yourwebsite.com/api/appointments/psychologist/schedule/?page_size=2&page=2",
    });
    expect(ids(last.body)).toEqual([sessions[4].id]);
    expect([beyond.status, beyond.body]).toEqual([404, { detail: "Invalid page." }]);
    expect([garbage.status, garbage.body]).toEqual([404, { detail: "Invalid page." }]);
  });

  it("page_size defaults to 50 (schedule) and is capped at 100; a bad page_size is a 400", async () => {
    const capped = await api(psychologist, "/psychologist/schedule/?page_size=500");
    const bad = await api(psychologist, "/psychologist/schedule/?page_size=0");

    expect(capped.status).toBe(200);
    expect(capped.body.results).toHaveLength(5);
    expect([bad.status, bad.body]).toEqual([400, { page_size: ["Ensure this value is greater than or equal to 1."] }]);
  });

  it("filters by local dates, month and year of the caller's zone, and by status (all = any)", async () => {
    const filter = async (query: string) => ids((await api(psychologist, `/psychologist/schedule/?${query}`)).body);

    // The first appointment is 2026-01-30 19:00 in New York, though 2026-01-31 in UTC.
    expect(await filter("start_date=2026-01-30&end_date=2026-01-30")).toEqual([sessions[0].id]);
    expect(await filter("month=2026-01")).toEqual([sessions[0].id, sessions[1].id]);
    expect(await filter("month=2026-02&end_date=2026-02-01")).toEqual([sessions[2].id]);
    expect(await filter("year=2026&start_date=2026-02-02")).toEqual([sessions[3].id, sessions[4].id]);
    expect(await filter("year=2025&month=2026-01")).toEqual([]);
    expect(await filter("status=completed")).toEqual([sessions[4].id]);
    expect(await filter("status=all")).toHaveLength(5);
    expect(await filter("status=")).toHaveLength(5);
    expect(await filter("status=confirmed")).toEqual([]);
  });

  it("GET /api/appointments/ with date_from, date_to and status; a patient sees their own appointments", async () => {
    const mine = await api(psychologist, "/?date_from=2026-01-31&date_to=2026-02-01&status=scheduled");
    const patient = await api(a.client, "/?date_from=2026-01-30&date_to=2026-02-03");

    expect(ids(mine.body)).toEqual([sessions[1].id, sessions[2].id]);
    expect(mine.body.next).toBeNull();
    expect(ids(patient.body)).toEqual(sessions.map((s) => s.id));
  });

  it("bad query values: DRF field errors, all at once", async () => {
    const response = await api(
      psychologist,
      "/psychologist/schedule/?start_date=2026-02-30&month=2026-13&year=26&status=late",
    );

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      start_date: ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
      month: ["Month has wrong format. Use one of these formats instead: YYYY-MM."],
      year: ["Year has wrong format. Use one of these formats instead: YYYY."],
      status: ['"late" is not a valid choice.'],
    });
  });

  it("the schedule is a psychologist's: a patient gets 403; the paths need their trailing slash", async () => {
    const patient = await api(a.client, "/psychologist/schedule/");
    const slashless = await api(psychologist, "/psychologist/schedule");
    const listSlashless = await api(psychologist, "");

    expect(patient.status).toBe(403);
    expect(Object.keys(patient.body)).toEqual(["detail"]);
    expect([slashless.status, slashless.body]).toEqual([404, { detail: "Not found." }]);
    expect([listSlashless.status, listSlashless.body]).toEqual([404, { detail: "Not found." }]);
  });
});
