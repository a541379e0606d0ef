import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/client.js";
import { domainEvents } from "../../src/db/schema/index.js";
import { bookSession } from "../../src/modules/sessions/index.js";
import { requestContext, startTestApp, type TestApp } from "../helpers/app.js";
import { captureStatements, engine } from "../helpers/db.js";
import { asTenant } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { at, BOOK, dataOf, errorOf, NOW, practiceWithHours } from "./subscriptions.fixture.js";

/** Every text field a session can hold, each with a marker that must never reach the outbox. */
const CLINICAL = {
  title: "TITLE-MARKER",
  description: "DESCRIPTION-MARKER",
  notes: "NOTES-V1-MARKER",
  providerNotes: "PROVIDER-NOTES-MARKER",
};
const MARKERS = /MARKER/;

const WATCH = `subscription($providerId: ID, $after: String) {
  sessionChanged(providerId: $providerId, after: $after) {
    id type cursor session { id status startsAt endsAt title description notes providerNotes clientFeedback location provider { id } client { id } }
  }
}`;
type Watched = {
  sessionChanged: {
    id: string;
    type: string;
    cursor: string;
    session: {
      id: string;
      status: string;
      startsAt: string;
      endsAt: string;
      title: string | null;
      description: string | null;
      notes: string | null;
      providerNotes: string | null;
      clientFeedback: string | null;
      location: string | null;
    };
  };
};

let t: TestApp;
let p: Awaited<ReturnType<typeof practiceWithHours>>;

beforeAll(async () => {
  // Prunes every second here, so the prune test sees the server do it by itself.
  t = await startTestApp({ now: () => NOW, env: { EVENT_PRUNE_INTERVAL_SECONDS: "1" } });
  p = await practiceWithHours(t);
});
afterAll(() => t.close());

/** Ends the subscriptions and waits until the server has let go of them (the next test counts its own). */
async function ending(...subs: Array<{ dispose(): Promise<void> }>) {
  await Promise.all(subs.map((s) => s.dispose()));
  await eventually(() => t.app.deps.events.subscriberCount === 0, "a subscription was never released");
}

async function watching(token: string, variables: Record<string, unknown> = {}) {
  const before = t.app.deps.events.subscriberCount;
  const s = subscribe<Watched>(t.url, token, WATCH, variables);
  await eventually(() => t.app.deps.events.subscriberCount === before + 1, "the subscription never registered");
  return s;
}

const eventRows = (sessionId: number) =>
  asTenant(t.database, p.tenant.id, (tx) =>
    tx.select().from(domainEvents).where(eq(domainEvents.sessionId, sessionId)).orderBy(domainEvents.id),
  );
/** Moves an event's time back (as the owner: the request role may not update events). */
const age = (eventId: number, days: number) =>
  t.database.db.execute(
    sql`update domain_events set occurred_at = now() - make_interval(days => ${days}::int) where id = ${eventId}`,
  );

/** The next free half hour of the provider's Mondays (14:00Z to 22:00Z), one per hour. */
let slot = 0;
const nextStart = () => {
  const n = slot++;
  return at(14 + (n % 8), 0, 7 + 7 * Math.floor(n / 8));
};
async function bookWithText(token = p.tokens.provider) {
  const input = {
    clientId: String(p.client.id),
    startsAt: nextStart().toISOString(),
    durationMinutes: 30,
    ...CLINICAL,
  };
  return dataOf(await t.gql(BOOK, { input }, token)).bookSession as { id: string };
}

