import { afterAll, beforeAll, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { Database } from "../../src/db/client.js";
import { signToken } from "../../src/modules/tenants/jwt.js";
import { TEST_JWT_SECRET } from "../helpers/app.js";
import { openTestDatabase } from "../helpers/db.js";
import { makePractice, makeSession } from "../helpers/factories.js";
import { at, NOW } from "../sessions/sessions.fixture.js";

const LIMIT = 3;
let database: Database;
let app: App;
let url: string;
const lines: string[] = [];
let feedUrl: string;

beforeAll(async () => {
  ({ database } = await openTestDatabase());
  const config = loadConfig({
    NODE_ENV: "test",
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    CALENDAR_FEED_REQUESTS_PER_MINUTE: String(LIMIT),
    WAITLIST_POLL_INTERVAL_MS: "0",
  });
  app = await createApp({ config, database, now: () => NOW, logStream: { write: (line) => void lines.push(line) } });
  url = await app.listen();
  const p = await makePractice(database);
  await makeSession(database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    startsAt: at(15),
    endsAt: at(16),
  });
  const token = await signToken(config.jwt, { sub: String(p.client.id), tenant: p.tenant.code }, "1h");
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "mutation { calendarFeed { url } }" }),
  });
  feedUrl = `${url}${new URL(((await response.json()) as any).data.calendarFeed.url).pathname}`;
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

it("answers 429 with Retry-After past the per-token limit, while other tokens still answer", async () => {
  const statuses: number[] = [];
  let refused: Response | undefined;
  for (let i = 0; i < LIMIT + 2; i++) {
    const response = await fetch(feedUrl);
    statuses.push(response.status);
    if (response.status === 429) refused = response;
    await response.text();
  }
  expect(statuses).toEqual([...Array(LIMIT).fill(200), 429, 429]);
  expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThan(0);
  // Another URL has its own budget: the limit is per token, not per caller.
  expect((await fetch(`${url}/calendar/${"C".repeat(43)}.ics`)).status).toBe(404);
});

it("never logs the token in the path", async () => {
  const token = new URL(feedUrl).pathname.split("/")[2].replace(/\.ics$/, "");
  const logged = lines.join("");
  expect(logged).toContain("/calendar/[token]");
  expect(logged).not.toContain(token);
  expect(logged).not.toContain("C".repeat(43));
});
