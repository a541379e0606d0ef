import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asTenant, makePractice } from "../helpers/factories.js";
import { webhookDeliveries } from "../../src/db/schema/index.js";
import {
  CREATE,
  createEndpoint,
  dataOf,
  endpointsOf,
  errorOf,
  NOW,
  startReceiver,
  webhookPractice,
  WEBHOOK_TEST_ENV,
} from "./webhooks.fixture.js";

const LIST = `{ webhookEndpoints { id url events active createdAt deliveries(first: 5) { id eventId eventType status attempts } } }`;
const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on WebhookEndpoint { url events active } } }`;
const DELETE = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
const REDELIVER = `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status attempts } }`;

describe("webhook endpoints (ADMIN)", () => {
  let world: Awaited<ReturnType<typeof webhookPractice>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    world = await webhookPractice();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await world.t.close();
  });

  it("creates an endpoint and shows its whsec_ secret once; lists it; node(id) finds it", async () => {
    const { t, tokens } = world;
    const result = dataOf(
      await t.gql(
        CREATE,
        { url: receiver.url, events: ["session.booked", "session.cancelled", "session.booked"] },
        tokens.admin,
      ),
    ).createWebhookEndpoint;
    expect(result.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(result.secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    expect(result.endpoint).toMatchObject({
      url: receiver.url,
      events: ["session.booked", "session.cancelled"],
      active: true,
    });

    const listed = dataOf(await t.gql(LIST, {}, tokens.admin)).webhookEndpoints;
    expect(listed).toContainEqual(expect.objectContaining({ id: result.endpoint.id, deliveries: [] }));
    expect(JSON.stringify(listed)).not.toContain(result.secret);

    const node = dataOf(await t.gql(NODE, { id: result.endpoint.id }, tokens.admin)).node;
    expect(node).toMatchObject({ __typename: "WebhookEndpoint", id: result.endpoint.id, url: receiver.url });
  });

  it("refuses providers and clients (FORBIDDEN) and hides endpoints from their node(id)", async () => {
    const { t, tokens } = world;
    const { id } = await createEndpoint(t, tokens.admin, receiver.url, ["session.booked"]);
    for (const token of [tokens.provider, tokens.client]) {
      expect(errorOf(await t.gql(LIST, {}, token)).code).toBe("FORBIDDEN");
      expect(errorOf(await t.gql(CREATE, { url: receiver.url, events: ["session.booked"] }, token)).code).toBe(
        "FORBIDDEN",
      );
      expect(errorOf(await t.gql(DELETE, { id: String(id) }, token)).code).toBe("FORBIDDEN");
      expect(errorOf(await t.gql(REDELIVER, { id: String(id) }, token)).code).toBe("FORBIDDEN");
      const hidden = await t.gql(NODE, { id: String(id) }, token);
      expect(hidden.data?.node ?? null).toBeNull();
    }
  });

  it("another tenant's endpoint and delivery are NOT_FOUND", async () => {
    const { t, p, tokens } = world;
    const { id } = await createEndpoint(t, tokens.admin, receiver.url, ["session.booked"]);
    const [delivery] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .insert(webhookDeliveries)
        .values({ tenantId: p.tenant.id, endpointId: id, eventId: 999_999, eventType: "session.booked", payload: {} })
        .returning(),
    );
    const other = await makePractice(t.database);
    const otherAdmin = await t.token(other.admin, other.tenant);
    expect(errorOf(await t.gql(DELETE, { id: String(id) }, otherAdmin)).code).toBe("NOT_FOUND");
    expect(errorOf(await t.gql(REDELIVER, { id: String(delivery.id) }, otherAdmin)).code).toBe("NOT_FOUND");
    expect((await t.gql(NODE, { id: String(id) }, otherAdmin)).data?.node ?? null).toBeNull();
    expect(dataOf(await t.gql(LIST, {}, otherAdmin)).webhookEndpoints).toEqual([]);
    // Still there for its own tenant.
    expect((await endpointsOf(t, p.tenant)).map((e) => e.id)).toContain(id);
  });

  it("redelivers a delivery whatever its status (PENDING again, attempts from 0); deletes an endpoint with its deliveries", async () => {
    const { t, p, tokens } = world;
    const { id } = await createEndpoint(t, tokens.admin, receiver.url, ["session.booked"]);
    const [delivery] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .insert(webhookDeliveries)
        .values({
          tenantId: p.tenant.id,
          endpointId: id,
          eventId: 123_456,
          eventType: "session.booked",
          payload: {},
          status: "FAILED",
          attempts: 4,
          lastStatusCode: 500,
        })
        .returning(),
    );
    const again = dataOf(await t.gql(REDELIVER, { id: String(delivery.id) }, tokens.admin)).redeliverWebhook;
    expect(again).toEqual({ id: String(delivery.id), status: "PENDING", attempts: 0 });

    expect(dataOf(await t.gql(DELETE, { id: String(id) }, tokens.admin)).deleteWebhookEndpoint).toBe(true);
    expect((await endpointsOf(t, p.tenant)).map((e) => e.id)).not.toContain(id);
    expect(errorOf(await t.gql(REDELIVER, { id: String(delivery.id) }, tokens.admin)).code).toBe("NOT_FOUND");
    expect(errorOf(await t.gql(DELETE, { id: String(id) }, tokens.admin)).code).toBe("NOT_FOUND");
  });

  it("a disabled endpoint is not switched back on by a redelivery (INVALID_TRANSITION)", async () => {
    const { t, p, tokens } = world;
    const { id } = await createEndpoint(t, tokens.admin, receiver.url, ["session.booked"]);
    const delivery = await asTenant(t.database, p.tenant.id, async (tx) => {
      const { webhookEndpoints } = await import("../../src/db/schema/index.js");
      const { eq } = await import("drizzle-orm");
      await tx.update(webhookEndpoints).set({ active: false, disabledAt: NOW }).where(eq(webhookEndpoints.id, id));
      const [row] = await tx
        .insert(webhookDeliveries)
        .values({
          tenantId: p.tenant.id,
          endpointId: id,
          eventId: 777_777,
          eventType: "session.booked",
          payload: {},
          status: "FAILED",
        })
        .returning();
      return row;
    });
    const refused = errorOf(await t.gql(REDELIVER, { id: String(delivery.id) }, tokens.admin));
    expect(refused).toMatchObject({ code: "BAD_USER_INPUT", reason: "INVALID_TRANSITION" });
    expect((await endpointsOf(t, p.tenant)).find((e) => e.id === id)?.active).toBe(false);
  });

  it("deliveries(first) is bounded", async () => {
    const { t, tokens } = world;
    await createEndpoint(t, tokens.admin, receiver.url, ["session.booked"]);
    for (const first of [0, -5]) {
      const refused = errorOf(
        await t.gql(`{ webhookEndpoints { deliveries(first: ${first}) { id } } }`, {}, tokens.admin),
      );
      expect(refused).toMatchObject({ code: "BAD_USER_INPUT", reason: "VALIDATION" });
    }
  });

  it("bad input is refused with every problem named, and nothing is written", async () => {
    const { t, p, tokens } = world;
    const before = await endpointsOf(t, p.tenant);
    const cases: [string, string[], Record<string, string>, string][] = [
      ["not a url", ["session.booked"], { url: "not a URL" }, "VALIDATION"],
      [`https://example.com/${"a".repeat(2100)}`, ["session.booked"], { url: "longer than 2048" }, "VALIDATION"],
      [receiver.url, [], { events: "at least one event type" }, "VALIDATION"],
      [receiver.url, ["session.booked", "session.exploded"], { events: '"session.exploded"' }, "VALIDATION"],
      ["nope", ["nope"], { url: "not a URL", events: '"nope"' }, "VALIDATION"],
    ];
    for (const [url, events, fields, reason] of cases) {
      const refused = errorOf(await t.gql(CREATE, { url, events }, tokens.admin));
      expect(refused, url.slice(0, 40)).toMatchObject({ code: "BAD_USER_INPUT", reason });
      for (const [field, text] of Object.entries(fields)) expect(refused.fieldErrors?.[field]).toContain(text);
    }
    expect(await endpointsOf(t, p.tenant)).toEqual(before);
  });
});

describe("webhook endpoints without WEBHOOK_ALLOW_PRIVATE_URLS", () => {
  let world: Awaited<ReturnType<typeof webhookPractice>>;
  beforeAll(async () => {
    world = await webhookPractice({});
  });
  afterAll(() => world.t.close());

  it.each([
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]:8443/hook",
    "https://localhost/hook",
    "http://8.8.8.8/hook",
  ])("%s is URL_REFUSED and nothing is written", async (url) => {
    const { t, p, tokens } = world;
    const refused = errorOf(await t.gql(CREATE, { url, events: ["session.booked"] }, tokens.admin));
    expect(refused).toMatchObject({ code: "BAD_USER_INPUT", reason: "URL_REFUSED" });
    expect(refused.fieldErrors?.url).toBeTruthy();
    expect(await endpointsOf(t, p.tenant)).toEqual([]);
  });

  it("the suite's settings are what lifts the rule", () => {
    expect(world.t.config.webhooks.allowPrivateUrls).toBe(false);
    expect(WEBHOOK_TEST_ENV.WEBHOOK_ALLOW_PRIVATE_URLS).toBe("true");
  });
});