describe(`events carry no clinical text (${engine})`, () => {
  it("the outbox rows of a booking, an update, a reschedule, a cancellation hold no text, only ids, times, status and people", async () => {
    const booked = await bookWithText();
    const id = booked.id;
    dataOf(
      await t.gql(
        `mutation($id: ID!) { updateSession(id: $id, input: { notes: "NOTES-V2-MARKER", location: "Room MARKER" }) { id } }`,
        { id },
        p.tokens.provider,
      ),
    );
    dataOf(
      await t.gql(
        `mutation($id: ID!, $s: DateTime!) { rescheduleSession(id: $id, startsAt: $s, reason: "REASON-MARKER") { id } }`,
        { id, s: nextStart().toISOString() },
        p.tokens.provider,
      ),
    );
    dataOf(
      await t.gql(
        `mutation($id: ID!) { cancelSession(id: $id, reason: "CANCEL-MARKER") { id } }`,
        { id },
        p.tokens.client,
      ),
    );

    const rows = await eventRows(Number(id));
    expect(rows.map((r) => r.type)).toEqual(["BOOKED", "UPDATED", "RESCHEDULED", "CANCELLED"]);
    for (const row of rows) {
      expect(JSON.stringify(row)).not.toMatch(MARKERS);
      expect(row).not.toHaveProperty("snapshot");
      expect(row.payload).toMatchObject({
        appointmentId: row.sessionId,
        clientId: p.client.id,
        therapistId: p.provider.id,
        status: expect.any(String),
      });
    }
    // The column that held the whole session row is gone from the table itself.
    const columns = rowsOf<{ column_name: string }>(
      await t.database.db.execute(
        sql`select column_name from information_schema.columns where table_name = 'domain_events'`,
      ),
    );
    expect(columns.map((c) => c.column_name).sort()).toEqual([
      "client_id",
      "id",
      "occurred_at",
      "payload",
      "provider_id",
      "session_id",
      "tenant_id",
      "type",
    ]);
  });

  it("a subscriber receives the session's current state under its own visibility; an old note is never replayed", async () => {
    const watcher = await watching(p.tokens.provider, { providerId: String(p.provider.id) });
    const booked = await bookWithText();
    const first = (await watcher.nth(1)).data!.sessionChanged;
    await ending(watcher);
    dataOf(
      await t.gql(
        `mutation($id: ID!) { updateSession(id: $id, input: { notes: "NOTES-V2" }) { id } }`,
        { id: booked.id },
        p.tokens.provider,
      ),
    );

    // Replayed from before the update: the BOOKED event shows the notes as they are now, not as booked.
    const replay = await watching(p.tokens.provider, {
      providerId: String(p.provider.id),
      after: String(Number(first.cursor) - 1),
    });
    const client = await watching(p.tokens.client, { after: String(Number(first.cursor) - 1) });
    await replay.nth(2);
    await client.nth(2);
    for (const r of replay.received)
      expect(r.data!.sessionChanged.session).toMatchObject({
        id: booked.id,
        notes: "NOTES-V2",
        providerNotes: CLINICAL.providerNotes,
      });
    expect(replay.received.map((r) => r.data!.sessionChanged.type)).toEqual(["BOOKED", "UPDATED"]);
    // The client sees its session as it is now too, and never the provider's notes.
    for (const r of client.received)
      expect(r.data!.sessionChanged.session).toMatchObject({ id: booked.id, notes: "NOTES-V2", providerNotes: null });
    expect(JSON.stringify([replay.received, client.received])).not.toContain("NOTES-V1");
    await ending(replay, client);
  });

  it("another client's replay holds none of these events (visibility filtered in the replay's SQL)", async () => {
    const booked = await bookWithText();
    const [row] = await eventRows(Number(booked.id));
    const { statements: texts } = await captureStatements(t.database, async () => {
      const other = await watching(p.tokens.otherClient, { after: String(row.id - 1) });
      const live = await watching(p.tokens.otherClient);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(other.received).toEqual([]);
      expect(live.received).toEqual([]);
      await ending(other, live);
    });
    const replay = texts.find((text) => /from "domain_events"/.test(text) && /"domain_events"\."id" > \$/.test(text));
    expect(replay, texts.join("\n")).toBeDefined();
    expect(replay).toMatch(/"domain_events"\."provider_id" = \$\d+ or "domain_events"\."client_id" = \$\d+/);
  });

  it("a deleted session is delivered with its ids, times and status only", async () => {
    const admin = await watching(p.tokens.admin);
    const booked = await bookWithText();
    const start = (await admin.nth(1)).data!.sessionChanged.session.startsAt;
    expect(
      dataOf(await t.gql(`mutation($id: ID!) { deleteSession(id: $id) }`, { id: booked.id }, p.tokens.admin))
        .deleteSession,
    ).toBe(true);
    const deleted = (await admin.nth(2)).data!.sessionChanged;
    expect(deleted).toMatchObject({ type: "UPDATED" });
    expect(deleted.session).toEqual({
      id: booked.id,
      status: "SCHEDULED",
      startsAt: start,
      endsAt: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
      title: null,
      description: null,
      notes: null,
      providerNotes: null,
      clientFeedback: null,
      location: null,
      provider: { id: String(p.provider.id) },
      client: { id: String(p.client.id) },
    });
    // The earlier BOOKED event, replayed now, shows the deleted session the same way.
    const replay = await watching(p.tokens.admin, {
      after: String(Number(admin.received[0].data!.sessionChanged.cursor) - 1),
    });
    expect((await replay.nth(1)).data!.sessionChanged.session).toMatchObject({
      id: booked.id,
      notes: null,
      title: null,
      status: "SCHEDULED",
    });
    expect(JSON.stringify(replay.received)).not.toMatch(MARKERS);
    await ending(admin, replay);
  });
});

