/**
 * GraphQL and HTTP limits, attacked through the real server: depth, aliases, tokens and cost
 * (GraphQL Armor), suggestions and introspection in production, no batching, CSRF prevention,
 * the 1 MB body limit in every API's own format, and page sizes capped at 100.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { subscribe } from "../helpers/ws.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let token: string;
const SESSION_COUNT = 120;

beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database);
  token = await t.token(p.provider, p.tenant);
  // More sessions than any page may hold: one hour each, back to back, from 2030 on.
  const start = Date.UTC(2030, 0, 1, 8);
  const rows = Array.from({ length: SESSION_COUNT }, (_, i) => ({
    tenantId: p.tenant.id,
    providerId: p.provider.id,
    clientId: p.client.id,
    title: `Session ${i}`,
    startsAt: new Date(start + i * 3_600_000),
    endsAt: new Date(start + (i + 1) * 3_600_000),
  }));
  await asTenant(t.database, p.tenant.id, (tx) => tx.insert(sessions).values(rows));
});
afterAll(() => t.close());

/** A cheap query whose deepest field is `depth` levels down: sessions > nodes > treatmentPlan > sessions > ... > id. */
function nested(depth: number): string {
  const path = ["sessions(first: 1)", "nodes", "treatmentPlan"];
  let query = "id";
  for (let level = depth - 1; level >= 1; level--) query = `${path[(level - 1) % 3]} { ${query} }`;
  return `{ ${query} }`;
}

const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(" ")} }`;

async function post(body: string, headers: Record<string, string> = { "content-type": "application/json" }) {
  const response = await fetch(`${t.url}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...headers },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] },
  };
}

describe(`GraphQL document limits (${engine})`, () => {
  it("depth 12 is answered; depth 13 is rejected before execution", async () => {
    const twelve = await t.gql(nested(12), {}, token);
    expect(twelve.errors).toBeUndefined();
    expect(twelve.data?.sessions.nodes.length).toBeGreaterThan(0);

    const thirteen = await t.gql(nested(13), {}, token);
    expect(thirteen.status).toBe(400);
    expect(thirteen.data ?? null).toBeNull();
    expect(thirteen.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/depth limit of 12 exceeded, found 13/),
        extensions: expect.objectContaining({ code: "GRAPHQL_VALIDATION_FAILED" }),
      }),
    ]);
  });

  it("15 aliases are answered; 16 are rejected", async () => {
    const fifteen = await t.gql(aliases(15), {}, token);
    expect(fifteen.errors).toBeUndefined();
    expect(Object.keys(fifteen.data!)).toHaveLength(15);

    const sixteen = await t.gql(aliases(16), {}, token);
    expect(sixteen.status).toBe(400);
    expect(sixteen.data ?? null).toBeNull();
    expect(sixteen.errors?.[0].message).toMatch(/Aliases limit of 15 exceeded, found 16/);
    expect(sixteen.errors?.[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("a flood of tokens is rejected by the parser", async () => {
    // No aliases, depth 2: only the token count is too high.
    const flood = `{ me { ${"id ".repeat(1200)}} }`;
    const result = await t.gql(flood, {}, token);
    expect(result.status).toBe(400);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/more that 1000 tokens/),
      extensions: { code: "GRAPHQL_PARSE_FAILED" },
    });
  });

  it("a query nesting pages of sessions three deep is rejected by its cost, whether the page size is a literal, a variable or left out", async () => {
    const fanOut = (inner: string, outer: string) =>
      `query${inner.includes("$n") ? "($n: Int)" : ""} { sessions${outer} { nodes { treatmentPlan { sessions${inner} { nodes { treatmentPlan { sessions${inner} { nodes { id } } } } } } } } }`;
    for (const [query, variables] of [
      [fanOut("(first: 100)", "(first: 100)"), {}],
      [fanOut("(first: $n)", "(first: $n)"), { n: 100 }],
      // Left out, a page is 20: 20 × 20 × 20 sessions.
      [fanOut("", ""), {}],
    ] as const) {
      const result = await t.gql(query, variables, token);
      expect(result.status).toBe(400);
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0].message).toMatch(/Cost limit of 25000 exceeded/);
    }
    // A full page of what a calendar shows is fine, and so is a small fan-out.
    const calendar = `query($n: Int) { sessions(first: $n) { totalCount pageInfo { hasNextPage endCursor } nodes {
      id title status type modality startsAt endsAt location notes provider { id name email } client { id name email phone }
      treatmentPlan { id title status } treatmentDetails { id quantity item { id name sku } unit { id name } } } } }`;
    expect((await t.gql(calendar, { n: 100 }, token)).data?.sessions.nodes).toHaveLength(100);
    expect((await t.gql(fanOut("(first: 3)", "(first: 5)"), {}, token)).errors).toBeUndefined();
  });

  it("the same limits apply to subscriptions over graphql-ws", async () => {
    const tooMany = `subscription { sessionChanged { ${Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(" ")} } }`;
    const flood = `subscription { sessionChanged { ${"id ".repeat(1200)}} }`;
    for (const [query, message] of [
      [tooMany, /Aliases limit of 15 exceeded/],
      [flood, /more that 1000 tokens/],
    ] as const) {
      const s = subscribe(t.url, token, query);
      await s.ended;
      expect(s.received[0].errors?.[0].message).toMatch(message);
      await s.dispose();
    }
  });

  it("a WebSocket message over 1 MB closes the socket (1009 Message Too Big)", async () => {
    const s = subscribe(t.url, token, `subscription { sessionChanged { id } } # ${"x".repeat(1024 * 1024)}`);
    expect((await s.closed).code).toBe(1009);
    await s.dispose();
  });
});

