/**
 * The write limit against the real server: RATE_LIMIT_WRITES_PER_MINUTE per authenticated user
 * (each mutation field one write), 5× that per IP for requests without a valid token, the IP
 * as TRUST_PROXY says. GraphQL mutations and REST writes share one quota; over it a mutation is
 * 429 RATE_LIMITED and a REST write 429 in its own API's error format, with retry-after;
 * nothing is written; reads and other callers go on; junk tokens never use up a user's budget.
 */
import { Kind, parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { units } from "../../src/db/schema/index.js";
import { mutationFieldCount } from "../../src/http/write-limit.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";

const PER_MINUTE = 3;
let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string;
let sessionId: number;

beforeAll(async () => {
  t = await startTestApp({ env: { RATE_LIMIT_WRITES_PER_MINUTE: String(PER_MINUTE) } });
  p = await makePractice(t.database);
  admin = await t.token(p.admin, p.tenant);
  const start = new Date(Date.now() + 86_400_000);
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

const createUnit = (token: string, name: string) =>
  fetch(`${t.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: `mutation($name: String!) { createUnit(name: $name) { id } }`, variables: { name } }),
  }).then(async (response) => ({
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: (await response.json()) as {
      data?: unknown;
      errors?: { message: string; extensions: Record<string, unknown> }[];
    },
  }));

const unitNames = async () =>
  (await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(units))).map((u) => u.name);

describe(`write rate limit (${engine})`, () => {
  it(`${PER_MINUTE} mutations a minute pass; the next is 429 RATE_LIMITED with retry-after, and writes nothing`, async () => {
    for (let i = 0; i < PER_MINUTE; i++) expect((await createUnit(admin, `unit ${i}`)).body.errors).toBeUndefined();
    const limited = await createUnit(admin, "one too many");
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(limited.body.data ?? null).toBeNull();
    expect(limited.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/Too many requests/),
      extensions: { code: "RATE_LIMITED", retryAfterSeconds: Number(limited.retryAfter) },
    });
    expect(await unitNames()).not.toContain("one too many");
  });

  it("reads are not limited: queries and REST GETs still answer", async () => {
    for (let i = 0; i < PER_MINUTE * 2; i++) {
      expect((await t.gql(`{ me { id } units { name } }`, {}, admin)).data?.me.id).toBe(String(p.admin.id));
    }
    expect((await rest(t.url, "GET", "/booking/meetings", { token: admin })).status).toBe(200);
    expect(
      (
        await rest(t.url, "GET", "/so/api/treatment-details", {
          token: admin,
          headers: { "x-tenant-code": p.tenant.code },
        })
      ).status,
    ).toBe(200);
  });

  // The same quota: the caller used it up with mutations, so every API's write is refused.
  const writes: [string, () => Promise<Awaited<ReturnType<typeof rest>>>, (body: any) => void][] = [
    [
      "sapphire (DRF)",
      () => rest(t.url, "POST", "/sapphire/scheduler/sessions/", { token: admin, body: {} }),
      (body) => expect(body).toEqual({ detail: "Request was throttled." }),
    ],
    // The fitness API's cookie carries the same token: it shares the token's quota.
    [
      "fitness (Flask, cookie)",
      () => rest(t.url, "POST", "/api/v1/sessions", { headers: { cookie: `session=${admin}` }, body: {} }),
      (body) => expect(body).toEqual({ success: false, error: expect.stringMatching(/Too many requests/) }),
    ],
    [
      "treatment details (Gin)",
      () =>
        rest(t.url, "POST", "/so/api/treatment-details", {
          token: admin,
          headers: { "x-tenant-code": p.tenant.code },
          body: {},
        }),
      (body) =>
        expect(body).toEqual({
          status: "error",
          message: "Too many requests",
          error: expect.stringMatching(/Too many requests/),
        }),
    ],
    [
      "booking (NestJS)",
      () => rest(t.url, "POST", "/booking/meetings", { token: admin, body: {} }),
      (body) =>
        expect(body).toEqual({
          statusCode: 429,
          message: expect.stringMatching(/Too many requests/),
          error: "Too Many Requests",
        }),
    ],
    // This API writes through GETs: issuing a video token creates the room, like the issueVideoAccess mutation.
    [
      "psychologist video (DRF)",
      () => rest(t.url, "GET", `/api/appointments/video-token/${sessionId}/`, { token: admin }),
      (body) => expect(body).toEqual({ detail: "Request was throttled." }),
    ],
  ];
  for (const [api, write, expectBody] of writes) {
    it(`${api}: a write over the quota is 429 in the API's own format, with retry-after`, async () => {
      const result = await write();
      expect(result.status, result.text).toBe(429);
      expect(Number(result.headers.get("retry-after"))).toBeGreaterThan(0);
      expectBody(result.body);
    });
  }

  it("another user is not affected", async () => {
    const provider = await t.token(p.provider, p.tenant);
    expect(
      (await rest(t.url, "GET", `/api/appointments/video-token/${sessionId}/`, { token: provider })).status,
    ).not.toBe(429);
    const other = await makeUser(t.database, p.tenant, "ADMIN");
    expect((await createUnit(await t.token(other, p.tenant), "someone else's")).body.errors).toBeUndefined();
    expect(await unitNames()).toContain("someone else's");
  });

  // Issue 14: a valid token counts against its user only; the IP's budget is for requests without one.
  it(`valid tokens count per user, not per IP: more than ${PER_MINUTE * 5} users write from one IP`, async () => {
    for (let i = 0; i < PER_MINUTE * 5 + 2; i++) {
      const user = await makeUser(t.database, p.tenant, "ADMIN");
      expect((await createUnit(await t.token(user, p.tenant), `ip ${i}`)).status).toBe(200);
    }
    expect(await unitNames()).toContain(`ip ${PER_MINUTE * 5 + 1}`);
  });
});

