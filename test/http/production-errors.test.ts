/**
 * Failures the client cannot cause, in production: a real database failure (the app role loses
 * its privilege on a table) answers without stack or SQL, with a correlation id that is also in
 * the log; a statement cancelled by statement_timeout answers UNAVAILABLE / 503 (not a bug); a
 * request past its deadline is rolled back. Every failure writes nothing.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import { Database } from "../../src/db/client.js";
import { sessions } from "../../src/db/schema/index.js";
import { signToken } from "../../src/modules/tenants/jwt.js";
import { engine, openTestDatabase } from "../helpers/db.js";
import { asTenant, makePractice, makeSession } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";

const STATEMENT_TIMEOUT_MS = 400;
const SECRET = "a-production-secret-of-enough-length";

interface Server {
  app: App;
  url: string;
  config: Config;
  lines: string[];
}

let database: Database;
let databaseUrl: string | undefined;
let production: Server;
let p: Awaited<ReturnType<typeof makePractice>>;
let provider: string;
let sessionId: number;

/** A real server in production mode whose log lines are kept. */
async function startServer(db: Database, env: Record<string, string> = {}): Promise<Server> {
  const lines: string[] = [];
  const config = loadConfig({
    NODE_ENV: "production",
    JWT_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    RATE_LIMIT_WRITES_PER_MINUTE: "1000000",
    ...env,
  });
  const app = await createApp({ config, database: db, logStream: { write: (line) => void lines.push(line) } });
  return { app, url: await app.listen(), config, lines };
}

beforeAll(async () => {
  const opened = await openTestDatabase();
  databaseUrl = opened.url;
  database = opened.database;
  if (databaseUrl) {
    // The same database, with a short statement_timeout (PGlite has none: it runs statements to the end).
    await database.close();
    database = await Database.open({ url: databaseUrl, poolMax: 10, statementTimeoutMs: STATEMENT_TIMEOUT_MS });
  }
  production = await startServer(database);
  p = await makePractice(database);
  provider = await signToken(production.config.jwt, { sub: String(p.provider.id), tenant: p.tenant.code }, "1h");
  const start = new Date(Date.now() + 7 * 86_400_000);
  sessionId = (
    await makeSession(database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: start,
      endsAt: new Date(start.getTime() + 3_600_000),
      title: "Original title",
    })
  ).id;
});
afterAll(async () => {
  await production.app.close();
  await database.close();
});

const gql = async (server: Server, query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${provider}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: JSON.parse(text) as { data?: any; errors?: { message: string; extensions: Record<string, any> }[] },
  };
};

const RENAME = `mutation($id: ID!, $title: String!) { updateSession(id: $id, input: { title: $title }) { id title } }`;
const storedTitle = async () =>
  (
    await asTenant(database, p.tenant.id, (tx) =>
      tx
        .select()
        .from(sessions)
        .where(sql`${sessions.id} = ${sessionId}`),
    )
  )[0].title;

/** What must never reach a client: the SQL, the driver's words, file paths and stack frames. */
const LEAKS =
  /select |update |insert |"sessions"|permission denied|Failed query|sessiongraph_app|\.ts:\d+|node_modules|\n\s+at /i;

/** Runs fn while the app role may not read or write sessions: every statement on them fails (42501). */
async function withoutSessionsPrivilege<T>(fn: () => Promise<T>): Promise<T> {
  await database.db.execute(sql`revoke select, insert, update, delete on sessions from sessiongraph_app`);
  try {
    return await fn();
  } finally {
    await database.db.execute(sql`grant select, insert, update, delete on sessions to sessiongraph_app`);
  }
}

const loggedWith = (server: Server, correlationId: string) =>
  server.lines
    .map((line) => JSON.parse(line) as Record<string, any>)
    .filter((entry) => entry.correlationId === correlationId);

