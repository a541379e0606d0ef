/**
 * Tenant isolation, swept over everything that takes an id. Two practices (A and B) with one of
 * everything; as A's users, every GraphQL root field with an ID argument (found in the schema)
 * and every REST route with an id in its path, query or body (found in /openapi.json) is called
 * with each of B's ids in turn. The answer must be the API's own "not found" (never forbidden,
 * never data), exactly what an id that exists nowhere gets, for every role; and neither
 * tenant's rows may change. Subscriptions never deliver B's events to A.
 *
 * cases.ts says how to call each field and route validly and which kind of record each id slot
 * names; a field or route that takes an id and has no entry there fails the coverage tests.
 */
import type { GraphQLObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSchema } from "../../src/graphql/build-schema.js";
import type { GqlResult, TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { rest, type RestResult } from "../helpers/rest.js";
import { eventually, subscribe, type Subscriber } from "../helpers/ws.js";
import {
  fillPath,
  graphqlFields,
  idSlots,
  restRoutes,
  withPath,
  type GraphqlField,
  type IdSlot,
  type OpenApiDocument,
  type RestRoute,
} from "./discovery.js";
import { GRAPHQL, idStrings, MONDAY, REST, type IdStrings, type Unseen } from "./cases.js";
import { ANSWERS } from "./envelopes.js";
import {
  changedTables,
  fingerprint,
  makeWorldPractice,
  MISSING_ID,
  ROLES,
  snapshot,
  startWorldApp,
  type Kind,
  type Practice,
  type RoleName,
} from "./world.js";

// ------------------------------------------------------------------ subscriptions: how to call each

interface SubscriptionCase {
  args: (own: IdStrings) => Record<string, unknown>;
  slots: Record<string, Kind>;
  /** An unknown id in this slot is NOT_FOUND; otherwise it is a filter that matches nothing. */
  notFound: boolean;
}

const SUBSCRIPTIONS: Record<string, SubscriptionCase> = {
  slotsChanged: {
    args: (o) => ({ providerId: o.provider, from: "2030-01-06", to: "2030-01-12" }),
    slots: { providerId: "provider" },
    notFound: true,
  },
  sessionChanged: {
    args: (o) => ({ providerId: o.provider, clientId: o.client }),
    slots: { providerId: "provider", clientId: "client" },
    notFound: false,
  },
  waitlistChanged: {
    args: (o) => ({ providerId: o.provider, clientId: o.client }),
    slots: { providerId: "provider", clientId: "client" },
    notFound: false,
  },
};

// ------------------------------------------------------------------ the world

let t: TestApp;
let a: Practice;
let b: Practice;
let schema: Awaited<ReturnType<typeof getSchema>>;
let routes: RestRoute[];

beforeAll(async () => {
  t = await startWorldApp();
  a = await makeWorldPractice(t);
  b = await makeWorldPractice(t);
  schema = await getSchema();
  routes = restRoutes((await rest<OpenApiDocument>(t.url, "GET", "/openapi.json")).body);
});
afterAll(() => t?.close());

const kindsOf = (kinds: Kind | readonly Kind[]) => [kinds].flat() as Kind[];

/** An answer with the id it was asked about replaced, so that two answers about different ids compare. */
function normalized(answer: unknown, id: number): string {
  return JSON.stringify(answer).replace(new RegExp(`(?<![\\d:-])${id}(?![\\d:-])`, "g"), "<id>");
}

/** Both tenants' rows (digests per table), to show a case changed nothing. */
const bothTenants = async () => ({ a: await fingerprint(t, a.tenant), b: await fingerprint(t, b.tenant) });

async function unchanged(
  failures: string[],
  name: string,
  before: Awaited<ReturnType<typeof bothTenants>>,
): Promise<void> {
  const after = await bothTenants();
  const changed = [
    ...changedTables(before.a, after.a).map((table) => `A's ${table}`),
    ...changedTables(before.b, after.b).map((table) => `B's ${table}`),
  ];
  if (changed.length) failures.push(`${name}: rows changed (${changed.join(", ")})`);
}

// ------------------------------------------------------------------ GraphQL

/** Whether a GraphQL answer is the given way of not seeing an id. */
function answersUnseen(result: GqlResult<Record<string, any>>, field: string, unseen: Unseen | "NOT_FOUND"): boolean {
  const error = result.errors?.length === 1 ? result.errors[0] : undefined;
  switch (unseen) {
    case "NOT_FOUND":
      return error?.extensions.code === "NOT_FOUND" && result.data?.[field] == null;
    case "field error":
      return (
        error?.extensions.code === "BAD_USER_INPUT" &&
        Object.values(error.extensions.fieldErrors ?? {}).some((m) => /not found/.test(String(m))) &&
        result.data?.[field] == null
      );
    case "null":
      return !result.errors && result.data?.[field] === null;
    case "filter":
      return !result.errors && result.data?.[field] != null;
  }
}

function rootFields(operation: "query" | "mutation" | "subscription"): GraphqlField[] {
  const root = {
    query: schema.getQueryType(),
    mutation: schema.getMutationType(),
    subscription: schema.getSubscriptionType(),
  }[operation] as GraphQLObjectType;
  return graphqlFields(root, operation);
}

/**
 * What the table misses: a field or route that takes ids without an entry (with all: any
 * route without one), an entry for nothing, and an entry whose slots are not the discovered ones.
 */
function coverageGaps(
  found: Array<{ name: string; slots: string[] }>,
  table: Record<string, { slots: Record<string, unknown> }>,
  all = false,
): string[] {
  const covered = found.filter((f) => all || f.slots.length > 0);
  const gaps = covered
    .filter((f) => !table[f.name])
    .map((f) => `${f.name}: takes ids (${f.slots.join(", ") || "none"}) but has no entry`);
  for (const name of Object.keys(table))
    if (!covered.some((f) => f.name === name))
      gaps.push(`${name}: has an entry but no longer exists${all ? "" : " or takes no id"}`);
  for (const f of covered) {
    const entry = table[f.name];
    if (entry && JSON.stringify(Object.keys(entry.slots).sort()) !== JSON.stringify([...f.slots].sort()))
      gaps.push(`${f.name}: slots ${f.slots.join(", ")} but the entry names ${Object.keys(entry.slots).join(", ")}`);
  }
  return gaps;
}

describe(`tenant isolation sweep (${engine})`, () => {
  it("every GraphQL query, mutation and subscription that takes an ID has an entry, and every entry a field", () => {
    const fields = [...rootFields("query"), ...rootFields("mutation")].map((f) => ({ name: f.name, slots: f.idSlots }));
    expect(coverageGaps(fields, GRAPHQL)).toEqual([]);
    expect(
      coverageGaps(
        rootFields("subscription").map((f) => ({ name: f.name, slots: f.idSlots })),
        SUBSCRIPTIONS,
      ),
    ).toEqual([]);
    // The sweep covers something: queries and mutations both, node(id) included.
    expect(Object.keys(GRAPHQL).length).toBeGreaterThan(30);
  });

  it("every REST route has an entry naming exactly the ids it takes (path, query or body), and every entry a route", () => {
    const found = routes.map((route) => ({ name: route.key, slots: idSlots(route).map((slot) => slot.key) }));
    expect(coverageGaps(found, REST, true)).toEqual([]);
    expect(routes.filter((route) => route.pathParams.length > 0).length).toBeGreaterThan(25);
  });

  it("GraphQL: another tenant's id is NOT_FOUND (node: null), exactly as an id that exists nowhere, for every role; nothing changes", async () => {
    const failures: string[] = [];
    const fields = [...rootFields("query"), ...rootFields("mutation")].filter((f) => GRAPHQL[f.name]);
    for (const field of fields) {
      const entry = GRAPHQL[field.name];
      const role = entry.role ?? "admin";
      const base = entry.args(idStrings(a.ids));
      if (field.document.startsWith("query")) {
        const control = await t.gql(field.document, base, a.tokens[role]);
        if (control.errors || control.data?.[field.name] == null)
          failures.push(
            `${field.name}: the control call with A's own ids failed: ${JSON.stringify(control.errors ?? control.data)}`,
          );
      }
      const before = await bothTenants();
      for (const slot of field.idSlots) {
        for (const kind of kindsOf(entry.slots[slot])) {
          const where = `${field.name}(${slot} = B's ${kind})`;
          const foreign = withPath(base, slot, String(b.ids[kind]));
          const missing = withPath(base, slot, String(MISSING_ID));
          for (const caller of ROLES) {
            const [theirs, nowhere] = [
              await t.gql(field.document, foreign, a.tokens[caller]),
              await t.gql(field.document, missing, a.tokens[caller]),
            ];
            const unseen = entry.answers?.[slot] ?? "NOT_FOUND";
            if (caller === role && !answersUnseen(theirs, field.name, unseen))
              failures.push(`${where} as ${caller}: expected ${unseen}, got ${JSON.stringify(theirs)}`);
            if (normalized(theirs, b.ids[kind]) !== normalized(nowhere, MISSING_ID)) {
              failures.push(
                `${where} as ${caller}: answers differently from an id that exists nowhere: ${JSON.stringify(theirs)} vs ${JSON.stringify(nowhere)}`,
              );
            }
          }
        }
      }
      await unchanged(failures, field.name, before);
    }
    expect(failures).toEqual([]);
  });

  it("REST: another tenant's id is each API's own 404 in a path, and answers exactly as an id that exists nowhere anywhere, for every role; nothing changes", async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => REST[r.key] && idSlots(r).length > 0)) {
      const entry = REST[route.key];
      const slots = idSlots(route).filter((slot) => entry.slots[slot.key] !== "external");
      const kindOf = (slot: IdSlot) => entry.slots[slot.key] as Kind;
      const request = (caller: RoleName, ids: (slot: IdSlot) => number) => {
        const value = (slot: IdSlot) => (slot.asString ? String(ids(slot)) : ids(slot));
        const params = Object.fromEntries(slots.filter((s) => s.in === "path").map((s) => [s.name, String(ids(s))]));
        const query = new URLSearchParams({
          ...entry.query,
          ...Object.fromEntries(slots.filter((s) => s.in === "query").map((s) => [s.name, String(ids(s))])),
        });
        const body = entry.body
          ? {
              ...entry.body(),
              ...Object.fromEntries(slots.filter((s) => s.in === "body").map((s) => [s.name, value(s)])),
            }
          : undefined;
        // The treatment-details API wants the caller's own tenant code.
        const headers = route.api === "treatment-details" ? { "x-tenant-code": a.tenant.code } : undefined;
        return rest(t.url, route.method, `${fillPath(route.path, params)}${query.size ? `?${query}` : ""}`, {
          token: a.tokens[caller],
          body,
          headers,
        });
      };
      const own = (slot: IdSlot) => a.ids[kindOf(slot)];
      if (route.method === "GET" && entry.control !== false) {
        const control = await request(entry.role, own);
        if (control.status !== 200)
          failures.push(`${route.key}: the control call with A's own ids failed: ${control.status} ${control.text}`);
      }
      const before = await bothTenants();
      for (const slot of slots) {
        const kind = kindOf(slot);
        const where = `${route.key} (${slot.key} = B's ${kind})`;
        const swap = (id: number) => (s: IdSlot) => (s.key === slot.key ? id : own(s));
        for (const caller of ROLES) {
          const [theirs, nowhere]: RestResult[] = [
            await request(caller, swap(b.ids[kind])),
            await request(caller, swap(MISSING_ID)),
          ];
          if (caller === entry.role && slot.in === "path") {
            const wrong = ANSWERS[route.api].notFound(theirs.status, theirs.body);
            if (wrong) failures.push(`${where} as ${caller}: ${wrong}: ${theirs.status} ${theirs.text}`);
          }
          const answer = (r: RestResult, id: number) => normalized({ status: r.status, body: r.body }, id);
          if (answer(theirs, b.ids[kind]) !== answer(nowhere, MISSING_ID)) {
            failures.push(
              `${where} as ${caller}: answers differently from an id that exists nowhere: ${theirs.status} ${theirs.text} vs ${nowhere.status} ${nowhere.text}`,
            );
          }
        }
      }
      await unchanged(failures, route.key, before);
    }
    expect(failures).toEqual([]);
  });

  describe("subscriptions", () => {
    type Received = Subscriber<Record<string, any>>["received"];
    const sessionIdsOf = (received: Received) => received.map((r) => r.data?.sessionChanged?.session?.id);

    async function watching(token: string, query: string, variables: Record<string, unknown>) {
      const count = t.app.deps.events.subscriberCount;
      const s = subscribe(t.url, token, query, variables);
      await eventually(
        () => t.app.deps.events.subscriberCount === count + 1,
        `the subscription never registered: ${JSON.stringify(s.received)}`,
      );
      return s;
    }

    /** Disposed subscriptions leave the dispatcher a moment later: the next test counts from zero. */
    const allEnded = () => eventually(() => t.app.deps.events.subscriberCount === 0, "subscriptions still open");

    let hour = 17;
    /** Books the next hour on Monday in a practice, as its admin. */
    async function book(practice: Practice): Promise<string> {
      const input = {
        providerId: String(practice.ids.provider),
        clientId: String(practice.ids.client),
        startsAt: `${MONDAY}T${hour++}:00:00Z`,
        durationMinutes: 30,
      };
      const result = await t.gql(
        `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`,
        { input },
        practice.tokens.admin,
      );
      expect(result.errors).toBeUndefined();
      return result.data!.bookSession.id as string;
    }

    it("an id of another tenant's in a subscription is NOT_FOUND where an unknown id is, and otherwise receives exactly what an unknown id does: nothing", async () => {
      const failures: string[] = [];
      const watchers: Array<{
        where: string;
        theirs: Subscriber<Record<string, any>>;
        nowhere: Subscriber<Record<string, any>>;
        foreignId: number;
      }> = [];
      for (const field of rootFields("subscription").filter((f) => SUBSCRIPTIONS[f.name])) {
        const entry = SUBSCRIPTIONS[field.name];
        const base = entry.args(idStrings(a.ids));
        for (const slot of field.idSlots) {
          const kind = entry.slots[slot];
          const where = `${field.name}(${slot} = B's ${kind})`;
          for (const caller of ROLES) {
            const foreign = withPath(base, slot, String(b.ids[kind]));
            const missing = withPath(base, slot, String(MISSING_ID));
            if (entry.notFound) {
              const [theirs, nowhere] = [
                subscribe(t.url, a.tokens[caller], field.document, foreign),
                subscribe(t.url, a.tokens[caller], field.document, missing),
              ];
              const [first, reference] = [await theirs.nth(1), await nowhere.nth(1)];
              if (caller === "admin" && first.errors?.[0]?.extensions?.code !== "NOT_FOUND")
                failures.push(`${where}: expected NOT_FOUND, got ${JSON.stringify(first)}`);
              if (normalized(first, b.ids[kind]) !== normalized(reference, MISSING_ID))
                failures.push(`${where} as ${caller}: ${JSON.stringify(first)} vs ${JSON.stringify(reference)}`);
              await Promise.all([theirs.dispose(), nowhere.dispose()]);
            } else {
              // The admin may follow anyone: the filter itself is what is tested (other roles' answers to it are the sessionChanged tests').
              if (caller !== "admin") continue;
              watchers.push({
                where,
                theirs: await watching(a.tokens[caller], field.document, foreign),
                nowhere: await watching(a.tokens[caller], field.document, missing),
                foreignId: b.ids[kind],
              });
            }
          }
        }
      }
      // A barrier: once A's own booking reached an unfiltered A subscriber, B's earlier one was fanned out too.
      const barrier = await watching(a.tokens.admin, `subscription { sessionChanged { session { id } } }`, {});
      await book(b);
      const mine = await book(a);
      expect((await barrier.nth(1)).data?.sessionChanged.session.id).toBe(mine);
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const { where, theirs, nowhere, foreignId } of watchers) {
        if (
          theirs.received.length ||
          normalized(theirs.received, foreignId) !== normalized(nowhere.received, MISSING_ID)
        )
          failures.push(`${where}: received ${JSON.stringify(theirs.received)}`);
        await Promise.all([theirs.dispose(), nowhere.dispose()]);
      }
      await barrier.dispose();
      await allEnded();
      expect(failures).toEqual([]);
      expect(watchers.length).toBeGreaterThan(0);
    });

    it("A's subscribers (every role, live and replayed from the first event) receive A's events only, never B's", async () => {
      const sessionQuery = `subscription($after: String) { sessionChanged(after: $after) { session { id provider { id } } } }`;
      const slotsQuery = `subscription($p: ID!, $after: String) { slotsChanged(providerId: $p, from: "2030-01-06", to: "2030-01-12", after: $after) { providerId cursor } }`;
      const own = await snapshot(t, a.tenant);
      const ownSessions = new Set(own.sessions.map((s) => String(s.id)));
      // A cursor must name a retained event of the tenant (an invented one such as "0" is refused): replay from A's first.
      const firstEvent = Math.min(...own.events.map((e) => e.id));
      const replayedEvents = own.events.filter(
        (e) => e.id > firstEvent && e.sessionId !== null && e.type !== "AVAILABILITY_CHANGED",
      );
      const lastEvent = Math.max(...own.events.map((e) => e.id));
      const live = [];
      for (const role of ROLES) live.push(await watching(a.tokens[role], sessionQuery, {}));
      const replay = await watching(a.tokens.admin, sessionQuery, { after: String(firstEvent) });
      const slots = await watching(a.tokens.provider, slotsQuery, {
        p: String(a.ids.provider),
        after: String(firstEvent),
      });

      const theirs = await book(b);
      const mine = await book(a);
      // Every live subscriber of A sees A's booking (the client is its client); the replay sees all of A's past session events first.
      for (const s of live) expect((await s.nth(1)).data?.sessionChanged.session.id).toBe(mine);
      await replay.nth(replayedEvents.length + 1);
      await eventually(
        () => slots.received.some((r) => Number(r.data?.slotsChanged.cursor) > lastEvent),
        `no live slotsChanged: ${JSON.stringify(slots.received)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));

      for (const s of [...live, replay]) {
        const seen = sessionIdsOf(s.received);
        expect(seen).not.toContain(theirs);
        expect(
          seen.every((id) => ownSessions.has(id) || id === mine),
          JSON.stringify(seen),
        ).toBe(true);
      }
      expect(replay.received).toHaveLength(replayedEvents.length + 1);
      expect(new Set(slots.received.map((r) => r.data?.slotsChanged.providerId))).toEqual(
        new Set([String(a.ids.provider)]),
      );
      await Promise.all([...live, replay, slots].map((s) => s.dispose()));
      await allEnded();
    });
  });
});
