/**
 * A careless deploy fails closed, against real servers: with a real database and NODE_ENV
 * forgotten there is no introspection, no stack trace and no SQL in an error; /readyz never
 * shows the database's own error text; /metrics wants METRICS_TOKEN when it is set; helmet's
 * headers are on /graphql as on the REST shims.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "../helpers/app.js";
import { engine, openTestDatabase } from "../helpers/db.js";
import { makePractice, makeSession } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";

/** A PostgreSQL URL in the config: what decides the defaults (the test database behind it is either engine). */
const REAL_DATABASE = "postgres://sessiongraph@db.internal:5432/sessiongraph";
const INTROSPECTION = `{ __schema { queryType { name } } }`;
const RENAME = `mutation($id: ID!, $title: String!) { updateSession(id: $id, input: { title: $title }) { id title } }`;
/** What must never reach a client: the SQL, the driver's words, file paths and stack frames. */
const LEAKS =
  /select |update |"sessions"|permission denied|Failed query|sessiongraph_app|\.ts:\d+|node_modules|\n\s+at /i;

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let sessionId: number;

beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database);
  const start = new Date(Date.now() + 7 * 86_400_000);
  sessionId = (
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: start,
      endsAt: new Date(start.getTime() + 3_600_000),
    })
  ).id;
});
afterAll(() => t.close());

/** A second server on the same database, with NODE_ENV and DATABASE_URL as a deploy would set them. */
const deployed = (env: Record<string, string>) =>
  startTestApp({ database: t.database, env: { LOG_LEVEL: "silent", ...env } });

/** Runs fn while the app role may not touch sessions: every statement on them fails with the driver's message. */
async function withoutSessionsPrivilege<T>(fn: () => Promise<T>): Promise<T> {
  await t.database.db.execute(sql`revoke select, insert, update, delete on sessions from sessiongraph_app`);
  try {
    return await fn();
  } finally {
    await t.database.db.execute(sql`grant select, insert, update, delete on sessions to sessiongraph_app`);
  }
}

describe(`details are exposed only where it is safe (${engine})`, () => {
  it("a real database with NODE_ENV unset: introspection off, unexpected errors masked without stack or SQL", async () => {
    const server = await deployed({ NODE_ENV: "", DATABASE_URL: REAL_DATABASE });
    try {
      expect(server.config.exposeDetails).toBe(false);
      const token = await server.token(p.provider, p.tenant);
      const introspection = await server.gql(INTROSPECTION, {}, token);
      expect(introspection.data ?? null).toBeNull();
      expect(introspection.errors?.[0].message).toMatch(/introspection is not allowed/i);

      const failed = await withoutSessionsPrivilege(() =>
        server.gql(RENAME, { id: String(sessionId), title: "Renamed" }, token),
      );
      expect(failed.errors).toEqual([
        {
          message: "Internal server error",
          path: ["updateSession"],
          extensions: { code: "INTERNAL_SERVER_ERROR", reason: "INTERNAL", correlationId: expect.any(String) },
        },
      ]);
      expect(JSON.stringify(failed)).not.toMatch(LEAKS);
    } finally {
      await server.close();
    }
  });

  it("NODE_ENV=development (explicit) on the same database, and the embedded default with NODE_ENV unset: introspection and details on", async () => {
    for (const env of [{ NODE_ENV: "development", DATABASE_URL: REAL_DATABASE }, { NODE_ENV: "" }] as Record<
      string,
      string
    >[]) {
      const server = await deployed(env);
      try {
        expect(server.config.exposeDetails).toBe(true);
        const token = await server.token(p.provider, p.tenant);
        expect((await server.gql(INTROSPECTION, {}, token)).data).toEqual({
          __schema: { queryType: { name: "Query" } },
        });
        const failed = await withoutSessionsPrivilege(() =>
          server.gql(RENAME, { id: String(sessionId), title: "Renamed" }, token),
        );
        expect(failed.errors?.[0].extensions).toMatchObject({
          code: "INTERNAL_SERVER_ERROR",
          stacktrace: expect.any(Array),
        });
      } finally {
        await server.close();
      }
    }
  });
});

describe(`/readyz with a broken database (${engine})`, () => {
  it("answers 503 with a fixed reason; the database's own error goes to the log with the request id", async () => {
    const { database } = await openTestDatabase();
    const lines: string[] = [];
    const config = loadConfig({
      NODE_ENV: "test",
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    });
    const app = await createApp({ config, database, logStream: { write: (line) => void lines.push(line) } });
    const url = await app.listen();
    try {
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      await database.close();
      const response = await fetch(`${url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "unavailable", reason: "database unavailable" });
      const logged = lines
        .map((line) => JSON.parse(line) as Record<string, any>)
        .find((entry) => entry.msg?.startsWith("readiness check"));
      expect(logged).toMatchObject({ level: 50, reqId: expect.any(String), err: { message: expect.any(String) } });
    } finally {
      await app.close().catch(() => {});
    }
  });
});

describe(`/metrics with METRICS_TOKEN (${engine})`, () => {
  const METRICS_TOKEN = "scrape-me-0123456789abcdef";
  it("401 without a token and with a wrong one; 200 with Authorization: Bearer $METRICS_TOKEN", async () => {
    const server = await deployed({ METRICS_TOKEN });
    try {
      const scrape = (authorization?: string) =>
        fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
      const anonymous = await scrape();
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await anonymous.text()).not.toMatch(/http_requests_total/);
      expect((await scrape(`Bearer ${METRICS_TOKEN}x`)).status).toBe(401);
      expect((await scrape(`Bearer ${METRICS_TOKEN.slice(0, -1)}`)).status).toBe(401);
      expect((await scrape(METRICS_TOKEN)).status).toBe(401);
      const allowed = await scrape(`Bearer ${METRICS_TOKEN}`);
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toMatch(/http_requests_total/);
    } finally {
      await server.close();
    }
  });

  it("without METRICS_TOKEN /metrics stays open (for an internal network)", async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(200);
  });
});

describe(`security headers (${engine})`, () => {
  it("helmet's headers are on /graphql responses (POST, GET and errors), without a content security policy", async () => {
    const token = await t.token(p.provider, p.tenant);
    const responses = [
      await fetch(`${t.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ me { id } }" }),
      }),
      await fetch(`${t.url}/graphql?query=${encodeURIComponent("{ me { id } }")}`, {
        headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true" },
      }),
      await fetch(`${t.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{not json",
      }),
    ];
    for (const response of responses) {
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(response.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("content-security-policy")).toBeNull();
    }
    // The REST shims keep their locked-down policy.
    const shim = await rest(t.url, "GET", "/booking/meetings", { token });
    expect(shim.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    expect(shim.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