describe(`schema discovery (${engine})`, () => {
  const misspelt = `{ me { usernam } }`;
  const introspection = `{ __schema { queryType { name } } }`;

  it("outside production: introspection works and a misspelt field gets a suggestion", async () => {
    expect((await t.gql(introspection, {}, token)).data).toEqual({ __schema: { queryType: { name: "Query" } } });
    expect((await t.gql(misspelt, {}, token)).errors?.[0].message).toMatch(/Did you mean "username"\?/);
  });

  it("in production (NODE_ENV=production): introspection is off and suggestions are hidden; GRAPHQL_INTROSPECTION=true turns both back on", async () => {
    const production = await startTestApp({
      database: t.database,
      env: { NODE_ENV: "production", JWT_SECRET: "a-production-secret-of-enough-length", LOG_LEVEL: "silent" },
    });
    const open = await startTestApp({
      database: t.database,
      env: {
        NODE_ENV: "production",
        JWT_SECRET: "a-production-secret-of-enough-length",
        LOG_LEVEL: "silent",
        GRAPHQL_INTROSPECTION: "true",
      },
    });
    try {
      const prodToken = await production.token(p.provider, p.tenant);
      const closed = await production.gql(introspection, {}, prodToken);
      expect(closed.data ?? null).toBeNull();
      expect(closed.errors?.[0].message).toMatch(/introspection is not allowed/);
      const suggestion = await production.gql(misspelt, {}, prodToken);
      expect(suggestion.errors?.[0].message).toBe('Cannot query field "usernam" on type "User".');
      expect(JSON.stringify(suggestion)).not.toMatch(/Did you mean|username/);
      // The same over graphql-ws, which validates on its own.
      const s = subscribe(production.url, prodToken, `subscription { sessionChanged { id sesion { id } } }`);
      await s.ended;
      expect(s.received[0].errors?.[0].message).toBe('Cannot query field "sesion" on type "SessionEvent".');
      expect(JSON.stringify(s.received)).not.toMatch(/Did you mean|"session"/);
      await s.dispose();

      expect((await open.gql(introspection, {}, prodToken)).data).toEqual({
        __schema: { queryType: { name: "Query" } },
      });
      expect((await open.gql(misspelt, {}, prodToken)).errors?.[0].message).toMatch(/Did you mean "username"\?/);
    } finally {
      await production.close();
      await open.close();
    }
  });
});

