import { eq, sql } from "drizzle-orm";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/client.js";
import { sessions, type SessionRow, type TenantRow, type UserRow } from "../../src/db/schema/index.js";
import { httpContext } from "../../src/http/request-context.js";
import { issueVideoAccess, TwilioVideoProvider } from "../../src/modules/video/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { FakeTwilio } from "../helpers/fake-twilio.js";

const creds = {
  accountSid: `AC${"a1".repeat(16)}`,
  apiKeySid: `SK${"b2".repeat(16)}`,
  apiKeySecret: "test-api-key-secret-0123456789abcdef",
};

const ISSUE = `mutation ($id: ID!) { issueVideoAccess(sessionId: $id) {
  accessToken roomName identity expiresIn expiresAt sessionId durationMinutes refreshedAt } }`;
const STATUS = `query ($id: ID!) { videoRoomStatus(sessionId: $id) {
  roomName roomSid status participantsCount durationSeconds createdAt sessionId
  participants { sid identity status durationSeconds connectedAt } } }`;

let fake: FakeTwilio;
let app: TestApp;
let a: Awaited<ReturnType<typeof makePractice>>;
let b: Awaited<ReturnType<typeof makePractice>>;
let otherProvider: UserRow;
const tokens = new Map<UserRow, string>();
/** One app serves every moment: tests move this clock. */
let currentNow = new Date("2030-01-06T12:00:00Z");

