/**
 * Fuzzing the five REST APIs: for every route of /openapi.json, fast-check generates hostile
 * bodies (any JSON, malformed JSON, the valid body with fields dropped, retyped, replaced by
 * huge numbers, -0, 2^53, NUL, lone surrogates, impossible dates, and extra fields), query
 * strings (hostile values, unknown and repeated keys, broken percent-encoding) and path ids.
 * Whatever comes in: never a 5xx, always the API's own error envelope (or its success shape
 * when the input happened to be valid), and a rejected request changes no row; another
 * tenant's rows never change. Runs are bounded and seeded (FUZZ_SEED, FUZZ_RUNS override).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { rest } from "../helpers/rest.js";
import { anyText, bodyOf, queryOf, rawBody, SEED, wellFormed } from "./arbitraries.js";
import { REST } from "./cases.js";
import { fieldTypeOf, fillPath, idSlots, restRoutes, WRITE_METHODS, type IdSlot, type OpenApiDocument, type RestRoute } from "./discovery.js";
import { API_NAMES, formatProblem } from "./envelopes.js";
import { Targets } from "./targets.js";
import { changedTables, fingerprint, makeWorldPractice, startWorldApp, type Ids, type Kind, type Practice } from "./world.js";

const WRITE_RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const READ_RUNS = Math.ceil(WRITE_RUNS / 2);

let t: TestApp;
let a: Practice;
let b: Practice;
let targets: Targets;
let routes: RestRoute[];

beforeAll(async () => {
  t = await startWorldApp();
  a = await makeWorldPractice(t);
  b = await makeWorldPractice(t);
  targets = new Targets(t, a);
  routes = restRoutes((await rest<OpenApiDocument>(t.url, "GET", "/openapi.json")).body);
});
afterAll(() => t?.close());

/** Stands for the route's current target record in a path. */
const TARGET = Symbol("target");
/** A path id: mostly the target, sometimes text no id looks like ("." and ".." are left out: the client resolves them away, to another path). */
const pathIdOf = fc.oneof(
  { weight: 5, arbitrary: fc.constant<typeof TARGET>(TARGET) },
  { weight: 1, arbitrary: fc.constantFrom("0", "-1", "1e3", "0x10", "2147483648", "99999999999999999999", "1.0", " 1", "١٢", "abc", "%", "%2F") },
  { weight: 1, arbitrary: anyText.filter((text) => text !== "." && text !== "..") },
);

/** A stable per-route seed, so that routes do not all get the same inputs. */
const seedOf = (key: string) => [...key].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) | 0, SEED);

interface Input {
  pathId: typeof TARGET | string;
  query: string;
  body: { json: unknown } | { raw: string };
}

/** A route's id slots and the kinds of record they name. */
function slotsOf(route: RestRoute) {
  const entry = REST[route.key];
  const slots = idSlots(route).filter((slot) => entry.slots[slot.key] !== "external");
  const kindOf = (slot: IdSlot) => entry.slots[slot.key] as Kind;
  return { entry, slots, kindOf, pathSlot: slots.find((slot) => slot.in === "path") };
}

/**
 * Sends one input to a route as its entry's role (the path id: the route's target unless the
 * input gives another) and throws when the answer breaks a rule: a 5xx, another format, or a
 * rejected request that changed a row. Resolves to the status.
 */
async function attempt(route: RestRoute, { pathId, query, body }: Input): Promise<number> {
  const { entry, slots, kindOf, pathSlot } = slotsOf(route);
  const target = pathSlot ? await targets.of(kindOf(pathSlot)) : undefined;
  const params = pathSlot ? { [pathSlot.name]: pathId === TARGET ? String(target) : pathId } : {};
  // Query ids the route needs (therapistId, trainer_id) come first; the fuzzed pairs may repeat or replace them.
  const needed = new URLSearchParams({ ...entry.query, ...Object.fromEntries(slots.filter((s) => s.in === "query").map((s) => [s.name, String(a.ids[kindOf(s)])])) });
  const search = [needed.toString(), query].filter(Boolean).join("&");
  const headers = route.api === "treatment-details" ? { "x-tenant-code": a.tenant.code } : undefined;
  const before = await fingerprint(t, a.tenant);
  const response = await rest(t.url, route.method, `${pathOf(route, params)}${search ? `?${search}` : ""}`, {
    token: a.tokens[entry.role],
    headers,
    ...("raw" in body ? { rawBody: body.raw } : { body: body.json }),
  });
  const wrong = formatProblem(route.api, response.status, response.body);
  if (wrong) throw new Error(`${wrong}: ${response.status} ${response.text.slice(0, 600)}`);
  if (response.status >= 400) {
    const changed = changedTables(before, await fingerprint(t, a.tenant));
    if (changed.length) throw new Error(`rejected with ${response.status} but changed ${changed.join(", ")}: ${response.text.slice(0, 600)}`);
  } else if (WRITE_METHODS.includes(route.method) && pathSlot) {
    targets.usedUp(kindOf(pathSlot));
  }
  return response.status;
}

