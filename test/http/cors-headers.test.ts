/**
 * CORS for the configured browser origins only (CORS_ORIGINS, credentials allowed), and
 * security headers (helmet) on every REST shim response, errors included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";

const ALLOWED = "https://app.example";
const OTHER_ALLOWED = "https://admin.example";
const EVIL = "https://evil.example";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let token: string;

beforeAll(async () => {
  t = await startTestApp({ env: { CORS_ORIGINS: `${ALLOWED}, ${OTHER_ALLOWED}` } });
  p = await makePractice(t.database);
  token = await t.token(p.provider, p.tenant);
});
afterAll(() => t.close());

const preflight = (url: string, path: string, origin: string, method = "POST") =>
  fetch(`${url}${path}`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "content-type,authorization",
    },
  });

const graphqlFrom = (url: string, origin: string) =>
  fetch(`${url}/graphql`, {
    method: "POST",
    headers: { origin, "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ me { id } }" }),
  });

describe(`CORS (${engine})`, () => {
  for (const origin of [ALLOWED, OTHER_ALLOWED]) {
    it(`${origin} is allowed, with credentials, on the preflight and on the request`, async () => {
      for (const path of ["/graphql", "/api/v1/sessions", "/sapphire/scheduler/sessions/"]) {
        const response = await preflight(t.url, path, origin);
        expect(response.status, path).toBe(204);
        expect(response.headers.get("access-control-allow-origin"), path).toBe(origin);
        expect(response.headers.get("access-control-allow-credentials"), path).toBe("true");
        expect(response.headers.get("access-control-allow-methods"), path).toMatch(/POST/);
        expect(response.headers.get("access-control-allow-headers")?.toLowerCase(), path).toMatch(/authorization/);
      }
      const response = await graphqlFrom(t.url, origin);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { me: { id: String(p.provider.id) } } });
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("vary")).toMatch(/Origin/i);

      const restGet = await rest(t.url, "GET", "/api/v1/sessions", { token, headers: { origin } });
      expect(restGet.status).toBe(200);
      expect(restGet.headers.get("access-control-allow-origin")).toBe(origin);
    });
  }

  it("any other origin gets no CORS header at all (the browser then refuses to read the answer)", async () => {
    for (const origin of [EVIL, `${ALLOWED}.evil.example`, "null"]) {
      const pre = await preflight(t.url, "/graphql", origin);
      expect(pre.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(pre.headers.get("access-control-allow-credentials"), origin).toBeNull();
      const response = await graphqlFrom(t.url, origin);
      expect(response.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(response.headers.get("access-control-allow-credentials"), origin).toBeNull();
    }
  });

  it("without CORS_ORIGINS no origin is allowed", async () => {
    const plain = await startTestApp({ database: t.database });
    try {
      const pre = await preflight(plain.url, "/graphql", ALLOWED);
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      const response = await graphqlFrom(plain.url, ALLOWED);
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe(`security headers on REST routes (${engine})`, () => {
  const expectHelmet = (headers: Headers, what: string) => {
    expect(headers.get("x-content-type-options"), what).toBe("nosniff");
    expect(headers.get("x-frame-options"), what).toBe("SAMEORIGIN");
    expect(headers.get("strict-transport-security"), what).toMatch(/max-age=\d+/);
    expect(headers.get("content-security-policy"), what).toMatch(/default-src 'self'/);
    expect(headers.get("referrer-policy"), what).toBe("no-referrer");
    expect(headers.get("x-powered-by"), what).toBeNull();
  };

  it("every API's answers carry them: successes, auth failures, unknown routes and bad input", async () => {
    const calls: [string, string, Record<string, string>][] = [
      ["GET", "/sapphire/scheduler/sessions/", {}],
      ["GET", "/api/v1/sessions", {}],
      ["GET", "/so/api/treatment-details", { "x-tenant-code": p.tenant.code }],
      ["GET", "/booking/meetings", {}],
      ["GET", "/api/appointments/psychologist/schedule/", {}],
    ];
    for (const [method, path, headers] of calls) {
      const ok = await rest(t.url, method, path, { token, headers });
      expect(ok.status, `${path}: ${ok.text}`).toBe(200);
      expectHelmet(ok.headers, path);
      const unauthenticated = await rest(t.url, method, path, { headers });
      expect(unauthenticated.status, path).toBe(401);
      expectHelmet(unauthenticated.headers, `${path} (401)`);
    }
    const unknown = await rest(t.url, "GET", "/api/v1/sessions/nope/nope", { token });
    expect(unknown.status).toBe(404);
    expectHelmet(unknown.headers, "unknown route");
    const malformed = await rest(t.url, "POST", "/booking/meetings", { token, rawBody: "{" });
    expect(malformed.status).toBe(400);
    expectHelmet(malformed.headers, "malformed JSON");
  });
});
