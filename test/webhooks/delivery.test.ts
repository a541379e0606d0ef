import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { webhookEndpoints } from "../../src/db/schema/index.js";
import { WebhookDeliverer } from "../../src/modules/webhooks/index.js";
import { asTenant } from "../helpers/factories.js";
import { eventually } from "../helpers/ws.js";
import {
  at,
  BOOK,
  createEndpoint,
  dataOf,
  deliveriesOf,
  endpointsOf,
  errorOf,
  idsOf,
  sleep,
  startReceiver,
  webhookPractice,
} from "./webhooks.fixture.js";

const CLINICAL = ["Trauma history, do not share", "Private title 7f3a", "Private description 9c1e"];
const CANCEL = `mutation($id: ID!, $reason: String) { cancelSession(id: $id, reason: $reason) { id status } }`;

describe("webhook deliveries (the job engine's events consumer and each endpoint's job)", () => {
  let world: Awaited<ReturnType<typeof webhookPractice>>;
  let shared: Awaited<ReturnType<typeof webhookPractice>>;
  const receivers: { close(): Promise<void> }[] = [];
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
    const input = {
      providerId: String(p.provider.id),
      clientId: String(p.client.id),
      startsAt: at(hour).toISOString(),
      durationMinutes: 30,
      ...extra,
    };
    return dataOf(await t.gql(BOOK, { input }, tokens.admin)).bookSession as { id: string };
  }

  it("a booking arrives within seconds, signed (Standard Webhooks), verifies with the endpoint's secret, and carries no clinical text", async () => {
    const { t, p, tokens } = world;
    const r = await receiver();
    const { secret, id: endpointId } = await createEndpoint(t, tokens.admin, r.url, [
      "session.booked",
      "session.cancelled",
    ]);
    const session = await book(9, { notes: CLINICAL[0], title: CLINICAL[1], description: CLINICAL[2] });
    const cancelled = dataOf(await t.gql(CANCEL, { id: session.id, reason: "Because of my diagnosis" }, tokens.admin));
    expect(cancelled.cancelSession.status).toBe("CANCELLED");
    await eventually(() => r.received.length === 2, "the two webhooks never arrived");

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
    new Webhook(secret).verify(cancel.body, cancel.headers as Record<string, string>);
    expect(JSON.parse(cancel.body)).toMatchObject({
      type: "session.cancelled",
      data: { sessionId: session.id, status: "CANCELLED" },
    });
    // Another secret does not verify.
    const other = new Webhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`);
    expect(() => other.verify(booked.body, booked.headers as Record<string, string>)).toThrow();

    for (const { body } of r.received) {
      for (const text of [...CLINICAL, "Because of my diagnosis"]) expect(body).not.toContain(text);
      expect(body).not.toMatch(/notes|feedback|description|title|reason/i);
    }
    await eventually(
      async () => (await deliveriesOf(t, p.tenant)).every((d) => d.status === "DELIVERED"),
      "the deliveries were never marked DELIVERED",
    );
    const deliveries = await deliveriesOf(t, p.tenant);
    expect(idsOf(r.received)).toEqual(deliveries.map((d) => String(d.eventId)));
    expect(deliveries.map((d) => [d.status, d.attempts, d.lastStatusCode])).toEqual([
      ["DELIVERED", 1, 204],
      ["DELIVERED", 1, 204],
    ]);

    const listed = dataOf(
      await t.gql(
        `{ webhookEndpoints { id deliveries { eventId eventType status attempts lastStatusCode deliveredAt } } }`,
        {},
        tokens.admin,
      ),
    ).webhookEndpoints.find((e: { id: string }) => e.id === String(endpointId));
    expect(listed.deliveries.map((d: { eventType: string }) => d.eventType)).toEqual([
      "session.cancelled",
      "session.booked",
    ]);
  });

  it("a 500-answering receiver sees retries with growing gaps, then the delivery is FAILED; after 2 FAILED in a row the endpoint is disabled", async () => {
    const { t, p, tokens } = world;
    const r = await receiver(() => 500);
    const { id: endpointId } = await createEndpoint(t, tokens.admin, r.url, ["session.booked"]);
    await book(10);
    await book(11);
    await eventually(
      async () => (await endpointsOf(t, p.tenant)).find((e) => e.id === endpointId)?.active === false,
      "the endpoint was never disabled",
      15_000,
    );

    const ids = [...new Set(idsOf(r.received))];
    expect(ids).toHaveLength(2);
    // Schedule 0.3, 0.6, 1.2 s: 4 attempts of each event, the same webhook-id each time, the gaps growing.
    for (const id of ids) {
      const attempts = r.received.filter((x) => x.headers["webhook-id"] === id);
      expect(attempts).toHaveLength(4);
      const gaps = attempts.slice(1).map((x, i) => x.at - attempts[i].at);
      expect(gaps[0]).toBeGreaterThanOrEqual(290);
      expect(gaps[1]).toBeGreaterThan(gaps[0]);
      expect(gaps[2]).toBeGreaterThan(gaps[1]);
    }
    // The second event was first sent once the first had FAILED (event order per endpoint).
    expect(idsOf(r.received)).toEqual([ids[0], ids[0], ids[0], ids[0], ids[1], ids[1], ids[1], ids[1]]);

    const deliveries = await deliveriesOf(t, p.tenant);
    expect(deliveries.map((d) => [d.status, d.attempts, d.lastStatusCode, d.lastError, d.nextAttemptAt])).toEqual([
      ["FAILED", 4, 500, "HTTP 500", null],
      ["FAILED", 4, 500, "HTTP 500", null],
    ]);
    const endpoint = (await endpointsOf(t, p.tenant)).find((e) => e.id === endpointId)!;
    expect(endpoint).toMatchObject({ active: false, consecutiveFailures: 2 });
    expect(endpoint.disabledAt).toBeInstanceOf(Date);
    const shown = dataOf(
      await t.gql(`{ webhookEndpoints { active deliveries { status attempts } } }`, {}, tokens.admin),
    );
    expect(shown.webhookEndpoints).toEqual([
      {
        active: false,
        deliveries: [
          { status: "FAILED", attempts: 4 },
          { status: "FAILED", attempts: 4 },
        ],
      },
    ]);

    // Disabled: a later event makes no delivery and nothing more is sent.
    const received = r.received.length;
    await book(12);
    await sleep(800);
    expect(r.received).toHaveLength(received);
    expect(await deliveriesOf(t, p.tenant)).toHaveLength(2);
  });

  it("per endpoint, a later event waits while an earlier one is pending", async () => {
    const { t, p, tokens } = world;
    // The first event's first two attempts fail; everything after is accepted.
    const r = await receiver((_, i) => (i < 2 ? 503 : 200));
    await createEndpoint(t, tokens.admin, r.url, ["session.booked", "session.cancelled"]);
    const first = await book(13);
    await t.gql(CANCEL, { id: first.id }, tokens.admin);
    await book(14);
    await eventually(() => r.received.length === 5, "the deliveries never all arrived", 10_000);

    const deliveries = await deliveriesOf(t, p.tenant);
    const [e0, e1, e2] = deliveries.map((d) => String(d.eventId));
    // e1 and e2 were pending while e0 was retried: neither went before e0 was delivered.
    expect(idsOf(r.received)).toEqual([e0, e0, e0, e1, e2]);
    expect(r.received.map((x) => JSON.parse(x.body).type)).toEqual([
      "session.booked",
      "session.booked",
      "session.booked",
      "session.cancelled",
      "session.booked",
    ]);
    await eventually(
      async () => (await deliveriesOf(t, p.tenant)).every((d) => d.status === "DELIVERED"),
      "never all DELIVERED",
    );
    expect((await deliveriesOf(t, p.tenant)).map((d) => d.attempts)).toEqual([3, 1, 1]);
  });

  it("extra workers draining one endpoint at once send each event once", async () => {
    const { t, tokens } = world;
    const r = await receiver();
    const { id: endpointId } = await createEndpoint(t, tokens.admin, r.url, ["session.booked"]);
    const extra = [new WebhookDeliverer(t.app.deps), new WebhookDeliverer(t.app.deps)];
    for (const hour of [15, 16, 17, 18]) {
      await book(hour);
      // Beside the endpoint's own job: two more workers at once, as stray jobs or other instances would.
      await Promise.all(extra.map((d) => d.drain(endpointId)));
    }
    await eventually(() => r.received.length >= 4, "the four webhooks never arrived");
    await sleep(500);
    expect(idsOf(r.received)).toHaveLength(4);
    expect(new Set(idsOf(r.received)).size).toBe(4);
  });

  it("a refused booking sends nothing; an unsubscribed type is not delivered", async () => {
    const { t, p, tokens } = world;
    const r = await receiver();
    await createEndpoint(t, tokens.admin, r.url, ["session.booked"]);
    const booked = await book(19);
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
    await t.gql(CANCEL, { id: booked.id }, tokens.admin); // session.cancelled: not subscribed
    await eventually(() => r.received.length === 1, "the booking's webhook never arrived");
    await sleep(800);
    expect(r.received.map((x) => JSON.parse(x.body).data.sessionId)).toEqual([booked.id]);
    expect(await deliveriesOf(t, p.tenant)).toHaveLength(1);
  });
});

describe("webhook deliveries without WEBHOOK_ALLOW_PRIVATE_URLS", () => {
  it("a URL whose host now resolves to a refused address fails each attempt at delivery and says why", async () => {
    const { t, p, tokens } = await webhookPractice({
      JOBS_POLL_INTERVAL_MS: "100",
      WEBHOOK_RETRY_SCHEDULE_SECONDS: "60",
    });
    const r = await startReceiver();
    try {
      // As a DNS answer that changed after creation: the stored URL's host is loopback now.
      const [endpoint] = await asTenant(t.database, p.tenant.id, (tx) =>
        tx
          .insert(webhookEndpoints)
          .values({
            tenantId: p.tenant.id,
            url: r.url.replace("http:", "https:"),
            events: ["session.booked"],
            secret: "whsec_" + Buffer.alloc(32, 7).toString("base64"),
          })
          .returning(),
      );
      const input = {
        providerId: String(p.provider.id),
        clientId: String(p.client.id),
        startsAt: at(20).toISOString(),
        durationMinutes: 30,
      };
      dataOf(await t.gql(BOOK, { input }, tokens.admin));
      await eventually(async () => (await deliveriesOf(t, p.tenant))[0]?.attempts === 1, "no attempt was made");
      const [delivery] = await deliveriesOf(t, p.tenant);
      expect(delivery).toMatchObject({ endpointId: endpoint.id, status: "PENDING", attempts: 1, lastStatusCode: null });
      expect(delivery.lastError).toMatch(/^URL refused: .*127\.0\.0\.1.*not a public address/);
      expect(r.received).toEqual([]);
    } finally {
      await r.close();
      await t.close();
    }
  });
});