describe(`HTTP transport (${engine})`, () => {
  it("malformed JSON is a 400 in GraphQL's error shape", async () => {
    const result = await post(`{"query": "{ me { id } }"`);
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: "BAD_REQUEST", reason: "VALIDATION" } }],
    });
  });

  it("batching is off: an array of operations is a 400", async () => {
    const result = await post(JSON.stringify([{ query: "{ me { id } }" }, { query: "{ me { id } }" }]));
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toMatch(/batching/i);
  });

  it("CSRF prevention: a GET query without a preflight header and a text/plain POST are refused; a GET with the header is answered", async () => {
    const query = encodeURIComponent("{ me { id } }");
    const simpleGet = await fetch(`${t.url}/graphql?query=${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(simpleGet.status).toBe(400);
    expect(await simpleGet.text()).toMatch(/Cross-Site Request Forgery/);

    const textPost = await post(JSON.stringify({ query: "{ me { id } }" }), { "content-type": "text/plain" });
    expect(textPost.status).toBe(400);
    expect(JSON.stringify(textPost.body)).toMatch(/Cross-Site Request Forgery/);

    const preflighted = await fetch(`${t.url}/graphql?query=${query}`, {
      headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true" },
    });
    expect(preflighted.status).toBe(200);
    expect(await preflighted.json()).toEqual({ data: { me: { id: String(p.provider.id) } } });
  });

  it("a GET cannot run a mutation", async () => {
    const mutation = encodeURIComponent(`mutation { createUnit(name: "by-get") { id } }`);
    const response = await fetch(`${t.url}/graphql?query=${mutation}`, {
      headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "true" },
    });
    expect(response.status).toBe(405);
  });
});

describe(`request body limit: 1 MB (${engine})`, () => {
  const big = JSON.stringify({ title: "x".repeat(1024 * 1024 + 1) });

  it("/graphql answers 413 in GraphQL's error shape", async () => {
    const result = await post(
      JSON.stringify({ query: "{ me { id } }", variables: { padding: "x".repeat(1024 * 1024) } }),
    );
    expect(result.status).toBe(413);
    expect(result.body).toEqual({
      errors: [
        { message: expect.stringMatching(/too large/i), extensions: { code: "BAD_REQUEST", reason: "TOO_MUCH_WORK" } },
      ],
    });
  });

  const cases: [string, string, (body: any) => void][] = [
    [
      "sapphire (DRF)",
      "/sapphire/scheduler/sessions/",
      (body) => expect(body).toEqual({ detail: expect.stringMatching(/too large/i) }),
    ],
    [
      "fitness (Flask)",
      "/api/v1/sessions",
      (body) => expect(body).toEqual({ success: false, error: expect.stringMatching(/too large/i) }),
    ],
    [
      "treatment details (Gin)",
      "/so/api/treatment-details",
      (body) =>
        expect(body).toEqual({
          status: "error",
          message: "Invalid request body",
          error: expect.stringMatching(/too large/i),
        }),
    ],
    [
      "booking (NestJS)",
      "/booking/meetings",
      (body) => expect(body).toMatchObject({ statusCode: 413, error: "Payload Too Large" }),
    ],
    [
      "psychologist video (DRF)",
      "/api/appointments/",
      (body) => expect(body).toEqual({ detail: expect.stringMatching(/too large/i) }),
    ],
  ];
  for (const [api, path, expectBody] of cases) {
    it(`${api}: 413 in the API's own error format`, async () => {
      const result = await rest(t.url, "POST", path, {
        token,
        rawBody: big,
        headers: { "content-type": "application/json", "x-tenant-code": p.tenant.code },
      });
      expect(result.status).toBe(413);
      expectBody(result.body);
    });
  }
});

describe(`page sizes are capped at 100 (${engine})`, () => {
  it("GraphQL: sessions(first: 1000) returns 100 and says there is more", async () => {
    const result = await t.gql(
      `{ sessions(first: 1000) { totalCount nodes { id } pageInfo { hasNextPage } } }`,
      {},
      token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.sessions.totalCount).toBe(SESSION_COUNT);
    expect(result.data?.sessions.nodes).toHaveLength(100);
    expect(result.data?.sessions.pageInfo.hasNextPage).toBe(true);
  });

  it("GraphQL: first given as a variable is capped the same way", async () => {
    const result = await t.gql(`query($n: Int) { sessions(first: $n) { nodes { id } } }`, { n: 100000 }, token);
    expect(result.data?.sessions.nodes).toHaveLength(100);
  });

  it("fitness: per_page=1000 returns 100 sessions", async () => {
    const result = await rest(t.url, "GET", "/api/v1/sessions?per_page=1000", { token });
    expect(result.status).toBe(200);
    expect(result.body.data.sessions).toHaveLength(100);
    expect(result.body.data.pagination).toMatchObject({ per_page: 100, total_items: SESSION_COUNT, has_next: true });
  });

  it("psychologist video: page_size=1000 returns 100 appointments", async () => {
    const result = await rest(t.url, "GET", "/api/appointments/?page_size=1000", { token });
    expect(result.status).toBe(200);
    expect(result.body.results).toHaveLength(100);
    expect(result.body.count).toBe(SESSION_COUNT);
    expect(result.body.next).toMatch(/page=2/);
  });
});
