/**
 * The write limit (RATE_LIMIT_WRITES_PER_MINUTE per token, 5× that per IP) against the real
 * server: GraphQL mutations and REST writes share one quota; over it a mutation is 429
 * RATE_LIMITED and a REST write 429 in its own API's error format, with retry-after; nothing
 * is written; reads and other callers go on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { units } from "../../src/db/schema/index.js";
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
  sessionId = (await makeSession(t.database, p.tenant, { providerId: p.provider.id, clientId: p.client.id, startsAt: start, endsAt: new Date(start.getTime() + 3_600_000) })).id;
});
afterAll(() => t.close());

const createUnit = (token: string, name: string) =>
  fetch(`${t.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: `mutation($name: String!) { createUnit(name: $name) { id } }`, variables: { name } }),
  }).then(async (response) => ({ status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions: Record<string, unknown> }[] } }));

const unitNames = async () => (await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(units))).map((u) => u.name);

describe(`write rate limit (${engine})`, () => {
  it(`${PER_MINUTE} mutations a minute pass; the next is 429 RATE_LIMITED with retry-after, and writes nothing`, async () => {
    for (let i = 0; i < PER_MINUTE; i++) expect((await createUnit(admin, `unit ${i}`)).body.errors).toBeUndefined();
    const limited = await createUnit(admin, "one too many");
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(limited.body.data ?? null).toBeNull();
    expect(limited.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/Too many requests/), extensions: { code: "RATE_LIMITED", retryAfterSeconds: Number(limited.retryAfter) } });
    expect(await unitNames()).not.toContain("one too many");
  });

  it("reads are not limited: queries and REST GETs still answer", async () => {
    for (let i = 0; i < PER_MINUTE * 2; i++) {
      expect((await t.gql(`{ me { id } units { name } }`, {}, admin)).data?.me.id).toBe(String(p.admin.id));
    }
    expect((await rest(t.url, "GET", "/booking/meetings", { token: admin })).status).toBe(200);
    expect((await rest(t.url, "GET", "/so/api/treatment-details", { token: admin, headers: { "x-tenant-code": p.tenant.code } })).status).toBe(200);
  });

  // The same quota: the caller used it up with mutations, so every API's write is refused.
  const writes: [string, () => Promise<Awaited<ReturnType<typeof rest>>>, (body: any) => void][] = [
    ["sapphire (DRF)", () => rest(t.url, "POST", "/sapphire/scheduler/sessions/", { token: admin, body: {} }), (body) => expect(body).toEqual({ detail: "Request was throttled." })],
    // The fitness API's cookie carries the same token: it shares the token's quota.
    ["fitness (Flask, cookie)", () => rest(t.url, "POST", "/api/v1/sessions", { headers: { cookie: `session=${admin}` }, body: {} }), (body) => expect(body).toEqual({ success: false, error: expect.stringMatching(/Too many requests/) })],
    ["treatment details (Gin)", () => rest(t.url, "POST", "/so/api/treatment-details", { token: admin, headers: { "x-tenant-code": p.tenant.code }, body: {} }), (body) => expect(body).toEqual({ status: "error", message: "Too many requests", error: expect.stringMatching(/Too many requests/) })],
    ["booking (NestJS)", () => rest(t.url, "POST", "/booking/meetings", { token: admin, body: {} }), (body) => expect(body).toEqual({ statusCode: 429, message: expect.stringMatching(/Too many requests/), error: "Too Many Requests" })],
    // This API writes through GETs: issuing a video token creates the room, like the issueVideoAccess mutation.
    ["psychologist video (DRF)", () => rest(t.url, "GET", `/api/appointments/video-token/${sessionId}/`, { token: admin }), (body) => expect(body).toEqual({ detail: "Request was throttled." })],
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
    expect((await rest(t.url, "GET", `/api/appointments/video-token/${sessionId}/`, { token: provider })).status).not.toBe(429);
    const other = await makeUser(t.database, p.tenant, "ADMIN");
    expect((await createUnit(await t.token(other, p.tenant), "someone else's")).body.errors).toBeUndefined();
    expect(await unitNames()).toContain("someone else's");
  });

  it(`one IP gets ${PER_MINUTE * 5} writes a minute, whatever tokens it uses`, async () => {
    // Every write that passed so far counted for this IP too; fresh users fill the rest of it.
    let ipWrites = PER_MINUTE + 2;
    while (ipWrites < PER_MINUTE * 5) {
      const user = await makeUser(t.database, p.tenant, "ADMIN");
      expect((await createUnit(await t.token(user, p.tenant), `ip ${ipWrites}`)).status).toBe(200);
      ipWrites += 1;
    }
    const fresh = await makeUser(t.database, p.tenant, "ADMIN");
    const limited = await createUnit(await t.token(fresh, p.tenant), "over the IP's quota");
    expect(limited.status).toBe(429);
    expect(limited.body.errors?.[0].extensions.code).toBe("RATE_LIMITED");
    expect(await unitNames()).not.toContain("over the IP's quota");
  });
});
