/**
 * The page beyond the first booking: a dropped and restored network (resumed from the last
 * cursor), an expired token, series occurrences and group sessions for what they are, an admin
 * choosing a provider in the browser's time zone, a phone-sized client, and the demo tenant's
 * "sign in as" list. Screenshots go to test/artifacts/web/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { seedDemo } from "../../src/seed.js";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "../helpers/app.js";
import { openTestDatabase } from "../helpers/db.js";
import { at, cuttableProxy, nextWeek, openBrowser, practice, screenshot } from "./web.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof practice>>;

beforeAll(async () => {
  t = await startTestApp();
  p = await practice(t);
});

afterAll(async () => {
  await t?.close();
});

async function book(startsAt: string, title: string): Promise<string> {
  const result = await t.gql(
    `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`,
    { input: { providerId: p.provider.id, clientId: p.client.id, startsAt, durationMinutes: 60, title } },
    p.tokens.provider,
  );
  expect(result.errors).toBeUndefined();
  return result.data!.bookSession.id;
}

describe("the calendar page, live", () => {
  it("keeps working after its socket is dropped and restored: what happened meanwhile appears, resumed from the last cursor", async () => {
    const proxy = await cuttableProxy(t.url);
    const b = await openBrowser(`${proxy.url}/#token=${p.tokens.provider}`);
    try {
      await nextWeek(b.page);
      await b.page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 7));
      const first = await book(at(1, "09:00"), "Before the drop");
      await b.page.locator(`[data-testid="session"][data-session-id="${first}"]`).waitFor();

      proxy.cut();
      await b.page.locator('[data-testid="live-status"]:not([data-state="live"])').waitFor();
      await screenshot(b.page, "provider-reconnecting");
      const second = await book(at(1, "11:00"), "During the drop");
      const cancelled = await t.gql(
        `mutation($id: ID!) { cancelSession(id: $id) { status } }`,
        { id: first },
        p.tokens.provider,
      );
      expect(cancelled.data!.cancelSession.status).toBe("CANCELLED");
      proxy.restore();

      await b.page.locator('[data-testid="live-status"][data-state="live"]').waitFor({ timeout: 15_000 });
      await b.page.locator(`[data-testid="session"][data-session-id="${second}"]`).waitFor();
      await b.page.locator(`[data-testid="session"][data-session-id="${first}"]`).waitFor({ state: "detached" });
      await b.page.locator(`[data-testid="slot"][data-start="${at(1, "09:00")}"]`).waitFor();
      expect(await b.page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(7);
      // Cleared for the tests below, which use other days.
      await t.gql(`mutation($id: ID!) { cancelSession(id: $id) { id } }`, { id: second }, p.tokens.provider);
    } finally {
      await b.close();
      await proxy.close();
    }
  });

  it("signing in with an expired token shows a clear message (pasted, or in the fragment)", async () => {
    const expired = await t.token(p.provider, p.tenant, Math.floor(Date.now() / 1000) - 3600);
    const b = await openBrowser(`${t.url}/`);
    try {
      await b.page.getByTestId("token-input").fill(expired);
      await b.page.getByRole("button", { name: "Sign in" }).click();
      const error = b.page.getByTestId("sign-in-error");
      await error.waitFor();
      expect(await error.textContent()).toMatch(/^This token expired on .+\. Get a new one and sign in again\.$/);
      await screenshot(b.page, "sign-in-expired");
      await b.page.goto(`${t.url}/#token=${expired}`);
      await b.page.getByTestId("sign-in-error").waitFor();
      expect(await b.page.getByTestId("sign-in-error").textContent()).toContain("expired");
      expect(await b.page.evaluate("sessionStorage.length")).toBe(0);
      await b.page.getByTestId("token-input").fill("not a token");
      await b.page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => b.page.getByTestId("sign-in-error").textContent()).toContain("did not accept");
      // The browser logs each refused sign-in's 401 response; nothing else went wrong.
      expect(b.problems.filter((m) => !m.includes("status of 401"))).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it("shows series occurrences and group sessions for what they are; a seat taken elsewhere updates the group", async () => {
    const series = await t.gql(
      `mutation($input: BookSeriesInput!) { bookSeries(input: $input) { sessions { id } } }`,
      {
        input: {
          clientId: p.client.id,
          startsAt: at(3, "09:00"),
          durationMinutes: 60,
          recurrence: "FREQ=DAILY;COUNT=2",
          title: "Course",
        },
      },
      p.tokens.provider,
    );
    expect(series.errors).toBeUndefined();
    const group = await t.gql(
      `mutation { createGroupSession(input: { startsAt: "${at(4, "13:00")}", durationMinutes: 60, capacity: 4, title: "Mobility class" }) { id } }`,
      {},
      p.tokens.provider,
    );
    expect(group.errors).toBeUndefined();
    const b = await openBrowser(`${t.url}/#token=${p.tokens.provider}`);
    try {
      await nextWeek(b.page);
      const [firstId] = series.data!.bookSeries.sessions.map((s: { id: string }) => s.id);
      const occurrence = b.page.locator(`[data-testid="session"][data-session-id="${firstId}"]`);
      await occurrence.waitFor();
      expect(await occurrence.getAttribute("class")).toContain("series");
      expect(await occurrence.textContent()).toContain("↻ 1");
      const groupEl = b.page.locator(
        `[data-testid="group-session"][data-group-id="${group.data!.createGroupSession.id}"]`,
      );
      await expect.poll(() => groupEl.textContent()).toContain("Mobility class · 0/4 seats");

      const joined = await t.gql(
        `mutation($id: ID!) { joinGroupSession(id: $id) { id } }`,
        { id: group.data!.createGroupSession.id },
        p.tokens.client,
      );
      expect(joined.errors).toBeUndefined();
      await expect.poll(() => groupEl.textContent()).toContain("1/4 seats");
      // The seat is drawn as its group, not as a second block.
      expect(await b.page.locator(`[data-session-id="${joined.data!.joinGroupSession.id}"]`).count()).toBe(0);
      await groupEl.click();
      await b.page.getByRole("dialog").getByText("1 of 4 taken").waitFor();
      await screenshot(b.page, "provider-group-dialog");
      await b.page.getByRole("button", { name: "Close" }).click();
      await occurrence.click();
      await b.page.getByRole("dialog").getByText("occurrence 1 of FREQ=DAILY;COUNT=2").waitFor();
      await b.page.getByRole("button", { name: "Close" }).click();
      await screenshot(b.page, "provider-week-series-group");
      expect(b.problems).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it("an admin chooses a provider and sees the week in the browser's time zone", async () => {
    const id = await book(at(5, "09:00"), "Saturday check-in");
    const b = await openBrowser(`${t.url}/#token=${p.tokens.admin}`, { timezoneId: "Europe/Berlin" });
    try {
      await b.page.getByLabel("Provider", { exact: true }).selectOption(String(p.provider.id));
      await nextWeek(b.page);
      const el = b.page.locator(`[data-testid="session"][data-session-id="${id}"]`);
      await expect.poll(() => el.textContent()).toContain("09:00");
      await b.page.getByLabel("Time zone", { exact: true }).selectOption("browser");
      // 09:00 in New York is 15:00 in Berlin (both on standard time in December; six hours in any season).
      await expect.poll(() => el.textContent()).toContain("15:00");
      await screenshot(b.page, "admin-week-browser-zone");
      expect(b.problems).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it("reads on a phone: one day at a time, with the client's upcoming sessions below", async () => {
    const b = await openBrowser(`${t.url}/#token=${p.tokens.client}`, { viewport: { width: 390, height: 844 } });
    try {
      await b.page.getByTestId("live-status").and(b.page.locator('[data-state="live"]')).waitFor();
      await b.page.locator(".fc-timeGridDay-view").waitFor();
      await b.page.getByTestId("upcoming").getByText("Saturday check-in").waitFor();
      const width = await b.page.evaluate<number>("document.documentElement.scrollWidth");
      expect(width).toBeLessThanOrEqual(390);
      await screenshot(b.page, "client-phone");
    } finally {
      await b.close();
    }
  });
});

describe("the demo tenant's sign-in list", () => {
  it("appears only where the demo tokens are printed, and signs in", async () => {
    const { database } = await openTestDatabase();
    const config = loadConfig({
      NODE_ENV: "test",
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: "0",
      HOST: "127.0.0.1",
      WAITLIST_POLL_INTERVAL_MS: "0",
    });
    const seeded = await seedDemo(database);
    const app = await createApp({
      config,
      database,
      demo: { tenantCode: seeded.tenant.code, users: [seeded.admin, seeded.provider, seeded.client] },
    });
    const url = await app.listen();
    const b = await openBrowser(`${url}/`);
    try {
      const listed = (await (await fetch(`${url}/demo/sign-in`)).json()) as any;
      expect(listed.users.map((u: { name: string }) => u.name)).toEqual(["Ada Admin", "Jane Smith", "John Doe"]);
      await b.page.getByRole("button", { name: "Jane Smith (provider)" }).click();
      await b.page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
      await b.page.locator('[data-testid="session"]').first().waitFor();
      await screenshot(b.page, "demo-provider-week");
      expect(b.problems).toEqual([]);
    } finally {
      await b.close();
      await app.close();
      await database.close();
    }
  });
});
