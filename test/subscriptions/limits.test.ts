import { eq } from "drizzle-orm";
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { users } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { BOOK, dataOf, iso, NOW, practiceWithHours, SESSION_CHANGED } from "./subscriptions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof practiceWithHours>>;

beforeAll(async () => {
  // The defaults (25 per socket, 10 per user); the user re-check every second so the test is quick.
  t = await startTestApp({ now: () => NOW, env: { SUBSCRIPTION_USER_CHECK_SECONDS: "1" } });
  p = await practiceWithHours(t);
});
afterAll(() => t.close());

type Result = {
  data?: { sessionChanged: { session: { id: string } } };
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
};

/** One socket carrying many subscriptions (the helper in ws.ts opens one socket per subscription). */
function socket(token: string) {
  const client: Client = createClient({
    url: t.url.replace(/^http/, "ws") + "/graphql",
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    onNonLazyError: () => {},
  });
  const add = () => {
    const received: Result[] = [];
    client.subscribe(
      { query: SESSION_CHANGED },
      {
        next: (value) => void received.push(value as Result),
        error: (error) => void received.push({ errors: Array.isArray(error) ? error : [{ message: String(error) }] }),
        complete: () => {},
      },
    );
    return received;
  };
  return { client, add };
}

let hour = 14;
const book = async () =>
  dataOf(
    await t.gql(
      BOOK,
      { input: { clientId: String(p.client.id), startsAt: iso(hour++), durationMinutes: 30 } },
      p.tokens.provider,
    ),
  ).bookSession as { id: string };

describe(`subscription limits (${engine})`, () => {
  it("the 26th subscription on a socket is refused with a coded error; the other 25 keep receiving", async () => {
    const { client, add } = socket(p.tokens.provider);
    const subs = Array.from({ length: 25 }, add);
    await eventually(() => t.app.deps.events.subscriberCount === 25, "the 25 subscriptions never registered");
    const refused = add();
    await eventually(() => refused.length === 1, "the 26th subscription got no answer");
    expect(refused[0].errors?.[0]).toMatchObject({
      extensions: { code: "RATE_LIMITED" },
      message: expect.stringMatching(/at most 25/),
    });
    expect(t.app.deps.events.subscriberCount).toBe(25);

    const booked = await book();
    await eventually(() => subs.every((s) => s.length === 1), "not every one of the 25 received the booking");
    for (const s of subs) expect(s[0].data?.sessionChanged.session.id).toBe(booked.id);
    await client.dispose();
    await eventually(() => t.app.deps.events.subscriberCount === 0, "the subscriptions were never released");
  });

  it("a user's 11th socket is refused with a coded error and closed; the other 10 keep working", async () => {
    const ten = Array.from({ length: 10 }, () => subscribe(t.url, p.tokens.admin, SESSION_CHANGED));
    await eventually(() => t.app.deps.events.subscriberCount === 10, "the 10 sockets never subscribed");
    const eleventh = subscribe(t.url, p.tokens.admin, SESSION_CHANGED);
    const [error] = (await eleventh.nth(1)).errors!;
    expect(error).toMatchObject({ extensions: { code: "RATE_LIMITED" }, message: expect.stringMatching(/at most 10/) });
    expect((await eleventh.closed).code).toBe(4429);
    // Another user is not affected by this one's limit.
    const other = subscribe(t.url, p.tokens.provider, SESSION_CHANGED);
    await eventually(() => t.app.deps.events.subscriberCount === 11, "another user's socket was refused");

    const booked = await book();
    for (const s of [...ten, other]) expect((await s.nth(1)).data!.sessionChanged.session.id).toBe(booked.id);
    await Promise.all([...ten, other].map((s) => s.dispose()));
    await eventually(() => t.app.deps.events.subscriberCount === 0, "the subscriptions were never released");
    // Closing sockets frees the user's slots.
    const again = subscribe(t.url, p.tokens.admin, SESSION_CHANGED);
    await eventually(() => t.app.deps.events.subscriberCount === 1, "a freed slot was not reusable");
    await again.dispose();
  });

  it("a deactivated user's socket is closed (4403) within the re-check interval; others stay open", async () => {
    const client = subscribe(t.url, p.tokens.otherClient, SESSION_CHANGED);
    const provider = subscribe(t.url, p.tokens.provider, SESSION_CHANGED);
    await eventually(() => t.app.deps.events.subscriberCount === 2, "the sockets never subscribed");
    const before = Date.now();
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx.update(users).set({ status: "inactive" }).where(eq(users.id, p.otherClient.id)),
    );
    const closed = await Promise.race([
      client.closed,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000)),
    ]);
    expect(closed?.code).toBe(4403);
    expect(Date.now() - before).toBeLessThan(5_000);
    await eventually(
      () => t.app.deps.events.subscriberCount === 1,
      "the deactivated user's subscription was not released",
    );
    // The provider's socket is still there and still receives.
    await book();
    expect((await provider.nth(1)).data).toBeDefined();
    await provider.dispose();
  });
});
