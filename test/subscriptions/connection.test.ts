import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { NOW, SESSION_CHANGED } from "./subscriptions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;

beforeAll(async () => {
  // No clock tolerance: a token that expires ends its socket at once.
  t = await startTestApp({ now: () => NOW, env: { JWT_CLOCK_TOLERANCE_SECONDS: "0" } });
  p = await makePractice(t.database);
});
afterAll(() => t.close());

describe(`graphql-ws authentication (${engine})`, () => {
  it("connection_init without a token, or with a bad one, closes the socket with 4403", async () => {
    for (const token of [undefined, "not-a-jwt"]) {
      const s = subscribe(t.url, token, SESSION_CHANGED);
      expect((await s.closed).code).toBe(4403);
      await s.dispose();
    }
    expect(t.app.deps.events.subscriberCount).toBe(0);
  });

  it("a token that expires during a subscription ends it (4403) and releases its listener", async () => {
    const s = subscribe(t.url, await t.token(p.client, p.tenant, "2s"), SESSION_CHANGED);
    await s.connected;
    await eventually(() => t.app.deps.events.subscriberCount === 1, "the subscription never registered");
    const closed = await s.closed;
    expect(closed).toMatchObject({ code: 4403, reason: "Forbidden: token expired" });
    await eventually(() => t.app.deps.events.subscriberCount === 0, "the expired socket's listener should be released");
    await s.dispose();
  });

  it("queries and mutations are not served over the socket (they go over HTTP, with their transaction, limit and audit)", async () => {
    const token = await t.token(p.provider, p.tenant);
    const mutation = `mutation { bookSession(input: { clientId: "${p.client.id}", startsAt: "2030-01-07T15:00:00Z", durationMinutes: 30 }) { id } }`;
    for (const query of [mutation, "{ me { id } }"]) {
      const s = subscribe(t.url, token, query);
      expect((await s.nth(1)).errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
      await s.dispose();
    }
    const sessions = await t.gql("{ sessions { totalCount } }", {}, token);
    expect(sessions.data?.sessions.totalCount).toBe(0);
  });
});
