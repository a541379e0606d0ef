import { Webhook } from "standardwebhooks";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { webhookEndpoints } from "../../src/db/schema/index.js";
import { WebhookDeliverer } from "../../src/modules/webhooks/index.js";
import { asTenant } from "../helpers/factories.js";
import {
  at,
  BOOK,
  createEndpoint,
  dataOf,
  deliveriesOf,
  driver,
  endpointsOf,
  errorOf,
  sleep,
  startReceiver,
  webhookPractice,
} from "./webhooks.fixture.js";

const CLINICAL = ["Trauma history, do not share", "Private title 7f3a", "Private description 9c1e"];
const CANCEL = `mutation($id: ID!, $reason: String) { cancelSession(id: $id, reason: $reason) { id status } }`;

describe("webhook deliveries", () => {
  let world: Awaited<ReturnType<typeof webhookPractice>>;
  const receivers: { close(): Promise<void> }[] = [];
  let shared: Awaited<ReturnType<typeof webhookPractice>>;
  beforeAll(async () => {
    shared = await webhookPractice();
  });
  // Each test its own practice (tenant) on the one server: no endpoint of another test hears its events.
  beforeEach(async () => {
    world = await webhookPractice(undefined, shared.t);
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(() => shared.t.close());

  async function receiver(status?: Parameters<typeof startReceiver>[0]) {
    const r = await startReceiver(status);
    receivers.push(r);
    return r;
  }

  async function book(hour: number, extra: Record<string, unknown> = {}) {
    const { t, p, tokens } = world;
    return dataOf(
      await t.gql(
        BOOK,
        {
          input: {
            providerId: String(p.provider.id),
            clientId: String(p.client.id),
            startsAt: at(hour).toISOString(),
            durationMinutes: 30,
            ...extra,
          },
        },
        tokens.admin,
      ),
    ).bookSession as { id: string };
  }

  it("a booking arrives signed (Standard Webhooks), verifies with the endpoint's secret, and carries no clinical text", async () => {
    const { t, p, tokens } = world;
    const r = await receiver();
    const { secret, id: endpointId } = await createEndpoint(t, tokens.admin, r.url, [
      "session.booked",
      "session.cancelled",
    ]);
    const run = await driver(t); // earlier events: none of them subscribed by a later endpoint matters here
    const session = await book(9, { notes: CLINICAL[0], title: CLINICAL[1], description: CLINICAL[2] });
    const cancelled = dataOf(await t.gql(CANCEL, { id: session.id, reason: "Because of my diagnosis" }, tokens.admin));
    expect(cancelled.cancelSession.status).toBe("CANCELLED");

    expect(await run.fanOut()).toEqual([endpointId]);
    expect(await run.deliverer.drain(endpointId)).toBeNull();

    expect(r.received).toHaveLength(2);
    const [booked, cancel] = r.received;
    const payload = new Webhook(secret).verify(booked.body, booked.headers as Record<string, string>) as Record<
      string,
      any
    >;
    expect(payload).toMatchObject({
      type: "session.booked",
      data: {
        sessionId: session.id,
        providerId: String(p.provider.id),
        clientId: String(p.client.id),
        status: "SCHEDULED",
        startsAt: at(9).toISOString(),
        endsAt: at(9, 30).toISOString(),
      },
    });
    expect(Date.parse(payload.timestamp)).not.toBeNaN();
    expect(booked.headers["content-type"]).toBe("application/json");
    expect(booked.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const deliveries = await deliveriesOf(t, p.tenant);
    expect(booked.headers["webhook-id"]).toBe(String(deliveries[0].eventId));
    expect(JSON.parse(cancel.body)).toMatchObject({
      type: "session.cancelled",
      data: { sessionId: session.id, status: "CANCELLED" },
    });
    // A wrong secret does not verify.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(
        booked.body,
        booked.headers as Record<string, string>,
      ),
    ).toThrow();

    for (const { body } of r.received) {
      for (const text of [...CLINICAL, "Because of my diagnosis"]) expect(body).not.toContain(text);
      expect(body).not.toMatch(/notes|feedback|description|title|reason/i);
    }
    expect(deliveries.map((d) => [d.status, d.attempts, d.lastStatusCode])).toEqual([
      ["DELIVERED", 1, 204],
      ["DELIVERED", 1, 204],
    ]);

    const listed = dataOf(
      await t.gql(
        `{ webhookEndpoints { id deliveries { eventType status attempts lastStatusCode deliveredAt } } }`,
        {},
        tokens.admin,
      ),
    ).webhookEndpoints.find((e: { id: string }) => e.id === String(endpointId));
    expect(listed.deliveries.map((d: { eventType: string }) => d.eventType)).toEqual([
      "session.cancelled",
      "session.booked",
    ]);
  });

  it("a 500-answering receiver sees retries with growing gaps, then the delivery is FAILED; the endpoint is disabled after 2 FAILED in a row", async () => {
    const { t, p, tokens } = world;
    const r = await receiver(() => 500);
    const { id: endpointId } = await createEndpoint(t, tokens.admin, r.url, ["session.booked"]);
    const run = await driver(t);
    await book(10);
    await book(11);
    await run.fanOut();
    // What the endpoint's job does: run again when its head is next due.
    for (let next = await run.deliverer.drain(endpointId); next; next = await run.deliverer.drain(endpointId))
      await sleep(Math.max(0, next.getTime() - Date.now()) + 20);

    const ids = [...new Set(r.received.map((x) => x.headers["webhook-id"]))];
    expect(ids).toHaveLength(2);
    // Schedule 0.2, 0.4, 0.8 s: 4 attempts of the first event, the same webhook-id each time, gaps growing.
    const first = r.received.filter((x) => x.headers["webhook-id"] === ids[0]);
    expect(first).toHaveLength(4);
    const gaps = first.slice(1).map((x, i) => x.at - first[i].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(190);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
    // The second event is sent only once the first has FAILED (event order per endpoint).
    const second = r.received.filter((x) => x.headers["webhook-id"] === ids[1]);
    expect(second[0].at).toBeGreaterThanOrEqual(first[3].at);

    const deliveries = (await deliveriesOf(t, p.tenant)).filter((d) => d.endpointId === endpointId);
    expect(deliveries.map((d) => [d.status, d.attempts, d.lastStatusCode, d.lastError])).toEqual([
      ["FAILED", 4, 500, "HTTP 500"],
      ["FAILED", 4, 500, "HTTP 500"],
    ]);
    const endpoint = (await endpointsOf(t, p.tenant)).find((e) => e.id === endpointId)!;
    expect(endpoint).toMatchObject({ active: false, consecutiveFailures: 2 });
    expect(endpoint.disabledAt).toBeInstanceOf(Date);

    // Disabled: a new event is not even queued for it.
    await book(12);
    expect(await run.fanOut()).not.toContain(endpointId);
  });

  it("per endpoint, a later event waits while an earlier one is pending", async () => {
    const { t, p, tokens } = world;
    // The first event's first two attempts fail; everything else is accepted.
    const r = await receiver((_, i) => (i < 2 ? 503 : 200));
    const { id: endpointId } = await createEndpoint(t, tokens.admin, r.url, ["session.booked", "session.cancelled"]);
    const run = await driver(t);
    const first = await book(13);
    await t.gql(CANCEL, { id: first.id }, tokens.admin);
    await book(14);
    await run.fanOut();

    let next = await run.deliverer.drain(endpointId);
    // After one failure the head waits for its retry: nothing after it has been sent.
    expect(next).toBeInstanceOf(Date);
    expect(r.received).toHaveLength(1);
    expect((await deliveriesOf(t, p.tenant)).filter((d) => d.endpointId === endpointId).map((d) => d.status)).toEqual([
      "PENDING",
      "PENDING",
      "PENDING",
    ]);
    // Called early (another worker, a stray job): the head is not due, so nothing is sent out of turn.
    expect(await run.deliverer.drain(endpointId)).toEqual(next);
    expect(r.received).toHaveLength(1);
    for (; next; next = await run.deliverer.drain(endpointId))
      await sleep(Math.max(0, next.getTime() - Date.now()) + 20);

    const order = r.received.map((x) => x.headers["webhook-id"]);
    const deliveries = (await deliveriesOf(t, p.tenant)).filter((d) => d.endpointId === endpointId);
    const eventIds = deliveries.map((d) => String(d.eventId));
    expect(order).toEqual([eventIds[0], eventIds[0], eventIds[0], eventIds[1], eventIds[2]]);
    expect(r.received.map((x) => JSON.parse(x.body).type)).toEqual([
      "session.booked",
      "session.booked",
      "session.booked",
      "session.cancelled",
      "session.booked",
    ]);
    expect(deliveries.map((d) => d.status)).toEqual(["DELIVERED", "DELIVERED", "DELIVERED"]);
  });

  it("two workers draining one endpoint at once send each event once", async () => {
    const { t, tokens } = world;
    const r = await receiver();
    const { id: endpointId } = await createEndpoint(t, tokens.admin, r.url, ["session.booked"]);
    const run = await driver(t);
    for (const hour of [15, 16, 17, 18]) await book(hour);
    await run.fanOut();
    const other = await driver(t);
    await Promise.all([
      run.deliverer.drain(endpointId),
      other.deliverer.drain(endpointId),
      run.deliverer.drain(endpointId),
    ]);
    for (let i = 0; i < 20 && r.received.length < 4; i++) {
      await sleep(100);
      await run.deliverer.drain(endpointId);
    }
    const ids = r.received.map((x) => x.headers["webhook-id"]);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  it("a refused booking sends nothing; an unsubscribed type is not delivered", async () => {
    const { t, p, tokens } = world;
    const r = await receiver();
    const { id: endpointId } = await createEndpoint(t, tokens.admin, r.url, ["session.cancelled"]);
    const run = await driver(t);
    await book(19);
    const overlap = await t.gql(
      BOOK,
      {
        input: {
          providerId: String(p.provider.id),
          clientId: String(p.client.id),
          startsAt: at(19).toISOString(),
          durationMinutes: 30,
        },
      },
      tokens.admin,
    );
    expect(errorOf(overlap).code).toBe("CONFLICT");
    expect(await run.fanOut()).toEqual([]);
    expect(await run.deliverer.drain(endpointId)).toBeNull();
    expect(r.received).toEqual([]);
    expect((await deliveriesOf(t, p.tenant)).filter((d) => d.endpointId === endpointId)).toEqual([]);
  });

  it("a delivery whose host now resolves to a refused address fails the attempt and says why", async () => {
    const { t, p, tokens } = world;
    const r = await receiver();
    const { id: endpointId } = await createEndpoint(t, tokens.admin, r.url, ["session.booked"]);
    const run = await driver(t);
    await book(20);
    await run.fanOut();
    // The host now points at a loopback address (as a changed DNS answer would), on an instance without the development flag.
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .update(webhookEndpoints)
        .set({ url: r.url.replace("http:", "https:") })
        .where(eq(webhookEndpoints.id, endpointId)),
    );
    const strict = new WebhookDeliverer({
      ...t.app.deps,
      config: { ...t.config, webhooks: { ...t.config.webhooks, allowPrivateUrls: false } },
    });
    expect(await strict.drain(endpointId)).toBeInstanceOf(Date);
    expect(r.received).toEqual([]);
    const [delivery] = (await deliveriesOf(t, p.tenant)).filter((d) => d.endpointId === endpointId);
    expect(delivery).toMatchObject({ status: "PENDING", attempts: 1, lastStatusCode: null });
    expect(delivery.lastError).toMatch(/^URL refused: .*127\.0\.0\.1.*not a public address/);
  });
});
