import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Database } from "../db/client.js";
import type { EventDispatcher } from "../modules/events/index.js";
import { bearerToken } from "../modules/tenants/index.js";

export interface Metrics {
  registry: Registry;
  /** One GraphQL operation: its type and first root field (bounded by the schema, unlike client-chosen names). */
  graphqlOperation(type: string, field: string, seconds: number, failed: boolean): void;
}

/**
 * GET /metrics in Prometheus text format: requests and latency by route, GraphQL operations,
 * open subscriptions, database statements and pool size, and the process's own figures.
 * One registry per app (tests run several apps in one process). With a token (METRICS_TOKEN)
 * the scrape must send `Authorization: Bearer <token>`; anything else is 401.
 */
export function installMetrics(
  server: FastifyInstance,
  sources: { database: Database; events: EventDispatcher; poolMax: number; token?: string },
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method and route",
    labelNames: ["method", "route"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const operations = new Histogram({
    name: "graphql_operation_duration_seconds",
    help: "GraphQL operations by type, root field and outcome",
    labelNames: ["type", "field", "outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: "graphql_subscriptions_open",
    help: "Open GraphQL subscriptions on this instance",
    registers: [registry],
    collect() {
      this.set(sources.events.subscriberCount);
    },
  });
  new Gauge({
    name: "db_statements_total",
    help: "SQL statements sent (BEGIN/COMMIT not counted)",
    registers: [registry],
    collect() {
      this.set(sources.database.statements);
    },
  });
  new Gauge({
    name: "db_pool_max_connections",
    help: "Connection pool size (1 for embedded PGlite)",
    registers: [registry],
    collect() {
      this.set(sources.database.kind === "pglite" ? 1 : sources.poolMax);
    },
  });

  server.addHook("onResponse", async (request, reply) => {
    // The route pattern, never the raw URL: ids and query strings would explode the label set.
    const route = request.routeOptions.url ?? "unmatched";
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  const expected = sources.token === undefined ? undefined : digest(sources.token);
  server.get("/metrics", async (request, reply) => {
    // Compared as fixed-length digests in constant time: neither the token's bytes nor its length leak through timing.
    if (expected && !timingSafeEqual(digest(bearerToken(request.headers.authorization) ?? ""), expected)) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="metrics"')
        .send({ error: "Unauthorized: send Authorization: Bearer $METRICS_TOKEN" });
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  return {
    registry,
    graphqlOperation(type, field, seconds, failed) {
      operations.observe({ type, field, outcome: failed ? "error" : "ok" }, seconds);
    },
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
