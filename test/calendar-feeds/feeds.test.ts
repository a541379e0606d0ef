import { and, eq, isNull } from "drizzle-orm";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calendarFeeds, users, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import { at, BOOK, dataOf, errorOf, iso, NOW, openAllWeek } from "../sessions/sessions.fixture.js";

const FEED = `mutation($userId: ID, $rotate: Boolean) { calendarFeed(userId: $userId, rotate: $rotate) { url } }`;
/** Clinical text set on the sessions below: none of it may appear in a feed. */
const CLINICAL = [
  "NOTE-7f3a",
  "PROVIDER-NOTE-7f3a",
  "DESCRIPTION-7f3a",
  "FEEDBACK-7f3a",
  "EXERCISES-7f3a",
  "REASON-7f3a",
];

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let otherProvider: UserRow;
const tokens = {} as Record<"admin" | "provider" | "client" | "otherClient" | "otherProvider", string>;

beforeAll(async () => {
  // The limit has its own test below, on a server of its own.
  t = await startTestApp({ now: () => NOW, env: { CALENDAR_FEED_REQUESTS_PER_MINUTE: "1000" } });
  p = await makePractice(t.database);
  otherProvider = await makeUser(t.database, p.tenant, "PROVIDER");
  await relate(t.database, p.tenant, p.provider, p.otherClient);
  await openAllWeek(t, p.tenant, p.provider);
  for (const [role, user] of Object.entries({ ...p, otherProvider }))
    if (role !== "tenant") tokens[role as keyof typeof tokens] = await t.token(user as UserRow, p.tenant);
});
afterAll(() => t?.close());

async function newFeed(token: string, variables: Record<string, unknown> = {}): Promise<string> {
  return dataOf(await t.gql<{ calendarFeed: { url: string } }>(FEED, variables, token)).calendarFeed.url;
}

/** The feed's URL on the test server (PUBLIC_BASE_URL defaults to localhost:$PORT, the test listens elsewhere). */
const local = (url: string) => `${t.url}${new URL(url).pathname}`;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(local(url), { headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function events(body: string) {
  const calendar = new ICAL.Component(ICAL.parse(body));
  expect(calendar.name).toBe("vcalendar");
  return calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      sequence: event.sequence,
      status: String(vevent.getFirstPropertyValue("status")),
      summary: event.summary,
      location: event.location,
      description: vevent.getFirstPropertyValue("description"),
    };
  });
}

const byUid = (body: string, sessionId: number) => events(body).find((e) => e.uid.startsWith(`session-${sessionId}@`));