/** Fuzzes one route; a failure names the route, the seed and the counterexample (fast-check's report). */
async function fuzz(route: RestRoute): Promise<void> {
  const { entry, slots, kindOf, pathSlot } = slotsOf(route);
  const ownValue = (slot: IdSlot) => (slot.asString ? String(a.ids[kindOf(slot)]) : a.ids[kindOf(slot)]);
  const idFields = Object.fromEntries(slots.filter((slot) => slot.in === "body").map((slot) => [slot.name, ownValue(slot)]));
  const valid = entry.body ? { ...entry.body(), ...idFields } : undefined;
  const write = WRITE_METHODS.includes(route.method);
  const bodyTypes = Object.fromEntries(Object.entries(route.body?.properties ?? {}).map(([name, schema]) => [name, fieldTypeOf(name, schema)]));
  const input: fc.Arbitrary<Input> = fc.record({
    pathId: pathSlot ? pathIdOf : fc.constant<typeof TARGET>(TARGET),
    query: queryOf(Object.fromEntries(route.query.map((q) => [q.name, fieldTypeOf(q.name, q.schema)]))),
    body: write ? fc.oneof({ weight: 5, arbitrary: bodyOf(valid, bodyTypes).map((json) => ({ json })) }, { weight: 1, arbitrary: rawBody.map((raw) => ({ raw })) }) : fc.constant({ json: undefined }),
  });
  const others = await fingerprint(t, b.tenant);
  try {
    await fc.assert(
      fc.asyncProperty(input, async (one) => void (await attempt(route, one))),
      { numRuns: write ? WRITE_RUNS : READ_RUNS, seed: seedOf(route.key), includeErrorInReport: true },
    );
  } catch (err) {
    throw new Error(`${route.key}: ${(err as Error).message}`);
  }
  expect(changedTables(others, await fingerprint(t, b.tenant)), `${route.key} changed another tenant's rows`).toEqual([]);
}

/** Inputs the fuzzer once found a 5xx with, kept as plain cases. */
const FOUND = (own: Ids): Array<[string, Input]> => [
  // PostgreSQL text cannot hold NUL (22021).
  ["PUT /api/v1/sessions/{id}", { pathId: TARGET, query: "", body: { json: { title: "\u0000" } } }],
  ["POST /sapphire/scheduler/sessions/", { pathId: TARGET, query: "", body: { json: { client: own.client, session_date: "2030-01-09", start_time: "10:00", end_time: "11:00", session_notes: "a\u0000b" } } }],
  // Year 10000 (a 4-digit year plus a session's length) and year 0 cannot be stored or compared.
  ["POST /booking/meetings", { pathId: TARGET, query: "", body: { json: { startTime: "9999-12-31T23:59:59Z", duration: 60, therapistId: String(own.provider) } } }],
  ["POST /api/v1/sessions", { pathId: TARGET, query: "", body: { json: { client_id: own.client, title: "x", scheduled_start: "9999-12-31T23:30:00", scheduled_end: "9999-12-31T23:59:00" } } }],
  ["GET /api/appointments/psychologist/schedule/", { pathId: TARGET, query: "end_date=0000-01-01", body: { json: undefined } }],
  ["GET /api/appointments/psychologist/schedule/", { pathId: TARGET, query: "year=0000", body: { json: undefined } }],
  ["GET /api/appointments/", { pathId: TARGET, query: "date_to=9999-12-31", body: { json: undefined } }],
  ["GET /api/v1/sessions", { pathId: TARGET, query: "start_date=0000-01-01T00:00:00", body: { json: undefined } }],
];

function pathOf(route: RestRoute, params: Record<string, string>): string {
  return fillPath(route.path, Object.fromEntries(Object.entries(params).map(([name, value]) => [name, wellFormed(value)])));
}

describe(`REST fuzzing (${engine}, seed ${SEED})`, () => {
  it("every route of /openapi.json has an entry (a valid call to start from), and every entry a route", () => {
    expect(routes.filter((route) => !REST[route.key]).map((route) => route.key)).toEqual([]);
    expect(Object.keys(REST).filter((key) => !routes.some((route) => route.key === key))).toEqual([]);
    expect(routes.filter((route) => WRITE_METHODS.includes(route.method)).length).toBeGreaterThan(20);
  });

  it("the inputs that once gave a 500 (NUL in text, years 0 and 10000) get each API's own 400", async () => {
    for (const [key, input] of FOUND(a.ids)) {
      const status = await attempt(routes.find((route) => route.key === key)!, input);
      expect(status, `${key} ${JSON.stringify(input)}`).toBe(400);
    }
  });

  for (const api of API_NAMES) {
    it(`${api}: hostile bodies, query strings and path ids never give a 5xx or another format, and a rejected write changes nothing`, { timeout: 240_000 }, async () => {
      const own = routes.filter((route) => route.api === api);
      expect(own.length).toBeGreaterThan(0);
      for (const route of own) await fuzz(route);
    });
  }
});
