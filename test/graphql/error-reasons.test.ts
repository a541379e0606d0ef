/**
 * Every GraphQL error carries extensions.reason, over real HTTP and graphql-ws: a service's
 * (NOT_FOUND, ...), and GraphQL's own: parse, validation and bad variables (VALIDATION), a bad
 * id (VALIDATION, naming the argument), the document limits (TOO_MUCH_WORK), rate limits
 * (RATE_LIMITED), a missing token (UNAUTHENTICATED), an unexpected failure (INTERNAL), and the
 * transport's refusals (malformed JSON: VALIDATION; a body over the limit: TOO_MUCH_WORK).
 */
import { sql } from "drizzle-orm";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice } from "../helpers/factories.js";
import { subscribe } from "../helpers/ws.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let token: string;

beforeAll(async () => {
  // One write a minute and one subscription a socket: the limits are reached at once.
  t = await startTestApp({ env: { RATE_LIMIT_WRITES_PER_MINUTE: "1", MAX_SUBSCRIPTIONS_PER_SOCKET: "1" } });
  p = await makePractice(t.database);
  token = await t.token(p.provider, p.tenant);
});
afterAll(() => t?.close());

type Extensions = Record<string, unknown> | undefined;
const first = (result: { errors?: { extensions: Record<string, unknown> }[] }): Extensions =>
  result.errors?.[0]?.extensions;

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as { errors?: { message: string; extensions: Record<string, unknown> }[] },
  };
}

/** A query whose deepest field is `depth` levels down. */
function nested(depth: number): string {
  const path = ["sessions(first: 1)", "nodes", "treatmentPlan"];
  let query = "id";
  for (let level = depth - 1; level >= 1; level--) query = `${path[(level - 1) % 3]} { ${query} }`;
  return `{ ${query} }`;
}

const SLOTS = `subscription($p: ID!, $from: Date!) { slotsChanged(providerId: $p, from: $from) { providerId } }`;

