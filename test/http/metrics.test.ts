/**
 * GET /metrics in Prometheus text format, read after real traffic: requests and latency by
 * route pattern (never the raw URL), GraphQL operations by type, root field and outcome, open
 * subscriptions, database statements and pool size.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { eventually, subscribe } from "../helpers/ws.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database);
  admin = await t.token(p.admin, p.tenant);
});
afterAll(() => t.close());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The exposition format's sample lines: name{label="value",...} number. */
async function scrape(): Promise<{ contentType: string | null; samples: Sample[]; text: string }> {
  const response = await fetch(`${t.url}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const samples = text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      );
      return { name: match[1], labels, value: Number(match[3]) };
    });
  return { contentType: response.headers.get("content-type"), samples, text };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

describe(`GET /metrics (${engine})`, () => {
  it("counts requests and their latency by method, route pattern and status", async () => {
    const before = (await scrape()).samples;
    await t.gql(`{ me { id } }`, {}, admin);
    await t.gql(`{ me { id } }`, {}, admin);
    await rest(t.url, "GET", "/api/v1/sessions?per_page=5", { token: admin });
    await rest(t.url, "GET", "/booking/meetings/123456", { token: admin });
    await rest(t.url, "GET", "/no/such/route/98765");
    const { contentType, samples, text } = await scrape();

    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const graphqlOk = { method: "POST", route: "/graphql", status: "200" };
    expect(value(samples, "http_requests_total", graphqlOk) - value(before, "http_requests_total", graphqlOk)).toBe(2);
    expect(value(samples, "http_requests_total", { method: "GET", route: "/api/v1/sessions", status: "200" })).toBe(1);
    // A path with an id is counted under its pattern; an unknown path under "unmatched".
    expect(value(samples, "http_requests_total", { method: "GET", route: "/booking/meetings/:id" })).toBe(1);
    expect(
      value(samples, "http_requests_total", { method: "GET", route: "unmatched", status: "404" }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(/123456|98765|per_page/);
    // Latency: a histogram per method and route, its count matching the requests.
    const latency = { method: "POST", route: "/graphql" };
    expect(value(samples, "http_request_duration_seconds_count", latency)).toBe(
      value(samples, "http_requests_total", latency),
    );
    expect(value(samples, "http_request_duration_seconds_bucket", { ...latency, le: "+Inf" })).toBe(
      value(samples, "http_request_duration_seconds_count", latency),
    );
    expect(value(samples, "http_request_duration_seconds_sum", latency)).toBeGreaterThan(0);
  });

  it("GraphQL operations by type, root field and outcome", async () => {
    const before = (await scrape()).samples;
    await t.gql(`{ me { id } }`, {}, admin);
    expect((await t.gql(`mutation { createUnit(name: "box") { id } }`, {}, admin)).errors).toBeUndefined();
    expect(
      (await t.gql(`mutation { confirmSession(id: "999999") { id } }`, {}, admin)).errors?.[0].extensions.code,
    ).toBe("NOT_FOUND");
    const after = (await scrape()).samples;
    const delta = (labels: Record<string, string>) =>
      value(after, "graphql_operation_duration_seconds_count", labels) -
      value(before, "graphql_operation_duration_seconds_count", labels);
    expect(delta({ type: "query", field: "me", outcome: "ok" })).toBe(1);
    expect(delta({ type: "mutation", field: "createUnit", outcome: "ok" })).toBe(1);
    expect(delta({ type: "mutation", field: "confirmSession", outcome: "error" })).toBe(1);
  });

  it("open subscriptions: up while one is open, down once it closes", async () => {
    expect(value((await scrape()).samples, "graphql_subscriptions_open")).toBe(0);
    const s = subscribe(t.url, admin, `subscription { sessionChanged { id } }`);
    await s.connected;
    await eventually(() => t.app.deps.events.subscriberCount === 1, "the subscription never registered");
    expect(value((await scrape()).samples, "graphql_subscriptions_open")).toBe(1);
    await s.dispose();
    await eventually(
      async () => value((await scrape()).samples, "graphql_subscriptions_open") === 0,
      "the closed subscription is still counted",
    );
  });

  it("the database: statements sent, pool size; and the process's own figures", async () => {
    const before = value((await scrape()).samples, "db_statements_total");
    // A request that reads (the caller alone may be cached: `me` can send nothing).
    await t.gql(`{ users(role: ADMIN) { id } }`, {}, admin);
    const { samples } = await scrape();
    expect(value(samples, "db_statements_total")).toBeGreaterThan(before);
    expect(value(samples, "db_pool_max_connections")).toBe(engine === "pglite" ? 1 : t.config.databasePoolMax);
    expect(value(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === "nodejs_eventloop_lag_p99_seconds")).toBe(true);
  });
});