/** A server of its own on the same database: its own rate-limit store. */
const server = (env: Record<string, string>) =>
  startTestApp({ database: t.database, env: { RATE_LIMIT_WRITES_PER_MINUTE: String(PER_MINUTE), ...env } });
const JUNK = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidGVuYW50IjoiVCJ9.forged-signature";
const IP_BUDGET = PER_MINUTE * 5;

describe(`requests without a valid token count per IP (${engine})`, () => {
  it(`junk tokens use up the IP's ${IP_BUDGET} writes (then 429 in each API's format), never a real user's budget`, async () => {
    const s = await server({});
    try {
      const junkWrite = (i: number) =>
        i % 2 === 0
          ? rest(s.url, "POST", "/booking/meetings", { token: `${JUNK}${i}`, body: {} })
          : rest(s.url, "POST", "/graphql", {
              token: `${JUNK}${i}`,
              body: { query: `mutation { createUnit(name: "junk ${i}") { id } }` },
            });
      // Refused (401, or 400 where the API checks the body first), not throttled yet.
      for (let i = 0; i < IP_BUDGET; i++) expect([400, 401], `junk write ${i}`).toContain((await junkWrite(i)).status);
      // (IP_BUDGET is odd: the next write is a GraphQL one, the one after a REST one.)
      const restRefused = await junkWrite(IP_BUDGET + 1);
      expect(restRefused.status).toBe(429);
      expect(Number(restRefused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(restRefused.body).toEqual({
        statusCode: 429,
        message: expect.stringMatching(/Too many requests/),
        error: "Too Many Requests",
      });
      const graphqlRefused = await junkWrite(IP_BUDGET);
      expect(graphqlRefused.status).toBe(429);
      expect(graphqlRefused.body.errors[0].extensions).toEqual({
        code: "RATE_LIMITED",
        reason: "RATE_LIMITED",
        retryAfterSeconds: Number(graphqlRefused.headers.get("retry-after")),
      });
      // No token at all is the same caller: the IP.
      expect((await rest(s.url, "POST", "/sapphire/scheduler/sessions/", { body: {} })).body).toEqual({
        detail: "Request was throttled.",
      });

      // The real user on the same IP still has every one of their writes.
      const user = await makeUser(t.database, p.tenant, "ADMIN");
      const token = await s.token(user, p.tenant);
      for (let i = 0; i < PER_MINUTE; i++) {
        const result = await rest(s.url, "POST", "/graphql", {
          token,
          body: { query: `mutation { createUnit(name: "real ${i}") { id } }` },
        });
        expect(result.body.errors, result.text).toBeUndefined();
      }
      expect(await unitNames()).toEqual(expect.arrayContaining(["real 0", `real ${PER_MINUTE - 1}`]));
      expect((await unitNames()).some((name) => name.startsWith("junk"))).toBe(false);
    } finally {
      await s.close();
    }
  });
});

describe(`TRUST_PROXY decides which X-Forwarded-For is the client (${engine})`, () => {
  /** Unauthenticated writes "from" an address, through the proxy header. */
  const anonymousWrite = (s: TestApp, forwardedFor: string) =>
    rest(s.url, "POST", "/booking/meetings", { body: {}, headers: { "x-forwarded-for": forwardedFor } });
  const exhaust = async (s: TestApp, forwardedFor: string) => {
    // Refused without a token (400 for the empty body, which this API checks first), not throttled yet.
    for (let i = 0; i < IP_BUDGET; i++) expect((await anonymousWrite(s, forwardedFor)).status).toBe(400);
    expect((await anonymousWrite(s, forwardedFor)).status).toBe(429);
  };

  for (const trust of ["127.0.0.1", "loopback", "1"]) {
    it(`TRUST_PROXY=${trust}: each forwarded client has its own budget`, async () => {
      const s = await server({ TRUST_PROXY: trust });
      try {
        await exhaust(s, "203.0.113.7");
        expect((await anonymousWrite(s, "203.0.113.8")).status).toBe(400);
        // A spoofed entry further left is not the client: the proxy's own entry (rightmost) is.
        expect((await anonymousWrite(s, "198.51.100.1, 203.0.113.7")).status).toBe(429);
      } finally {
        await s.close();
      }
    });
  }

  it("TRUST_PROXY unset: X-Forwarded-For is ignored, every request counts against the socket's address", async () => {
    const s = await server({});
    try {
      await exhaust(s, "203.0.113.7");
      expect((await anonymousWrite(s, "203.0.113.8")).status).toBe(429);
    } finally {
      await s.close();
    }
  });

  it("TRUST_PROXY naming another proxy: this peer's X-Forwarded-For is not believed", async () => {
    const s = await server({ TRUST_PROXY: "10.0.0.0/8" });
    try {
      await exhaust(s, "203.0.113.7");
      expect((await anonymousWrite(s, "203.0.113.8")).status).toBe(429);
    } finally {
      await s.close();
    }
  });
});

describe(`each mutation field is one write (${engine})`, () => {
  const aliased = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${prefix}${i}: createUnit(name: "${prefix} ${i}") { id }`).join("\n");

  it("a document of 15 aliased mutations is 15 writes; fields through fragments count too; an over-budget document writes nothing", async () => {
    const s = await server({ RATE_LIMIT_WRITES_PER_MINUTE: "20" });
    try {
      const token = await s.token(await makeUser(t.database, p.tenant, "ADMIN"), p.tenant);
      const fifteen = await s.gql(`mutation { ${aliased("bulk", 15)} }`, {}, token);
      expect(fifteen.errors).toBeUndefined();
      expect(Object.keys(fifteen.data!)).toHaveLength(15);
      // 15 used, 5 left: six fields, spread through a named and an inline fragment, are too many.
      const six = await s.gql(
        `mutation { ...More ... on Mutation { x0: createUnit(name: "more x0") { id } } } fragment More on Mutation { ${aliased("more", 5)} }`,
        {},
        token,
      );
      expect(six.status).toBe(429);
      expect(six.errors?.[0].extensions.code).toBe("RATE_LIMITED");
      expect((await unitNames()).filter((name) => name.startsWith("more"))).toEqual([]);
      expect((await unitNames()).filter((name) => name.startsWith("bulk"))).toHaveLength(15);
    } finally {
      await s.close();
    }
  });

  it("the count of a document: distinct response names at the root, through fragments, __typename excluded", () => {
    const count = (source: string) => {
      const document = parse(source);
      return mutationFieldCount(
        document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!,
        document,
      );
    };
    expect(count(`mutation { a: createUnit(name: "a") { id } b: createUnit(name: "b") { id } }`)).toBe(2);
    expect(count(`mutation { createUnit(name: "a") { id } createUnit(name: "a") { name } __typename }`)).toBe(1);
    expect(
      count(
        `mutation { ...F ... on Mutation { c: createUnit(name: "c") { id } } } fragment F on Mutation { a: createUnit(name: "a") { id } ...G } fragment G on Mutation { b: createUnit(name: "b") { id } }`,
      ),
    ).toBe(3);
  });
});