describe(`unexpected errors in production (${engine})`, () => {
  it("GraphQL: INTERNAL_SERVER_ERROR without stack or SQL; the correlation id is in the log with the real error; nothing written", async () => {
    const result = await withoutSessionsPrivilege(() =>
      gql(production, RENAME, { id: String(sessionId), title: "Renamed" }),
    );
    expect(result.body.data ?? null).toBeNull();
    expect(result.body.errors).toEqual([
      {
        message: "Internal server error",
        path: ["updateSession"],
        extensions: {
          code: "INTERNAL_SERVER_ERROR",
          reason: "INTERNAL",
          correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        },
      },
    ]);
    expect(result.text).not.toMatch(LEAKS);
    const [entry] = loggedWith(production, result.body.errors![0].extensions.correlationId);
    expect(entry.level).toBe(50);
    expect(entry.reqId).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(JSON.stringify(entry.err)).toMatch(/permission denied for table sessions/);
    expect(await storedTitle()).toBe("Original title");
  });

  // One read per API: each answers 500 in its own format, with the correlation id of its log line.
  const get = (path: string, headers: Record<string, string> = {}) =>
    rest(production.url, "GET", path, { token: provider, headers });
  const reads: [string, () => ReturnType<typeof get>, (body: any) => string][] = [
    [
      "sapphire (DRF)",
      () => get("/sapphire/scheduler/sessions/"),
      (body) => (
        expect(body).toEqual({ detail: "A server error occurred.", correlation_id: expect.any(String) }),
        body.correlation_id
      ),
    ],
    [
      "fitness (Flask)",
      () => get("/api/v1/sessions"),
      (body) => (
        expect(body).toEqual({
          success: false,
          error: expect.stringMatching(/^Internal server error \(correlation id [0-9a-f-]{36}\)$/),
        }),
        /([0-9a-f-]{36})/.exec(body.error)![1]
      ),
    ],
    [
      "treatment details (Gin)",
      () => get(`/so/api/treatment-details/by-treatment/${sessionId}`, { "x-tenant-code": p.tenant.code }),
      (body) => (
        expect(body).toEqual({
          status: "error",
          message: "Internal server error",
          error: expect.stringMatching(/^correlation id [0-9a-f-]{36}$/),
        }),
        body.error.replace("correlation id ", "")
      ),
    ],
    [
      "booking (NestJS)",
      () => get("/booking/meetings"),
      (body) => (
        expect(body).toEqual({
          statusCode: 500,
          message: "Internal server error",
          error: "Internal Server Error",
          correlationId: expect.any(String),
        }),
        body.correlationId
      ),
    ],
    [
      "psychologist video (DRF)",
      () => get("/api/appointments/psychologist/schedule/"),
      (body) => (
        expect(body).toEqual({ detail: "A server error occurred.", correlation_id: expect.any(String) }),
        body.correlation_id
      ),
    ],
  ];
  for (const [api, read, correlationIdOf] of reads) {
    it(`${api}: 500 in the API's format with a logged correlation id, no stack or SQL`, async () => {
      const result = await withoutSessionsPrivilege(read);
      expect(result.status, result.text).toBe(500);
      expect(result.text).not.toMatch(LEAKS);
      const [entry] = loggedWith(production, correlationIdOf(result.body));
      expect(entry?.level).toBe(50);
      expect(JSON.stringify(entry.err)).toMatch(/permission denied for table sessions/);
    });
  }
});

describe.skipIf(engine === "pglite")(`statement_timeout (${engine})`, () => {
  /** Holds a row lock on the session (another connection) while fn runs: fn's UPDATE of it waits. */
  async function whileLocked<T>(fn: () => Promise<T>): Promise<T> {
    const owner = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = owner.begin(async (tx) => {
      await tx`select id from sessions where id = ${sessionId} for update`;
      locked();
      await released;
    });
    try {
      await isLocked;
      return await fn();
    } finally {
      release();
      await holder;
      await owner.end();
    }
  }

  it("a statement cancelled by statement_timeout is UNAVAILABLE in GraphQL, not a bug, and writes nothing", async () => {
    const result = await whileLocked(() =>
      gql(production, RENAME, { id: String(sessionId), title: "Renamed while locked" }),
    );
    expect(result.body.data ?? null).toBeNull();
    expect(result.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/took too long/),
      extensions: { code: "UNAVAILABLE" },
    });
    expect(result.text).not.toMatch(LEAKS);
    expect(await storedTitle()).toBe("Original title");
  });

  it("the same through a REST shim: 503 in the API's format", async () => {
    const result = await whileLocked(() =>
      rest(production.url, "PATCH", `/api/v1/sessions/${sessionId}`, {
        token: provider,
        body: { title: "Renamed through REST" },
      }),
    );
    expect(result.status, result.text).toBe(503);
    expect(result.body).toEqual({ success: false, error: expect.stringMatching(/took too long/) });
    expect(await storedTitle()).toBe("Original title");
  });
});