describe(`retention and cursors (${engine})`, () => {
  it("the server prunes events older than EVENT_RETENTION_DAYS by itself; newer ones stay", async () => {
    const old = await bookWithText();
    const recent = await bookWithText();
    const [oldEvent] = await eventRows(Number(old.id));
    const [recentEvent] = await eventRows(Number(recent.id));
    await age(oldEvent.id, 31);
    await age(recentEvent.id, 29);
    await eventually(
      async () => (await eventRows(Number(old.id))).length === 0,
      "the old event was never pruned",
      8000,
    );
    expect((await eventRows(Number(recent.id))).map((e) => e.id)).toEqual([recentEvent.id]);
  });

  it("a cursor older than the retention, and a garbage one, are BAD_USER_INPUT telling the client to resync", async () => {
    const booked = await bookWithText();
    const [event] = await eventRows(Number(booked.id));
    const live = await watching(p.tokens.provider, { after: String(event.id) });
    await ending(live);
    await age(event.id, 40);
    for (const after of [String(event.id), "0", "abc", "-1", "1e3", "9".repeat(40), "999999999999999"]) {
      const s = subscribe<Watched>(t.url, p.tokens.provider, WATCH, { after });
      const [error] = (await s.nth(1)).errors!;
      expect(error.extensions, after).toMatchObject({
        code: "BAD_USER_INPUT",
        reason: "INVALID_CURSOR",
        fieldErrors: { after: expect.any(String) },
      });
      expect(error.message).not.toMatch(/select|domain_events/i);
      if (after === String(event.id)) expect(error.message).toMatch(/resync/);
      await s.dispose();
    }
  });

  it("a forged sessions-connection cursor is BAD_USER_INPUT, not a database error", async () => {
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const QUERY = `query($after: String, $order: SessionOrder) { sessions(first: 2, after: $after, orderBy: $order) { totalCount } }`;
    const cases: Array<[unknown, Record<string, string> | undefined]> = [
      [["STARTS_AT", "not a time", 1], undefined],
      [["STARTS_AT", "2030-13-45 99:00:00+00", 1], undefined],
      [["STARTS_AT", "2030-01-07 14:00:00+00", 2 ** 40], undefined],
      [["STATUS", "DELETED", 1], { field: "STATUS", direction: "ASC" }],
    ];
    for (const [value, order] of cases) {
      const result = await t.gql(QUERY, { after: forge(value), order }, p.tokens.admin);
      expect(errorOf(result), JSON.stringify(value)).toMatchObject({
        code: "BAD_USER_INPUT",
        reason: "INVALID_CURSOR",
        fieldErrors: { after: expect.any(String) },
      });
      expect(result.errors![0].message).not.toMatch(/select |from |timestamptz/i);
    }
    // A real cursor still pages.
    const page = dataOf(await t.gql(`{ sessions(first: 1) { pageInfo { endCursor } } }`, {}, p.tokens.admin)).sessions;
    expect(
      dataOf(await t.gql(QUERY, { after: page.pageInfo.endCursor }, p.tokens.admin)).sessions.totalCount,
    ).toBeGreaterThan(0);
  });
});

// PGlite never drops its LISTEN; only a real server can lose the listening connection.
describe.skipIf(engine === "pglite")(`no lost live events (${engine})`, () => {
  it("after the listening backend is terminated, an event committed during the outage is delivered exactly once", async () => {
    const s = await watching(p.tokens.provider, { providerId: String(p.provider.id) });
    // A booking whose transaction is open (the request's scope), committed the moment the listener is gone.
    const ctx = requestContext(t, p.tenant, p.provider, "outage");
    const during = await bookSession(ctx, { clientId: p.client.id, startsAt: nextStart(), durationMinutes: 30 });
    const listeners = rowsOf<{ pid: number }>(
      await t.database.db.execute(
        sql`select pid from pg_stat_activity where datname = current_database() and query ilike 'listen %' and pid <> pg_backend_pid()`,
      ),
    );
    expect(listeners).toHaveLength(1);
    // Waits until the backend has exited: the commit below happens while nobody listens.
    const [terminated] = rowsOf<{ ok: boolean }>(
      await t.database.db.execute(sql`select pg_terminate_backend(${listeners[0].pid}::int, 5000) as ok`),
    );
    expect(terminated.ok).toBe(true);
    await ctx.db.finish(true);

    const received = (await s.nth(1, 10_000)).data!.sessionChanged;
    expect(received).toMatchObject({ type: "BOOKED", session: { id: String(during.id) } });
    // Live delivery goes on after the reconnect, and the outage's event is not delivered again.
    const after = await bookWithText();
    await s.nth(2, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(s.received.map((r) => r.data!.sessionChanged.session.id)).toEqual([String(during.id), after.id]);
    await ending(s);
  });
});
