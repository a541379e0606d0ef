import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/client.js";
import { auditLog } from "../../src/db/schema/index.js";
import { RequestScope } from "../../src/db/scope.js";
import { TwilioVideoProvider } from "../../src/modules/video/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession } from "../helpers/factories.js";
import { FakeTwilio } from "../helpers/fake-twilio.js";
import { rest } from "../helpers/rest.js";

/**
 * PGlite has one connection that every request's transaction waits for: a request that held its
 * transaction open across a call to Twilio would stop the whole server for as long as Twilio
 * takes. On PostgreSQL it would hold a pool connection "idle in transaction" meanwhile.
 */

const SLOW_MS = 3_000;
const creds = {
  accountSid: `AC${"a1".repeat(16)}`,
  apiKeySid: `SK${"b2".repeat(16)}`,
  apiKeySecret: "test-api-key-secret-0123456789abcdef",
};
const NOW = new Date("2030-01-06T12:00:00Z");
const STATUS = `query ($id: ID!) { videoRoomStatus(sessionId: $id) { status participantsCount sessionId } }`;

let fake: FakeTwilio;
let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let provider: string, client: string;
let sessionId: number;
const ROOM = "apt-slow-room";

beforeAll(async () => {
  fake = await FakeTwilio.start();
  // The client waits longer than the fake is slow: the call succeeds, late.
  const video = new TwilioVideoProvider({ ...creds, httpClient: fake.httpClient({ timeout: 10_000 }) });
  t = await startTestApp({ now: () => NOW, video });
  p = await makePractice(t.database);
  [provider, client] = await Promise.all([t.token(p.provider, p.tenant), t.token(p.client, p.tenant)]);
  const startsAt = new Date("2030-01-06T11:50:00Z");
  const session = await makeSession(t.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    startsAt,
    endsAt: new Date(startsAt.getTime() + 60 * 60_000),
    modality: "VIDEO",
    status: "CONFIRMED",
    videoRoomName: ROOM,
  });
  sessionId = session.id;
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRoom(ROOM, {
    sid: `RM${"0f".repeat(16)}`,
    status: "in-progress",
    participants: [{ sid: `PA${"01".repeat(16)}`, identity: "x", status: "connected" }],
  });
  fake.delay(SLOW_MS);
});

/** Resolves once the fake has received a request: the slow call is under way. */
async function twilioCalled(): Promise<void> {
  const until = Date.now() + 5_000;
  while (!fake.requests.length) {
    if (Date.now() > until) throw new Error("Twilio was never called");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** While the slow call is under way: `{ me { id } }` answers at once, and (PostgreSQL) no connection idles in a transaction. */
async function serverStaysFree(): Promise<void> {
  await twilioCalled();
  const started = performance.now();
  const me = await t.gql(`{ me { id } }`, {}, client);
  const elapsed = performance.now() - started;
  expect(me.errors).toBeUndefined();
  expect(me.data).toEqual({ me: { id: String(p.client.id) } });
  expect(elapsed).toBeLessThan(SLOW_MS / 2);
  if (engine === "postgres") {
    const idle = rowsOf<{ n: number }>(
      await t.database.db.execute(
        sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
      ),
    );
    expect(idle[0].n).toBe(0);
  }
  // Still waiting for Twilio: the checks above ran during the slow call, not after it.
  expect(fake.requests.length).toBeGreaterThan(0);
}

describe(`a slow Twilio holds no transaction (${engine})`, () => {
  it("GraphQL videoRoomStatus: a concurrent { me { id } } is not delayed, and the status still arrives", async () => {
    const status = t.gql(STATUS, { id: String(sessionId) }, provider);
    await serverStaysFree();
    const started = performance.now();
    const result = await status;
    expect(performance.now() - started).toBeGreaterThan(SLOW_MS / 3); // it was still waiting for Twilio
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      videoRoomStatus: { status: "in-progress", participantsCount: 1, sessionId: String(sessionId) },
    });
  }, 20_000);

  it("the REST video shim's video-status: the same, and its answer is complete", async () => {
    const status = rest(t.url, "GET", `/api/appointments/video-status/${sessionId}/`, { token: provider });
    await serverStaysFree();
    const response = await status;
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      room_name: ROOM,
      status: "in-progress",
      participants_count: 1,
      appointment_id: sessionId,
    });
  }, 20_000);

  it("a GraphQL request that reads, calls Twilio, then writes (its audit entry) commits both sides of the call", async () => {
    const before = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(auditLog));
    // The read entry is written after the call, in the request's next transaction.
    const result = await t.gql(
      `query ($id: ID!) { videoRoomStatus(sessionId: $id) { status } session(id: $id) { notes } }`,
      { id: String(sessionId) },
      provider,
    );
    expect(result.errors).toBeUndefined();
    const after = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(auditLog));
    expect(after.slice(before.length)).toMatchObject([
      { action: "read", entity: "Session", entityIds: [String(sessionId)], outcome: "success" },
    ]);
  }, 20_000);
});

describe(`RequestScope.outside (${engine})`, () => {
  it("commits what came before, holds nothing during the call, and gives what follows a new transaction", async () => {
    const scope = new RequestScope(t.database, p.tenant.id);
    const txid = () =>
      scope.run(async (tx) => rowsOf<{ id: string }>(await tx.execute(sql`select txid_current()::text as id`))[0].id);
    const first = await txid();
    const during = await scope.outside(async () => {
      // Another transaction runs to its end while the request waits (on PGlite: only if nothing is held).
      const other = await Promise.race([
        t.database.withTenant(
          p.tenant.id,
          async (tx) => rowsOf<{ n: number }>(await tx.execute(sql`select 1 as n`))[0].n,
        ),
        new Promise((resolve) => setTimeout(() => resolve("blocked"), 2_000)),
      ]);
      return other;
    });
    expect(during).toBe(1);
    const second = await txid();
    expect(second).not.toBe(first);
    expect(await txid()).toBe(second); // one transaction again until the next call outside
    await scope.finish(true);
  }, 20_000);
});
