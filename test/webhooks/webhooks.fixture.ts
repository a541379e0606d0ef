import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { asc } from "drizzle-orm";
import { webhookDeliveries, webhookEndpoints, type TenantRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { dataOf, NOW, openAllWeek } from "../sessions/sessions.fixture.js";

export { at, BOOK, dataOf, errorOf, iso, NOW } from "../sessions/sessions.fixture.js";

/** The suite's receivers listen on 127.0.0.1: the private-address rule is lifted, retries wait milliseconds. */
export const WEBHOOK_TEST_ENV = {
  WEBHOOK_ALLOW_PRIVATE_URLS: "true",
  WEBHOOK_RETRY_SCHEDULE_SECONDS: "0.3,0.6,1.2",
  JOBS_POLL_INTERVAL_MS: "100",
  WEBHOOK_TIMEOUT_MS: "2000",
  WEBHOOK_DISABLE_AFTER_FAILURES: "2",
};

/** A practice at NOW whose provider is open all week, with tokens. */
export async function webhookPractice(env: Record<string, string> = WEBHOOK_TEST_ENV, t?: TestApp) {
  t ??= await startTestApp({ now: () => NOW, env });
  const p = await makePractice(t.database);
  const [admin, provider, client] = await Promise.all([p.admin, p.provider, p.client].map((u) => t.token(u, p.tenant)));
  await openAllWeek(t, p.tenant, p.provider);
  return { t, p, tokens: { admin, provider, client } };
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real HTTP receiver on 127.0.0.1 that records every request and answers with `status(request number)`. */
export async function startReceiver(status: (received: Received, index: number) => number = () => 204) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      received.push(entry);
      res.statusCode = status(entry, received.length - 1);
      res.end("receiver body: never stored");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const CREATE = `mutation($url: String!, $events: [String!]!) {
  createWebhookEndpoint(url: $url, events: $events) { secret endpoint { id url events active createdAt } } }`;

export async function createEndpoint(t: TestApp, token: string, url: string, events: string[]) {
  const created = dataOf(await t.gql(CREATE, { url, events }, token)).createWebhookEndpoint;
  return { id: Number(created.endpoint.id), secret: created.secret as string };
}

export function deliveriesOf(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.eventId), asc(webhookDeliveries.id)),
  );
}

export function endpointsOf(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) => tx.select().from(webhookEndpoints).orderBy(asc(webhookEndpoints.id)));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The webhook-ids a receiver saw, in arrival order. */
export const idsOf = (received: Received[]) => received.map((r) => r.headers["webhook-id"] as string);