describe(`request deadline (${engine})`, () => {
  const REQUEST_TIMEOUT_MS = 200;
  let deadline: Server;
  let deadlineDatabase: Database;

  beforeAll(async () => {
    // A statement_timeout far longer than the deadline: only the deadline can end the request.
    deadlineDatabase = databaseUrl ? await Database.open({ url: databaseUrl, poolMax: 4 }) : database;
    deadline = await startServer(deadlineDatabase, { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    // Warms the tenant cache: the requests below wait inside their transaction, not before it.
    expect((await gql(deadline, `{ me { id } }`)).body.data).toEqual({ me: { id: String(p.provider.id) } });
  });
  afterAll(async () => {
    await deadline.app.close();
    if (deadlineDatabase !== database) await deadlineDatabase.close();
  });

  /**
   * Keeps the request waiting on the database well past its deadline: on PostgreSQL another
   * connection holds the session's row lock (the UPDATE waits), on PGlite an owner transaction
   * holds the one connection (the request's BEGIN waits).
   */
  async function blockedPastDeadline<T>(request: () => Promise<T>): Promise<T> {
    const hold = REQUEST_TIMEOUT_MS * 5;
    if (!databaseUrl) {
      const pending = new Promise<T>((resolve, reject) => {
        void database.db.transaction(async () => {
          setTimeout(() => request().then(resolve, reject), 0);
          await new Promise((resolve) => setTimeout(resolve, hold));
        });
      });
      return pending;
    }
    const owner = postgres(databaseUrl, { max: 2, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = owner.begin(async (tx) => {
      await tx`select id from sessions where id = ${sessionId} for update`;
      locked();
      await released;
    });
    try {
      await isLocked;
      const pending = request();
      // Released only once the request is seen waiting for the lock, then past its deadline.
      while (
        (await owner`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
          .length === 0
      )
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, hold));
      release();
      return await pending;
    } finally {
      release();
      await holder;
      await owner.end();
    }
  }

  it("GraphQL: a mutation past the deadline answers UNAVAILABLE and is rolled back", async () => {
    const result = await blockedPastDeadline(() =>
      gql(deadline, RENAME, { id: String(sessionId), title: "Renamed too late" }),
    );
    expect(result.body.data ?? null).toBeNull();
    expect(result.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/longer than 200 ms; nothing was saved/),
      extensions: { code: "UNAVAILABLE" },
    });
    expect(result.text).not.toMatch(LEAKS);
    expect(await storedTitle()).toBe("Original title");
  });

  it("REST: 503 in the API's format, rolled back", async () => {
    const result = await blockedPastDeadline(() =>
      rest(deadline.url, "PATCH", `/api/v1/sessions/${sessionId}`, {
        token: provider,
        body: { title: "Renamed too late through REST" },
      }),
    );
    expect(result.status, result.text).toBe(503);
    expect(result.body).toEqual({
      success: false,
      error: expect.stringMatching(/longer than 200 ms; nothing was saved/),
    });
    expect(await storedTitle()).toBe("Original title");
  });

  it("the server goes on answering afterwards", async () => {
    const result = await gql(deadline, `{ session(id: "${sessionId}") { title } }`);
    expect(result.body).toEqual({ data: { session: { title: "Original title" } } });
  });
});
