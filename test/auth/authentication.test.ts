import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, users } from "../../src/db/schema/index.js";
import { engine } from "../helpers/db.js";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";

let t: TestApp;
type Practice = Awaited<ReturnType<typeof makePractice>>;
let p: Practice;
const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const ME = "{ me { id role username } }";

beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database);
});
afterAll(() => t.close());

const sign = (claims: Record<string, unknown>, build: (j: SignJWT) => SignJWT = (j) => j.setExpirationTime("1h")) =>
  build(new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(String(p.provider.id)).setIssuedAt()).sign(
    secret,
  );

async function rejected(token: string | undefined, message: RegExp, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query: ME }),
  });
  const body = (await response.json()) as {
    data?: unknown;
    errors: { message: string; extensions: { code: string } }[];
  };
  expect(body.data ?? null).toBeNull();
  expect(body.errors[0].message).toMatch(message);
  return { status: response.status, code: body.errors[0].extensions.code };
}

describe(`authentication (${engine})`, () => {
  it("a valid token names the user; the role comes from the database", async () => {
    const token = await sign({ tenant: p.tenant.code, role: "ADMIN" });
    const result = await t.gql(ME, {}, token);
    expect(result.data).toEqual({ me: { id: String(p.provider.id), role: "PROVIDER", username: p.provider.username } });
  });

  it("resolves sub through external_subject before the numeric id", async () => {
    const user = await makeUser(t.database, p.tenant, "CLIENT", { externalSubject: "idp|abc-123" });
    const token = await new SignJWT({ tenant: p.tenant.code })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("idp|abc-123")
      .setExpirationTime("1h")
      .sign(secret);
    expect((await t.gql(ME, {}, token)).data).toEqual({
      me: { id: String(user.id), role: "CLIENT", username: user.username },
    });
  });

  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    ["no token", async () => undefined, /Authentication required/],
    ["an unknown tenant", () => sign({ tenant: "NOPE" }), /Unknown tenant "NOPE"/],
    [
      "an unknown user",
      () => sign({ tenant: p.tenant.code }, (j) => j.setSubject("999999").setExpirationTime("1h")),
      /Unknown user/,
    ],
    [
      "an expired token",
      () => sign({ tenant: p.tenant.code }, (j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 3600)),
      /expired/,
    ],
    // The clock tolerance is 30 s: a minute late is too late.
    [
      "a token expired beyond the clock tolerance",
      () => sign({ tenant: p.tenant.code }, (j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 60)),
      /expired/,
    ],
    [
      "a token not valid yet (nbf in the future)",
      () =>
        sign({ tenant: p.tenant.code }, (j) =>
          j.setNotBefore(Math.floor(Date.now() / 1000) + 3600).setExpirationTime("2h"),
        ),
      /"nbf"/,
    ],
    ["no exp claim", () => sign({ tenant: p.tenant.code }, (j) => j), /"exp"/],
    ["no tenant claim", () => sign({}), /no tenant claim/],
    [
      "a tampered payload",
      async () => {
        const [h, , s] = (await sign({ tenant: p.tenant.code })).split(".");
        const forged = Buffer.from(
          JSON.stringify({ tenant: p.tenant.code, sub: String(p.admin.id), exp: 4102444800 }),
        ).toString("base64url");
        return `${h}.${forged}.${s}`;
      },
      /signature is invalid/,
    ],
    [
      "alg none",
      async () =>
        new UnsecuredJWT({ tenant: p.tenant.code }).setSubject(String(p.admin.id)).setExpirationTime("1h").encode(),
      /algorithm/,
    ],
    [
      "a wrong algorithm (HS512)",
      () =>
        new SignJWT({ tenant: p.tenant.code })
          .setProtectedHeader({ alg: "HS512" })
          .setSubject(String(p.admin.id))
          .setExpirationTime("1h")
          .sign(new Uint8Array(64)),
      /algorithm/,
    ],
    [
      "an RS256 token with no JWKS configured",
      async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return new SignJWT({ tenant: p.tenant.code })
          .setProtectedHeader({ alg: "RS256" })
          .setSubject(String(p.admin.id))
          .setExpirationTime("1h")
          .sign(privateKey);
      },
      /algorithm/,
    ],
    [
      "a token signed with another secret",
      () =>
        new SignJWT({ tenant: p.tenant.code })
          .setProtectedHeader({ alg: "HS256" })
          .setSubject(String(p.admin.id))
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode("not-our-secret-not-our-secret-xx")),
      /signature is invalid/,
    ],
    ["garbage", async () => "not.a.jwt", /malformed|invalid|algorithm/],
  ];
  for (const [name, token, message] of cases) {
    it(`rejects ${name} with 401 UNAUTHENTICATED`, async () => {
      expect(await rejected(await token(), message)).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    });
  }

  it("accepts a token expired within the clock tolerance (30 s)", async () => {
    const late = await sign({ tenant: p.tenant.code }, (j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 10));
    expect((await t.gql(ME, {}, late)).data?.me.id).toBe(String(p.provider.id));
  });

  it("no rejected token writes anything", async () => {
    const before = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(users));
    for (const [name, token] of cases) {
      const result = await t.gql(
        `mutation { createUser(input: { role: CLIENT, username: "sneaky", name: "S" }) { id } }`,
        {},
        await token(),
      );
      expect(result.status, name).toBe(401);
      expect(result.errors?.[0].extensions.code, name).toBe("UNAUTHENTICATED");
    }
    expect(await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(users))).toHaveLength(before.length);
  });

  it("rejects an inactive or deleted user", async () => {
    const user = await makeUser(t.database, p.tenant, "PROVIDER", { status: "inactive" });
    const gone = await makeUser(t.database, p.tenant, "PROVIDER", { deletedAt: new Date() });
    for (const u of [user, gone]) {
      expect(await rejected(await t.token(u, p.tenant), /not active|Unknown user/)).toEqual({
        status: 401,
        code: "UNAUTHENTICATED",
      });
    }
  });

  it("rejects an X-Tenant-Code that is not the token's tenant with 403 / FORBIDDEN", async () => {
    const token = await t.token(p.provider, p.tenant);
    expect(await rejected(token, /X-Tenant-Code/, { "x-tenant-code": "OTHER" })).toEqual({
      status: 403,
      code: "FORBIDDEN",
    });
    // A tenant that exists, but is not the token's.
    const other = await makePractice(t.database);
    expect(await rejected(token, /X-Tenant-Code/, { "x-tenant-code": other.tenant.code })).toEqual({
      status: 403,
      code: "FORBIDDEN",
    });
    expect((await t.gql(ME, {}, token)).data).toBeTruthy();
  });

  it("a user of one tenant cannot be reached with another tenant's claim", async () => {
    const other = await makePractice(t.database);
    // sub is the id of a user of `other`, tenant claim is ours: RLS hides that user.
    const token = await t.token(other.admin, p.tenant);
    expect(await rejected(token, /Unknown user/)).toEqual({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("accepts RS256 tokens from JWT_JWKS_URL with the configured issuer and audience", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const http = await import("node:http");
    const jwks = http.createServer((_req, res) =>
      res.setHeader("content-type", "application/json").end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const port = (jwks.address() as { port: number }).port;
    const other = await startTestApp({
      database: t.database,
      env: {
        JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
        JWT_ISSUER: "https://idp.example",
        JWT_AUDIENCE: "sessiongraph",
      },
    });
    try {
      const rs = (iss: string, aud: string) =>
        new SignJWT({ tenant: p.tenant.code })
          .setProtectedHeader({ alg: "RS256", kid: "k1" })
          .setSubject(String(p.provider.id))
          .setIssuer(iss)
          .setAudience(aud)
          .setExpirationTime("1h")
          .sign(privateKey);
      expect((await other.gql(ME, {}, await rs("https://idp.example", "sessiongraph"))).data?.me.id).toBe(
        String(p.provider.id),
      );
      const wrongIss = await other.gql(ME, {}, await rs("https://evil.example", "sessiongraph"));
      expect(wrongIss).toMatchObject({
        status: 401,
        errors: [{ message: expect.stringMatching(/"iss"/), extensions: { code: "UNAUTHENTICATED" } }],
      });
      const wrongAud = await other.gql(ME, {}, await rs("https://idp.example", "other-api"));
      expect(wrongAud).toMatchObject({
        status: 401,
        errors: [{ message: expect.stringMatching(/"aud"/), extensions: { code: "UNAUTHENTICATED" } }],
      });
      // Key confusion: HS256 "signed" with the public key (its PEM, or its JWK) as the HMAC secret.
      const pem = new TextEncoder().encode(await exportSPKI(publicKey));
      for (const secretKey of [pem, new TextEncoder().encode(JSON.stringify(jwk))]) {
        const confused = await new SignJWT({ tenant: p.tenant.code })
          .setProtectedHeader({ alg: "HS256", kid: "k1" })
          .setSubject(String(p.admin.id))
          .setIssuer("https://idp.example")
          .setAudience("sessiongraph")
          .setExpirationTime("1h")
          .sign(secretKey);
        expect(await other.gql(ME, {}, confused)).toMatchObject({
          status: 401,
          errors: [{ extensions: { code: "UNAUTHENTICATED" } }],
        });
      }
    } finally {
      await other.close();
      jwks.close();
    }
  });

  it("writes nothing on a rejected request", async () => {
    const before = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(users));
    const expired = await sign({ tenant: p.tenant.code }, (j) =>
      j.setSubject(String(p.admin.id)).setExpirationTime(Math.floor(Date.now() / 1000) - 3600),
    );
    const result = await t.gql(
      `mutation { createUser(input: { role: CLIENT, username: "sneaky", name: "S" }) { id } }`,
      {},
      expired,
    );
    expect(result.errors?.[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(users))).toHaveLength(before.length);
  });
});

describe(`authentication through the REST shims (${engine})`, () => {
  // One attack (alg none, claiming the admin) per API: each answers 401 in its own format and writes nothing.
  const start = "2031-03-04T15:00:00.000Z";
  const writes: [string, string, string, (p: Practice) => unknown, (body: any) => void][] = [
    [
      "sapphire (DRF)",
      "POST",
      "/sapphire/scheduler/sessions/",
      (p) => ({
        client: p.client.id,
        staff: p.provider.id,
        session_date: "2031-03-04",
        start_time: "10:00",
        end_time: "11:00",
      }),
      (body) => expect(body).toEqual({ detail: expect.stringMatching(/algorithm/) }),
    ],
    [
      "fitness (Flask)",
      "POST",
      "/api/v1/sessions",
      (p) => ({
        client_id: p.client.id,
        title: "Sneaky",
        scheduled_start: "2031-03-04T10:00:00",
        scheduled_end: "2031-03-04T11:00:00",
      }),
      (body) => expect(body).toEqual({ success: false, error: expect.stringMatching(/algorithm/) }),
    ],
    [
      "treatment details (Gin)",
      "POST",
      "/so/api/treatment-details",
      () => ({ quantity: 1 }),
      (body) =>
        expect(body).toEqual({ status: "error", message: "Unauthorized", error: expect.stringMatching(/algorithm/) }),
    ],
    [
      "booking (NestJS)",
      "POST",
      "/booking/meetings",
      (p) => ({ therapistId: String(p.provider.id), startTime: start, duration: 60 }),
      (body) =>
        expect(body).toEqual({ statusCode: 401, message: expect.stringMatching(/algorithm/), error: "Unauthorized" }),
    ],
    [
      "psychologist video (DRF)",
      "GET",
      "/api/appointments/video-token/SESSION/",
      () => undefined,
      (body) => expect(body).toEqual({ detail: expect.stringMatching(/algorithm/) }),
    ],
  ];
  let sessionId: number;
  beforeAll(async () => {
    // A video session about to start: the one a video token would be issued for.
    sessionId = (
      await makeSession(t.database, p.tenant, {
        providerId: p.provider.id,
        clientId: p.client.id,
        startsAt: new Date(Date.now() + 60_000),
        endsAt: new Date(Date.now() + 3_600_000),
        modality: "VIDEO",
      })
    ).id;
  });
  for (const [api, method, path, body, expectBody] of writes) {
    it(`${api}: an unsigned token is 401 in the API's format, nothing written`, async () => {
      const before = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions));
      const unsigned = new UnsecuredJWT({ tenant: p.tenant.code })
        .setSubject(String(p.admin.id))
        .setExpirationTime("1h")
        .encode();
      const result = await rest(t.url, method, path.replace("SESSION", String(sessionId)), {
        token: unsigned,
        body: body(p),
        headers: { "x-tenant-code": p.tenant.code },
      });
      expect(result.status, result.text).toBe(401);
      expectBody(result.body);
      const after = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions));
      expect(after).toEqual(before);
    });
  }
});
