/**
 * Driving the calendar page in Debian's Chromium (playwright-core, no browser download): each
 * "browser" is a persistent context on a fresh --user-data-dir, so two pages share nothing.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DateTime } from "luxon";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { makePractice } from "../helpers/factories.js";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "web");
export const ZONE = "America/New_York";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowser(
  url: string,
  options: { viewport?: { width: number; height: number }; timezoneId?: string } = {},
): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), "sessiongraph-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    timezoneId: options.timezoneId,
  });
  // Under a test's own 30 s, so a wait that fails says what it waited for.
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || /content security policy/i.test(message.text())) problems.push(message.text());
  });
  page.on("pageerror", (err) => problems.push(String(err)));
  await page.goto(url);
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Goes to next week (every slot of it lies in the future, whatever the day the test runs) and waits for its slots. */
export async function nextWeek(page: Page): Promise<void> {
  await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
  await page.locator(".fc-next-button").click();
  await page.locator(`[data-testid="slot"][data-start="${at(6, "16:30")}"]`).waitFor();
}

/** The instant of a wall time in the practice's zone on a day of next week (0 = Monday). */
export function at(day: number, time: string): string {
  const monday = DateTime.now().setZone(ZONE).startOf("week").plus({ weeks: 1, days: day });
  return DateTime.fromISO(`${monday.toISODate()}T${time}`, { zone: ZONE }).toUTC().toISO()!;
}

/** The same wall time as the fitness API takes it (naive, the trainer's local time). */
export function naive(day: number, time: string): string {
  return DateTime.fromISO(at(day, time)).setZone(ZONE).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/** A practice whose provider works every day 09:00–17:00 (America/New_York), with tokens. */
export async function practice(t: TestApp) {
  const p = await makePractice(t.database, { timeZone: ZONE });
  const tokens = {
    admin: await t.token(p.admin, p.tenant),
    provider: await t.token(p.provider, p.tenant),
    client: await t.token(p.client, p.tenant),
  };
  for (let day = 0; day < 7; day++) {
    const result = await t.gql(
      `mutation($day: Int!) { createAvailabilityRule(input: { dayOfWeek: $day, startTime: "09:00", endTime: "17:00" }) { id } }`,
      { day },
      tokens.provider,
    );
    expect(result.errors).toBeUndefined();
  }
  return { ...p, tokens };
}

/**
 * A TCP proxy between the browser and the server that can be cut (every connection destroyed,
 * new ones refused) and restored: a real dropped network, for the reconnect test.
 */
export async function cuttableProxy(
  target: string,
): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((incoming) => {
    if (down) return incoming.destroy();
    const outgoing = connect(Number(port), hostname);
    for (const s of [incoming, outgoing]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    incoming.pipe(outgoing).pipe(incoming);
    incoming.on("close", () => outgoing.destroy());
    outgoing.on("close", () => incoming.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