describe(`extensions.reason on every GraphQL error (${engine})`, () => {
  it("HTTP: a service's error keeps its own reason", async () => {
    expect(first(await t.gql(`query($id: ID!) { session(id: $id) { id } }`, { id: "99999999" }, token))).toMatchObject({
      code: "NOT_FOUND",
      reason: "NOT_FOUND",
    });
  });

  it("HTTP: parse, validation, bad variables and bad ids are VALIDATION", async () => {
    expect(first(await t.gql(`{ me { id `, {}, token))).toMatchObject({
      code: "GRAPHQL_PARSE_FAILED",
      reason: "VALIDATION",
    });
    expect(first(await t.gql(`{ me { noSuchField } }`, {}, token))).toMatchObject({
      code: "GRAPHQL_VALIDATION_FAILED",
      reason: "VALIDATION",
    });
    expect(
      first(await t.gql(`query($n: Int) { sessions(first: $n) { totalCount } }`, { n: "many" }, token)),
    ).toMatchObject({ code: "BAD_USER_INPUT", reason: "VALIDATION" });
    // A bad id names the argument the variable is passed as, whatever the variable is called.
    const badId = await t.gql(
      `mutation($p: ID!, $c: ID!) { assignClient(providerId: $p, clientId: $c) }`,
      { p: p.provider.id, c: "abc" },
      token,
    );
    expect(first(badId)).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { clientId: 'clientId must be a numeric id, got "abc"' },
    });
    const literal = await t.gql(`{ session(id: "2147483648") { id } }`, {}, token);
    expect(first(literal)).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { id: 'id must be a numeric id, got "2147483648"' },
    });
  });

  it("HTTP: depth, token and cost limits are TOO_MUCH_WORK", async () => {
    expect(first(await t.gql(nested(13), {}, token))).toMatchObject({
      code: "GRAPHQL_VALIDATION_FAILED",
      reason: "TOO_MUCH_WORK",
    });
    expect(first(await t.gql(`{ ${"me { id } ".repeat(300)} }`, {}, token))).toMatchObject({
      code: "GRAPHQL_PARSE_FAILED",
      reason: "TOO_MUCH_WORK",
    });
    const costly = `{ sessions(first: 100) { nodes { treatmentPlan { sessions(first: 100) { nodes { id title } } } } } }`;
    expect(first(await t.gql(costly, {}, token))).toMatchObject({
      code: "GRAPHQL_VALIDATION_FAILED",
      reason: "TOO_MUCH_WORK",
    });
  });

  it("HTTP: no token is UNAUTHENTICATED; a write over the limit is RATE_LIMITED", async () => {
    expect(first(await t.gql(`{ me { id } }`))).toMatchObject({ code: "UNAUTHENTICATED", reason: "UNAUTHENTICATED" });
    const write = `mutation { createUnit(name: "reason-${Date.now()}") { id } }`;
    await t.gql(write, {}, token);
    const limited = await t.gql(`mutation { createUnit(name: "reason-second") { id } }`, {}, token);
    expect(limited.status).toBe(429);
    expect(first(limited)).toMatchObject({ code: "RATE_LIMITED", reason: "RATE_LIMITED" });
  });

  it("HTTP: the transport's refusals: malformed JSON is VALIDATION, a body over the limit TOO_MUCH_WORK", async () => {
    expect(first((await post("{not json")).body)).toMatchObject({ code: "BAD_REQUEST", reason: "VALIDATION" });
    const huge = await post(JSON.stringify({ query: `{ me { id } }`, variables: { pad: "x".repeat(1_100_000) } }));
    expect(huge.status).toBe(413);
    expect(first(huge.body)).toMatchObject({ code: "BAD_REQUEST", reason: "TOO_MUCH_WORK" });
  });

  it("HTTP: an unexpected failure is INTERNAL", async () => {
    await t.database.db.execute(sql`revoke select on sessions from sessiongraph_app`);
    try {
      expect(first(await t.gql(`{ sessions(first: 1) { nodes { id } } }`, {}, token))).toMatchObject({
        code: "INTERNAL_SERVER_ERROR",
        reason: "INTERNAL",
      });
    } finally {
      await t.database.db.execute(sql`grant select on sessions to sessiongraph_app`);
    }
  });

  it("graphql-ws: bad variables, a bad id, validation, a query and the cost limit each carry a reason", async () => {
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      [SLOTS, { p: p.provider.id, from: "someday" }, { code: "BAD_USER_INPUT", reason: "VALIDATION" }],
      [
        SLOTS,
        { p: "abc", from: "2030-01-07" },
        {
          code: "BAD_USER_INPUT",
          reason: "VALIDATION",
          fieldErrors: { providerId: 'providerId must be a numeric id, got "abc"' },
        },
      ],
      [`subscription { slotsChanged { nothing } }`, {}, { code: "GRAPHQL_VALIDATION_FAILED", reason: "VALIDATION" }],
      [`query { me { id } }`, {}, { code: "BAD_REQUEST", reason: "VALIDATION" }],
      [
        `subscription($p: ID!) { slotsChanged(providerId: $p, from: "2030-01-01", to: "2030-03-03") { ${["a", "b", "c"].map((k) => `${k}: days { date slots { startsAt availableDurations } }`).join(" ")} } }`,
        { p: p.provider.id },
        { code: "GRAPHQL_VALIDATION_FAILED", reason: "TOO_MUCH_WORK" },
      ],
    ];
    for (const [query, variables, expected] of cases) {
      const subscriber = subscribe(t.url, token, query, variables);
      const result = await subscriber.nth(1);
      await subscriber.dispose();
      expect(result.errors?.[0].extensions, query).toMatchObject(expected);
    }
  });

  it("graphql-ws: a subscription over the socket's limit is RATE_LIMITED", async () => {
    const client = createClient({
      url: t.url.replace(/^http/, "ws") + "/graphql",
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
      onNonLazyError: () => {},
    });
    const refusal = new Promise<unknown>((resolve) => {
      const sink = { next: () => {}, error: (error: unknown) => resolve(error), complete: () => {} };
      client.subscribe(
        { query: SLOTS, variables: { p: p.provider.id, from: "2030-01-07" } },
        { ...sink, error: () => {} },
      );
      client.subscribe({ query: SLOTS, variables: { p: p.provider.id, from: "2030-01-08" } }, sink);
    });
    const errors = (await refusal) as { extensions?: Record<string, unknown> }[];
    await client.dispose();
    expect(errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", reason: "RATE_LIMITED" });
  });
});