describe("the feed", () => {
  let sessionId: number;
  let url: string;

  beforeAll(async () => {
    const booked = dataOf(
      await t.gql(
        BOOK,
        {
          input: {
            clientId: String(p.client.id),
            startsAt: iso(15),
            durationMinutes: 50,
            modality: "VIDEO",
            notes: CLINICAL[0],
            providerNotes: CLINICAL[1],
            description: CLINICAL[2],
          },
        },
        tokens.provider,
      ),
    );
    sessionId = Number(booked.bookSession.id);
    // Text only a completed or cancelled session carries, written as the database holds it.
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(9, 0, 2),
      endsAt: at(10, 0, 2),
      status: "COMPLETED",
      title: null,
      location: "Room 4",
      clientFeedback: CLINICAL[3],
      exercisesPerformed: CLINICAL[4],
    });
    url = await newFeed(tokens.provider);
  });

  it("is a secret URL under PUBLIC_BASE_URL whose token is stored only as its hash", async () => {
    expect(url).toMatch(new RegExp(`^${t.config.publicBaseUrl}/calendar/[A-Za-z0-9_-]{43}\\.ics$`));
    const token = new URL(url).pathname.split("/")[2].replace(/\.ics$/, "");
    const rows = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.select().from(calendarFeeds).where(eq(calendarFeeds.userId, p.provider.id)),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].tokenHash).not.toContain(token);
  });

  it("answers text/calendar with one VEVENT per session, its UID, times in UTC, SEQUENCE and STATUS", async () => {
    const { status, headers, body } = await get(url);
    expect(status).toBe(200);
    expect(headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(headers.get("cache-control")).toContain("private");
    expect(headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(body).toContain("X-WR-CALNAME:");
    const booked = byUid(body, sessionId)!;
    expect(booked).toMatchObject({
      start: iso(15),
      end: iso(15, 50),
      sequence: 0,
      status: "TENTATIVE",
      summary: `Session with ${p.client.name}`,
      location: "Video session",
      description: null,
    });
    expect(booked.uid).toBe(`session-${sessionId}@sessiongraph`);
    expect(body).toMatch(/DTSTART:20300107T150000Z/);
    expect(events(body).find((e) => e.location === "Room 4")).toMatchObject({
      status: "CONFIRMED",
      summary: `Session with ${p.client.name}`,
    });
  });

  it("never carries notes, provider notes, descriptions, feedback or cancellation reasons", async () => {
    const victim = dataOf(
      await t.gql(
        BOOK,
        { input: { clientId: String(p.client.id), startsAt: iso(18), durationMinutes: 30 } },
        tokens.provider,
      ),
    ).bookSession.id;
    dataOf(
      await t.gql(
        `mutation($id: ID!, $reason: String) { cancelSession(id: $id, reason: $reason) { id } }`,
        { id: victim, reason: CLINICAL[5] },
        tokens.provider,
      ),
    );
    for (const token of [tokens.provider, tokens.client]) {
      const { body } = await get(await newFeed(token, { rotate: true }));
      for (const text of CLINICAL) expect(body).not.toContain(text);
      expect(body).not.toMatch(/^DESCRIPTION/m);
    }
  });

  it("moves DTSTART and raises SEQUENCE on a reschedule, with a new ETag; unchanged, If-None-Match is 304", async () => {
    const url = await newFeed(tokens.provider, { rotate: true });
    const before = await get(url);
    const etag = before.headers.get("etag")!;
    const notModified = await get(url, { "if-none-match": etag });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBe("");
    expect((await get(url, { "if-none-match": `W/${etag}, "other"` })).status).toBe(304);

    dataOf(
      await t.gql(
        `mutation($id: ID!, $startsAt: DateTime!) { rescheduleSession(id: $id, startsAt: $startsAt, durationMinutes: 50) { id } }`,
        { id: String(sessionId), startsAt: iso(16) },
        tokens.provider,
      ),
    );
    const after = await get(url, { "if-none-match": etag });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(etag);
    const was = byUid(before.body, sessionId)!;
    const now = byUid(after.body, sessionId)!;
    expect(now.start).toBe(iso(16));
    expect(now.uid).toBe(was.uid);
    expect(now.sequence).toBeGreaterThan(was.sequence);
  });

  it("shows a cancelled session as STATUS:CANCELLED with a higher SEQUENCE", async () => {
    const url = await newFeed(tokens.client, { rotate: true });
    const before = byUid((await get(url)).body, sessionId)!;
    dataOf(
      await t.gql(
        `mutation($id: ID!) { cancelSession(id: $id, reason: "Ill") { id } }`,
        { id: String(sessionId) },
        tokens.client,
      ),
    );
    const { body } = await get(url);
    const after = byUid(body, sessionId)!;
    expect(after.status).toBe("CANCELLED");
    expect(after.sequence).toBeGreaterThan(before.sequence);
    expect(body).toContain("STATUS:CANCELLED");
    expect(after.summary).toBe(`Session with ${p.provider.name}`);
  });
});

describe("whose sessions", () => {
  it("a client sees only their own, a provider only theirs, an ADMIN's own feed only their own", async () => {
    const mine = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: at(8, 0, 9),
      endsAt: at(9, 0, 9),
    });
    const otherClients = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.otherClient.id,
      startsAt: at(10, 0, 9),
      endsAt: at(11, 0, 9),
    });
    const otherProviders = await makeSession(t.database, p.tenant, {
      providerId: otherProvider.id,
      clientId: p.client.id,
      startsAt: at(12, 0, 9),
      endsAt: at(13, 0, 9),
    });
    const uids = async (token: string) =>
      events((await get(await newFeed(token, { rotate: true }))).body).map((e) =>
        Number(/^session-(\d+)@/.exec(e.uid)![1]),
      );

    const client = await uids(tokens.client);
    expect(client).toEqual(expect.arrayContaining([mine.id, otherProviders.id]));
    expect(client).not.toContain(otherClients.id);
    const provider = await uids(tokens.provider);
    expect(provider).toEqual(expect.arrayContaining([mine.id, otherClients.id]));
    expect(provider).not.toContain(otherProviders.id);
    expect(await uids(tokens.otherClient)).toEqual([otherClients.id]);
    expect(await uids(tokens.admin)).toEqual([]);
  });

  it("leaves out sessions more than 30 days back or a year ahead", async () => {
    const old = await makeSession(t.database, p.tenant, {
      providerId: otherProvider.id,
      clientId: p.otherClient.id,
      startsAt: new Date(NOW.getTime() - 40 * 86_400_000),
      endsAt: new Date(NOW.getTime() - 40 * 86_400_000 + 3_600_000),
    });
    const far = await makeSession(t.database, p.tenant, {
      providerId: otherProvider.id,
      clientId: p.otherClient.id,
      startsAt: new Date(NOW.getTime() + 400 * 86_400_000),
      endsAt: new Date(NOW.getTime() + 400 * 86_400_000 + 3_600_000),
    });
    const near = await makeSession(t.database, p.tenant, {
      providerId: otherProvider.id,
      clientId: p.otherClient.id,
      startsAt: new Date(NOW.getTime() - 20 * 86_400_000),
      endsAt: new Date(NOW.getTime() - 20 * 86_400_000 + 3_600_000),
    });
    const { body } = await get(await newFeed(tokens.otherProvider, { rotate: true }));
    expect(byUid(body, near.id)).toBeDefined();
    expect(byUid(body, old.id)).toBeUndefined();
    expect(byUid(body, far.id)).toBeUndefined();
  });
});