beforeAll(async () => {
  fake = await FakeTwilio.start();
  const video = new TwilioVideoProvider({ ...creds, httpClient: fake.httpClient({ timeout: 2_000 }) });
  app = await startTestApp({ now: () => currentNow, video });
  a = await makePractice(app.database);
  b = await makePractice(app.database);
  otherProvider = await makeUser(app.database, a.tenant, "PROVIDER");
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function tokenOf(user: UserRow, tenant: TenantRow = user.tenantId === b.tenant.id ? b.tenant : a.tenant) {
  if (!tokens.has(user)) tokens.set(user, await app.token(user, tenant));
  return tokens.get(user)!;
}

let day = 0;
/** A fresh 60-minute VIDEO session of a.provider with a.client, each on its own day (no overlaps). */
function videoSession(values: Partial<SessionRow> & { minutes?: number } = {}) {
  const { minutes = 60, ...rest } = values;
  const startsAt = new Date(Date.UTC(2030, 1, 1 + day++, 15));
  return makeSession(app.database, a.tenant, {
    providerId: a.provider.id,
    clientId: a.client.id,
    startsAt,
    endsAt: new Date(startsAt.getTime() + minutes * 60_000),
    modality: "VIDEO",
    status: "CONFIRMED",
    ...rest,
  });
}

const minutesBefore = (s: SessionRow, m: number) => new Date(s.startsAt.getTime() - m * 60_000);

async function issue(session: SessionRow, user: UserRow) {
  return app.gql(ISSUE, { id: String(session.id) }, await tokenOf(user));
}
async function status(session: SessionRow, user: UserRow) {
  return app.gql(STATUS, { id: String(session.id) }, await tokenOf(user));
}

async function storedRoom(session: SessionRow): Promise<string | null> {
  const [row] = await asTenant(app.database, session.tenantId, (tx) =>
    tx.select({ room: sessions.videoRoomName }).from(sessions).where(eq(sessions.id, session.id)),
  );
  return row.room;
}

async function verify(token: string) {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(creds.apiKeySecret), {
    algorithms: ["HS256"],
    issuer: creds.apiKeySid,
    subject: creds.accountSid,
    requiredClaims: ["exp", "iat"],
  });
  return payload as typeof payload & { grants: { identity: string; video: { room: string } } };
}

/** PostgreSQL only: statements of this database blocked in an UPDATE of sessions. */
async function updatesWaitingForLocks(): Promise<number> {
  const result = await app.database.db.execute(
    sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'update "sessions"%'`,
  );
  return rowsOf<{ n: number }>(result)[0].n;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function errorOf(result: Awaited<ReturnType<TestApp["gql"]>>) {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  return result.errors![0];
}

describe(`issueVideoAccess (${engine})`, () => {
  it("gives the provider a token for the session's new room, verifiable with the API key secret", async () => {
    const session = await videoSession();
    currentNow = minutesBefore(session, 5);

    const { data, errors } = await issue(session, a.provider);

    expect(errors).toBeUndefined();
    const access = data!.issueVideoAccess;
    const unix = Math.floor(currentNow.getTime() / 1000);
    expect(access.roomName).toMatch(new RegExp(`^apt-${session.id}-${unix}-[0-9a-f]{8}$`));
    expect(access).toMatchObject({
      identity: `${a.provider.id}-${a.provider.email}`,
      expiresIn: 5400,
      expiresAt: new Date(currentNow.getTime() + 5400_000).toISOString(),
      sessionId: String(session.id),
      durationMinutes: 60,
      refreshedAt: null,
    });
    const payload = await verify(access.accessToken);
    expect(payload.grants.video).toEqual({ room: access.roomName });
    expect(payload.grants.identity).toBe(access.identity);
    expect(payload.exp! - payload.iat!).toBe(5400);
    expect(await storedRoom(session)).toBe(access.roomName);
    expect(fake.requests).toEqual([]); // tokens are signed offline
  });

  it("calling again (here: the client) gives a fresh token for the same room with refreshedAt set", async () => {
    const session = await videoSession();
    currentNow = minutesBefore(session, 2);
    const first = (await issue(session, a.provider)).data!.issueVideoAccess;
    currentNow = new Date(session.startsAt.getTime() + 30 * 60_000);

    const { data, errors } = await issue(session, a.client);

    expect(errors).toBeUndefined();
    const again = data!.issueVideoAccess;
    expect(again).toMatchObject({
      roomName: first.roomName,
      identity: `${a.client.id}-${a.client.email}`,
      refreshedAt: currentNow.toISOString(),
      expiresIn: 5400,
    });
    expect(again.accessToken).not.toBe(first.accessToken);
    expect((await verify(again.accessToken)).grants).toMatchObject({
      identity: again.identity,
      video: { room: first.roomName },
    });
    expect(await storedRoom(session)).toBe(first.roomName);
  });

  it("concurrent first calls agree on one room", async () => {
    const session = await videoSession();
    currentNow = minutesBefore(session, 1);
    const users = [a.provider, a.client, a.admin, a.provider];
    await Promise.all(users.map((u) => tokenOf(u)));

    // On PostgreSQL, hold the session row until every request waits in its UPDATE, so they all
    // race for the room. (PGlite has one connection: requests run one after the other anyway.)
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holder: Promise<unknown> = Promise.resolve();
    if (engine === "postgres") {
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      holder = asTenant(app.database, a.tenant.id, async (tx) => {
        await tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, session.id)).for("update");
        locked();
        await released;
      });
      await isLocked;
    }
    const pending = Promise.all(users.map((u) => issue(session, u)));
    if (engine === "postgres") await until(async () => (await updatesWaitingForLocks()) === users.length);
    release();
    await holder;
    const results = await pending;

    const accesses = results.map((r) => {
      expect(r.errors).toBeUndefined();
      return r.data!.issueVideoAccess;
    });
    expect(new Set(accesses.map((x) => x.roomName)).size).toBe(1);
    expect(accesses.filter((x) => x.refreshedAt === null)).toHaveLength(1);
    expect(await storedRoom(session)).toBe(accesses[0].roomName);
  });

  it("the refresh option (the legacy refresh endpoint) sets refreshedAt even on the first call", async () => {
    const session = await videoSession();
    currentNow = session.startsAt;
    // The context the REST shim will build for a request: the real one, with its own transaction.
    const ctx = await httpContext(app.app.deps, app.app.auth, { authorization: `Bearer ${await tokenOf(a.client)}` });
    const access = await issueVideoAccess(ctx, session.id, { refresh: true }).finally(() => ctx.db.finish(true));
    expect(access).toMatchObject({
      refreshedAt: currentNow,
      sessionId: session.id,
      expiresIn: 5400,
      durationMinutes: 60,
    });
    expect(await storedRoom(session)).toBe(access.roomName);
  });

  it("uses the username in the identity when the user has no email", async () => {
    const client = await makeUser(app.database, a.tenant, "CLIENT", { email: null });
    const session = await videoSession({ clientId: client.id });
    currentNow = session.startsAt;
    const { data } = await issue(session, client);
    expect(data!.issueVideoAccess.identity).toBe(`${client.id}-${client.username}`);
  });

  it("caps the lifetime at 24 hours", async () => {
    const session = await videoSession({ minutes: 23 * 60 + 45 });
    currentNow = session.startsAt;
    const access = (await issue(session, a.provider)).data!.issueVideoAccess;
    expect(access).toMatchObject({ durationMinutes: 1425, expiresIn: 86_400 });
    const payload = await verify(access.accessToken);
    expect(payload.exp! - payload.iat!).toBe(86_400);
  });

  describe("who may join", () => {
    let session: SessionRow;
    beforeAll(async () => {
      session = await videoSession();
    });
    beforeEach(() => {
      currentNow = session.startsAt;
    });

    // Issue 14: someone else's session is NOT_FOUND, like another tenant's (it was FORBIDDEN).
    it("another provider of the tenant: NOT_FOUND, and no room is created", async () => {
      expect(errorOf(await issue(session, otherProvider)).extensions.code).toBe("NOT_FOUND");
      expect(await storedRoom(session)).toBeNull();
    });

    it("another client of the tenant: NOT_FOUND", async () => {
      expect(errorOf(await issue(session, a.otherClient)).extensions.code).toBe("NOT_FOUND");
      expect(await storedRoom(session)).toBeNull();
    });

    it("another tenant, even its admin: NOT_FOUND", async () => {
      expect(errorOf(await issue(session, b.admin)).extensions.code).toBe("NOT_FOUND");
      expect(await storedRoom(session)).toBeNull();
    });

    it("an unknown session: NOT_FOUND; a malformed id: BAD_USER_INPUT", async () => {
      expect(errorOf(await app.gql(ISSUE, { id: "999999999" }, await tokenOf(a.admin))).extensions.code).toBe(
        "NOT_FOUND",
      );
      expect(errorOf(await app.gql(ISSUE, { id: "abc" }, await tokenOf(a.admin))).extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        fieldErrors: { sessionId: expect.any(String) },
      });
    });

    it("the tenant's admin and the session's client may", async () => {
      const admin = (await issue(session, a.admin)).data!.issueVideoAccess;
      expect(admin.identity).toBe(`${a.admin.id}-${a.admin.email}`);
      const client = (await issue(session, a.client)).data!.issueVideoAccess;
      expect(client.roomName).toBe(admin.roomName);
    });
  });

  describe("which sessions can be joined", () => {
    it.each([
      ["cancelled", { status: "CANCELLED" }, /cancelled: only scheduled or confirmed/],
      ["completed", { status: "COMPLETED" }, /completed: only scheduled or confirmed/],
      ["non-video", { modality: "IN_PERSON" }, /not a video session \(modality IN_PERSON\)/],
    ] as const)("a %s session: BAD_USER_INPUT saying why, nothing stored", async (_, values, message) => {
      const session = await videoSession(values);
      currentNow = session.startsAt;
      const error = errorOf(await issue(session, a.provider));
      expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", fieldErrors: { sessionId: error.message } });
      expect(error.message).toMatch(message);
      expect(await storedRoom(session)).toBeNull();
    });

    it("a scheduled (unconfirmed) session can be joined", async () => {
      const session = await videoSession({ status: "SCHEDULED" });
      currentNow = session.startsAt;
      expect((await issue(session, a.provider)).errors).toBeUndefined();
    });
  });

  describe("the join window: 10 minutes before the start until the end", () => {
    let session: SessionRow;
    beforeAll(async () => {
      session = await videoSession();
    });

    it("11 minutes before the start: BAD_USER_INPUT saying when joining opens", async () => {
      currentNow = minutesBefore(session, 11);
      const error = errorOf(await issue(session, a.client));
      expect(error.extensions.code).toBe("BAD_USER_INPUT");
      expect(error.message).toContain(`opens at ${minutesBefore(session, 10).toISOString()}`);
      expect(await storedRoom(session)).toBeNull();
    });

    it("10 minutes before the start: a token", async () => {
      currentNow = minutesBefore(session, 10);
      const { data, errors } = await issue(session, a.client);
      expect(errors).toBeUndefined();
      expect(data!.issueVideoAccess.expiresIn).toBe(5400);
    });

    it("one second before the end: a token", async () => {
      currentNow = new Date(session.endsAt.getTime() - 1000);
      expect((await issue(session, a.provider)).errors).toBeUndefined();
    });

    it("at or after the end: BAD_USER_INPUT saying the session ended", async () => {
      const room = await storedRoom(session);
      for (const at of [session.endsAt, new Date(session.endsAt.getTime() + 3600_000)]) {
        currentNow = at;
        const error = errorOf(await issue(session, a.provider));
        expect(error.extensions.code).toBe("BAD_USER_INPUT");
        expect(error.message).toContain(`ended at ${session.endsAt.toISOString()}`);
      }
      expect(await storedRoom(session)).toBe(room);
    });
  });
});

describe(`videoRoomStatus (${engine})`, () => {
  const roomSid = `RM${"c3".repeat(16)}`;

  async function sessionWithRoom() {
    const session = await videoSession();
    currentNow = session.startsAt;
    const { roomName } = (await issue(session, a.provider)).data!.issueVideoAccess;
    fake.reset();
    return { session, roomName: roomName as string };
  }

  it("in progress with two participants", async () => {
    const { session, roomName } = await sessionWithRoom();
    fake.setRoom(roomName, {
      sid: roomSid,
      status: "in-progress",
      duration: 1200,
      date_created: "2030-02-01T15:00:00Z",
      participants: [
        {
          sid: `PA${"01".repeat(16)}`,
          identity: `${a.provider.id}-${a.provider.email}`,
          status: "connected",
          duration: 1200,
          start_time: "2030-02-01T15:00:00Z",
        },
        {
          sid: `PA${"02".repeat(16)}`,
          identity: `${a.client.id}-${a.client.email}`,
          status: "connected",
          duration: 1140,
          start_time: "2030-02-01T15:01:00Z",
        },
      ],
    });

    for (const user of [a.provider, a.client, a.admin]) {
      const { data, errors } = await status(session, user);
      expect(errors).toBeUndefined();
      expect(data!.videoRoomStatus).toEqual({
        roomName,
        roomSid,
        status: "in-progress",
        participantsCount: 2,
        durationSeconds: 1200,
        createdAt: "2030-02-01T15:00:00.000Z",
        sessionId: String(session.id),
        participants: [
          {
            sid: `PA${"01".repeat(16)}`,
            identity: `${a.provider.id}-${a.provider.email}`,
            status: "connected",
            durationSeconds: 1200,
            connectedAt: "2030-02-01T15:00:00.000Z",
          },
          {
            sid: `PA${"02".repeat(16)}`,
            identity: `${a.client.id}-${a.client.email}`,
            status: "connected",
            durationSeconds: 1140,
            connectedAt: "2030-02-01T15:01:00.000Z",
          },
        ],
      });
    }
    expect(fake.requests.every((r) => r.host === "video.twilio.com")).toBe(true);
  });

  it("a room Twilio does not know: not-started with no participants", async () => {
    const { session, roomName } = await sessionWithRoom();
    const { data, errors } = await status(session, a.client);
    expect(errors).toBeUndefined();
    expect(data!.videoRoomStatus).toEqual({
      roomName,
      roomSid: null,
      status: "not-started",
      participantsCount: 0,
      participants: [],
      durationSeconds: null,
      createdAt: null,
      sessionId: String(session.id),
    });
    expect(fake.requests.length).toBeGreaterThan(0); // Twilio was asked
  });

  it("before any token: not-started, no room name, Twilio not asked, nothing stored", async () => {
    const session = await videoSession();
    const { data, errors } = await status(session, a.provider);
    expect(errors).toBeUndefined();
    expect(data!.videoRoomStatus).toMatchObject({
      roomName: null,
      roomSid: null,
      status: "not-started",
      participantsCount: 0,
      participants: [],
    });
    expect(fake.requests).toEqual([]);
    expect(await storedRoom(session)).toBeNull();
  });

  it("a Twilio 500: UNAVAILABLE with a clear message, not a 500", async () => {
    const { session, roomName } = await sessionWithRoom();
    fake.setRoom(roomName, { sid: roomSid, status: "in-progress" });
    fake.failWith(500);
    const result = await status(session, a.provider);
    expect(result.status).toBe(200);
    const error = errorOf(result);
    expect(error.extensions.code).toBe("UNAVAILABLE");
    expect(error.message).toMatch(/video service is unavailable.*HTTP 500/);
  });

  it("the same access rules: other provider or client, and other tenant, NOT_FOUND", async () => {
    const { session } = await sessionWithRoom();
    expect(errorOf(await status(session, otherProvider)).extensions.code).toBe("NOT_FOUND");
    expect(errorOf(await status(session, a.otherClient)).extensions.code).toBe("NOT_FOUND");
    expect(errorOf(await status(session, b.provider)).extensions.code).toBe("NOT_FOUND");
    expect(fake.requests).toEqual([]);
  });
});

describe(`without Twilio configured (${engine})`, () => {
  let bare: TestApp;
  beforeAll(async () => {
    // A second server on the same database, configured without TWILIO_*.
    bare = await startTestApp({ database: app.database, databaseUrl: app.databaseUrl, now: () => currentNow });
  });
  afterAll(() => bare?.close());

  it("has no video provider, and the video operations answer UNAVAILABLE", async () => {
    expect(bare.app.deps.video).toBeUndefined();
    const session = await videoSession();
    currentNow = session.startsAt;
    const token = await bare.token(a.provider, a.tenant);
    for (const query of [ISSUE, STATUS]) {
      const error = errorOf(await bare.gql(query, { id: String(session.id) }, token));
      expect(error).toMatchObject({ message: "video is not configured", extensions: { code: "UNAVAILABLE" } });
    }
    expect(await storedRoom(session)).toBeNull();
  });

  it("still answers NOT_FOUND for another tenant's session, and everything else works", async () => {
    const session = await videoSession();
    const other = await bare.token(b.provider, b.tenant);
    expect(errorOf(await bare.gql(ISSUE, { id: String(session.id) }, other)).extensions.code).toBe("NOT_FOUND");
    const { data, errors } = await bare.gql(`{ me { id } }`, {}, other);
    expect(errors).toBeUndefined();
    expect(data!.me.id).toBe(String(b.provider.id));
  });
});