describe("the URL", () => {
  it("is made once: without rotate a second call is CONFLICT CALENDAR_FEED_EXISTS and the URL keeps working", async () => {
    const url = await newFeed(tokens.otherClient, { rotate: true });
    const again = errorOf(await t.gql(FEED, {}, tokens.otherClient));
    expect(again).toMatchObject({ code: "CONFLICT", reason: "CALENDAR_FEED_EXISTS" });
    expect((await get(url)).status).toBe(200);
  });

  it("rotate revokes the old URL (404 like a token that never existed) and the new one answers", async () => {
    const old = await newFeed(tokens.client, { rotate: true });
    expect((await get(old)).status).toBe(200);
    const fresh = await newFeed(tokens.client, { rotate: true });
    expect(fresh).not.toBe(old);
    expect((await get(fresh)).status).toBe(200);

    const revoked = await get(old);
    const unknown = await get(`${t.url}/calendar/${"A".repeat(43)}.ics`);
    const malformed = [
      await get(`${t.url}/calendar/not-a-token.ics`),
      await get(`${t.url}/calendar/${new URL(fresh).pathname.split("/")[2].replace(".ics", "")}`),
      await get(`${t.url}/calendar/a/b/c.ics`),
      await get(`${t.url}/calendar/%zz.ics`),
      await get(`${t.url}/calendar/`),
    ];
    for (const answer of [unknown, ...malformed]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toBe(revoked.body);
      expect(answer.headers.get("content-type")).toBe(revoked.headers.get("content-type"));
      expect(answer.headers.get("etag")).toBeNull();
    }
    expect(revoked.status).toBe(404);
  });

  it("stops answering once its user is deactivated, like an unknown URL", async () => {
    const user = await makeUser(t.database, p.tenant, "CLIENT");
    const url = await newFeed(await t.token(user, p.tenant));
    expect((await get(url)).status).toBe(200);
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx.update(users).set({ status: "inactive" }).where(eq(users.id, user.id)),
    );
    const answer = await get(url);
    expect(answer.status).toBe(404);
    expect(answer.body).toBe((await get(`${t.url}/calendar/${"B".repeat(43)}.ics`)).body);
  });
});

describe("who may get whose feed", () => {
  it("a PROVIDER or CLIENT naming anyone else is FORBIDDEN, whether the id exists or not", async () => {
    for (const [token, userId] of [
      [tokens.client, p.provider.id],
      [tokens.provider, p.client.id],
      [tokens.client, 2_000_000_000],
    ] as const) {
      expect(errorOf(await t.gql(FEED, { userId: String(userId), rotate: true }, token))).toMatchObject({
        code: "FORBIDDEN",
        reason: "FORBIDDEN",
      });
    }
  });

  it("an ADMIN gets anyone's of the tenant (that user's sessions), and NOT_FOUND for another tenant's user", async () => {
    const url = await newFeed(tokens.admin, { userId: String(p.otherClient.id), rotate: true });
    const { status, body } = await get(url);
    expect(status).toBe(200);
    expect(events(body).length).toBeGreaterThan(0);
    const elsewhere = await makePractice(t.database);
    expect(errorOf(await t.gql(FEED, { userId: String(elsewhere.client.id) }, tokens.admin))).toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("concurrent calls, decided by the database", () => {
  it("rotations racing for one user all answer, and exactly one URL is live afterwards", async () => {
    const user = await makeUser(t.database, p.tenant, "CLIENT");
    const token = await t.token(user, p.tenant);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => t.gql<{ calendarFeed: { url: string } }>(FEED, { rotate: true }, token)),
    );
    const urls = results.map((r) => dataOf(r).calendarFeed.url);
    const statuses = await Promise.all(urls.map(async (url) => (await get(url)).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 404)).toHaveLength(7);
    const live = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .select()
        .from(calendarFeeds)
        .where(and(eq(calendarFeeds.userId, user.id), isNull(calendarFeeds.revokedAt))),
    );
    expect(live).toHaveLength(1);
  });

  it("first calls racing without rotate make one URL; the others are CONFLICT", async () => {
    const user = await makeUser(t.database, p.tenant, "PROVIDER");
    const token = await t.token(user, p.tenant);
    const results = await Promise.all(Array.from({ length: 8 }, () => t.gql(FEED, {}, token)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((r) => r.errors))
      expect(errorOf(r)).toMatchObject({ reason: "CALENDAR_FEED_EXISTS" });
  });
});
