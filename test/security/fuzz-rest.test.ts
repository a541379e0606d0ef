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
import { anyText, BOUNDARY_JSON, BOUNDARY_URL, bodyOf, queryOf, rawBody, SEED, wellFormed } from "./arbitraries.js";
import { REST } from "./cases.js";
import {
  fieldTypeOf,
  fillPath,
  idSlots,
  restRoutes,
  WRITE_METHODS,
  type IdSlot,
  type JsonSchema,
  type OpenApiDocument,
  type RestRoute,
} from "./discovery.js";
import { API_NAMES, formatProblem } from "./envelopes.js";
import { Targets } from "./targets.js";
import {
  changedTables,
  fingerprint,
  makeWorldPractice,
  startWorldApp,
  type Ids,
  type Kind,
  type Practice,
} from "./world.js";

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
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "0",
      "-1",
      "1e3",
      "0x10",
      "2147483648",
      "99999999999999999999",
      "1.0",
      " 1",
      "١٢",
      "abc",
      "%",
      "%2F",
    ),
  },
  { weight: 1, arbitrary: anyText.filter((text) => text !== "." && text !== "..") },
);

/** A stable per-route seed, so that routes do not all get the same inputs. */
const seedOf = (key: string) => [...key].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) | 0, SEED);

interface Input {
  /** The target, text (URL-encoded when sent), or a segment sent as it is (already percent-encoded). */
  pathId: typeof TARGET | string | { encoded: string };
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
async function attempt(
  route: RestRoute,
  { pathId, query, body }: Input,
  { checkWrites = true, replaceNeeded = false } = {},
): Promise<number> {
  const { entry, slots, kindOf, pathSlot } = slotsOf(route);
  const target = pathSlot ? await targets.of(kindOf(pathSlot)) : undefined;
  const encoded = typeof pathId === "object" ? pathId.encoded : undefined;
  const params = pathSlot
    ? { [pathSlot.name]: pathId === TARGET ? String(target) : typeof pathId === "string" ? pathId : "" }
    : {};
  // Query ids the route needs (therapistId, trainer_id) come first; the fuzzed pairs may repeat or replace them.
  const needed = new URLSearchParams({
    ...entry.query,
    ...Object.fromEntries(slots.filter((s) => s.in === "query").map((s) => [s.name, String(a.ids[kindOf(s)])])),
  });
  // The boundary sweep sends one value per parameter: a needed parameter it sets is replaced, not repeated.
  if (replaceNeeded)
    for (const pair of query.split("&")) needed.delete(decodeURIComponent(pair.split("=")[0].replace(/\[.*$/, "")));
  const search = [needed.toString(), query].filter(Boolean).join("&");
  const headers = route.api === "treatment-details" ? { "x-tenant-code": a.tenant.code } : undefined;
  const path = encoded !== undefined ? route.path.replace(`{${pathSlot!.name}}`, encoded) : pathOf(route, params);
  const before = checkWrites ? await fingerprint(t, a.tenant) : undefined;
  const response = await rest(t.url, route.method, `${path}${search ? `?${search}` : ""}`, {
    token: a.tokens[entry.role],
    headers,
    ...("raw" in body ? { rawBody: body.raw } : { body: body.json }),
  });
  const wrong = formatProblem(route.api, response.status, response.body);
  if (wrong) throw new Error(`${wrong}: ${response.status} ${response.text.slice(0, 600)}`);
  if (response.status >= 400 && before) {
    const changed = changedTables(before, await fingerprint(t, a.tenant));
    if (changed.length)
      throw new Error(
        `rejected with ${response.status} but changed ${changed.join(", ")}: ${response.text.slice(0, 600)}`,
      );
  } else if (WRITE_METHODS.includes(route.method) && pathSlot) {
    targets.usedUp(kindOf(pathSlot));
  }
  return response.status;
}

/** Fuzzes one route; a failure names the route, the seed and the counterexample (fast-check's report). */
async function fuzz(route: RestRoute): Promise<void> {
  const { entry, slots, kindOf, pathSlot } = slotsOf(route);
  const ownValue = (slot: IdSlot) => (slot.asString ? String(a.ids[kindOf(slot)]) : a.ids[kindOf(slot)]);
  const idFields = Object.fromEntries(
    slots.filter((slot) => slot.in === "body").map((slot) => [slot.name, ownValue(slot)]),
  );
  const valid = entry.body ? { ...entry.body(), ...idFields } : undefined;
  const write = WRITE_METHODS.includes(route.method);
  const bodyTypes = Object.fromEntries(
    Object.entries(route.body?.properties ?? {}).map(([name, schema]) => [name, fieldTypeOf(name, schema)]),
  );
  const input: fc.Arbitrary<Input> = fc.record({
    pathId: pathSlot ? pathIdOf : fc.constant<typeof TARGET>(TARGET),
    query: queryOf(Object.fromEntries(route.query.map((q) => [q.name, fieldTypeOf(q.name, q.schema)]))),
    body: write
      ? fc.oneof(
          { weight: 5, arbitrary: bodyOf(valid, bodyTypes).map((json) => ({ json })) },
          { weight: 1, arbitrary: rawBody.map((raw) => ({ raw })) },
        )
      : fc.constant({ json: undefined }),
  });
  const others = await fingerprint(t, b.tenant);
  try {
    await fc.assert(
      fc.asyncProperty(input, async (one) => void (await attempt(route, one))),
      { numRuns: write ? WRITE_RUNS : READ_RUNS, seed: seedOf(route.key), includeErrorInReport: true },
    );
  } catch (err) {
    throw new Error(`${route.key}: ${(err as Error).message}`, { cause: err });
  }
  expect(changedTables(others, await fingerprint(t, b.tenant)), `${route.key} changed another tenant's rows`).toEqual(
    [],
  );
}

/** Whether a parameter's schema holds a number (else it is treated as text). */
const numeric = (schema: JsonSchema | undefined) =>
  [schema?.type].flat().some((type) => type === "integer" || type === "number");

/** One parameter's boundary inputs: a batch, checked together. */
interface Batch {
  label: string;
  inputs: Input[];
}

/**
 * Every boundary value (arbitraries.ts: BOUNDARY_URL, BOUNDARY_JSON) in every parameter of the
 * route, one parameter at a time, the others valid: its path id, each query parameter (also
 * repeated, an array where a scalar goes), each body field, and the body itself.
 */
function boundaryBatches(route: RestRoute, sweepBody: boolean): Batch[] {
  const { entry, slots, kindOf, pathSlot } = slotsOf(route);
  const write = WRITE_METHODS.includes(route.method);
  const ownValue = (slot: IdSlot) => (slot.asString ? String(a.ids[kindOf(slot)]) : a.ids[kindOf(slot)]);
  const valid = entry.body
    ? {
        ...entry.body(),
        ...Object.fromEntries(slots.filter((slot) => slot.in === "body").map((slot) => [slot.name, ownValue(slot)])),
      }
    : undefined;
  const validBody = { json: write ? valid : undefined };
  const batches: Batch[] = [];
  if (pathSlot)
    batches.push({
      label: `path ${pathSlot.name}`,
      inputs: [...BOUNDARY_URL.number, ...BOUNDARY_URL.text].map((value) => ({
        pathId: { encoded: value },
        query: "",
        body: validBody,
      })),
    });
  for (const { name, schema } of route.query) {
    const key = encodeURIComponent(name);
    const values = [
      ...BOUNDARY_URL[numeric(schema) ? "number" : "text"].map((v) => `${key}=${v}`),
      `${key}=1&${key}=2`,
    ];
    batches.push({
      label: `query ${name}`,
      inputs: values.map((query) => ({ pathId: TARGET, query, body: validBody })),
    });
  }
  if (write && route.body && sweepBody) {
    for (const [name, schema] of Object.entries(route.body.properties ?? {})) {
      const values = BOUNDARY_JSON[numeric(schema) ? "number" : "text"];
      batches.push({
        label: `body ${name}`,
        inputs: values.map((value) => ({ pathId: TARGET, query: "", body: { json: { ...valid, [name]: value } } })),
      });
    }
    batches.push({
      label: "body",
      inputs: [[], [valid], "", 0, null].map((json) => ({ pathId: TARGET, query: "", body: { json } })),
    });
  }
  return batches;
}

/**
 * Sends a batch: a write's inputs one by one, each fingerprinted around it (a refused one must
 * change nothing); a read's four at a time (reads write nothing but the audit).
 */
async function sweep(route: RestRoute, batch: Batch): Promise<number> {
  const describe = (input: Input) =>
    JSON.stringify(input, (_, v: unknown) =>
      typeof v === "string" && v.length > 80 ? `${v.slice(0, 20)}...(${v.length})` : v,
    );
  const send = async (input: Input, checkWrites: boolean) => {
    try {
      return await attempt(route, input, { checkWrites, replaceNeeded: true });
    } catch (err) {
      throw new Error(`${route.key} ${batch.label} ${describe(input)}: ${(err as Error).message}`, { cause: err });
    }
  };
  if (!WRITE_METHODS.includes(route.method)) {
    for (let i = 0; i < batch.inputs.length; i += 4)
      await Promise.all(batch.inputs.slice(i, i + 4).map((input) => send(input, false)));
  } else {
    for (const input of batch.inputs) await send(input, true);
  }
  return batch.inputs.length;
}

/** Inputs the fuzzer once found a 5xx with, kept as plain cases. */
const FOUND = (own: Ids): Array<[string, Input]> => [
  // PostgreSQL text cannot hold NUL (22021).
  ["PUT /api/v1/sessions/{id}", { pathId: TARGET, query: "", body: { json: { title: "\u0000" } } }],
  [
    "POST /sapphire/scheduler/sessions/",
    {
      pathId: TARGET,
      query: "",
      body: {
        json: {
          client: own.client,
          session_date: "2030-01-09",
          start_time: "10:00",
          end_time: "11:00",
          session_notes: "a\u0000b",
        },
      },
    },
  ],
  // Year 10000 (a 4-digit year plus a session's length) and year 0 cannot be stored or compared.
  [
    "POST /booking/meetings",
    {
      pathId: TARGET,
      query: "",
      body: { json: { startTime: "9999-12-31T23:59:59Z", duration: 60, therapistId: String(own.provider) } },
    },
  ],
  [
    "POST /api/v1/sessions",
    {
      pathId: TARGET,
      query: "",
      body: {
        json: {
          client_id: own.client,
          title: "x",
          scheduled_start: "9999-12-31T23:30:00",
          scheduled_end: "9999-12-31T23:59:00",
        },
      },
    },
  ],
  [
    "GET /api/appointments/psychologist/schedule/",
    { pathId: TARGET, query: "end_date=0000-01-01", body: { json: undefined } },
  ],
  ["GET /api/appointments/psychologist/schedule/", { pathId: TARGET, query: "year=0000", body: { json: undefined } }],
  ["GET /api/appointments/", { pathId: TARGET, query: "date_to=9999-12-31", body: { json: undefined } }],
  ["GET /api/v1/sessions", { pathId: TARGET, query: "start_date=0000-01-01T00:00:00", body: { json: undefined } }],
  // An OFFSET past bigint, and an id past int4.
  ["GET /api/v1/sessions", { pathId: TARGET, query: "page=1000000000000000000", body: { json: undefined } }],
  [
    "GET /sapphire/scheduler/sessions/",
    { pathId: TARGET, query: "treatment_plan_id=99999999999", body: { json: undefined } },
  ],
];

function pathOf(route: RestRoute, params: Record<string, string>): string {
  return fillPath(
    route.path,
    Object.fromEntries(Object.entries(params).map(([name, value]) => [name, wellFormed(value)])),
  );
}

describe(`REST fuzzing (${engine}, seed ${SEED})`, () => {
  it("every route of /openapi.json has an entry (a valid call to start from), and every entry a route", () => {
    expect(routes.filter((route) => !REST[route.key]).map((route) => route.key)).toEqual([]);
    expect(Object.keys(REST).filter((key) => !routes.some((route) => route.key === key))).toEqual([]);
    expect(routes.filter((route) => WRITE_METHODS.includes(route.method)).length).toBeGreaterThan(20);
  });

  it("the inputs that once gave a 500 (NUL in text, years 0 and 10000, page 10^18, an id past 2^31-1) get each API's own 400", async () => {
    for (const [key, input] of FOUND(a.ids)) {
      const status = await attempt(
        routes.find((route) => route.key === key)!,
        input,
        { replaceNeeded: true },
      );
      expect(status, `${key} ${JSON.stringify(input)}`).toBe(400);
    }
  });

  it(
    'boundary values (2^31, 2^53, 10^18, -1, 0, NaN, "", 100 KB, lone surrogates, arrays and objects for scalars) in every path, query and body parameter of every route: no 5xx, the API\'s own format, a rejected write changes nothing',
    { timeout: 240_000 },
    async () => {
      const others = await fingerprint(t, b.tenant);
      // /booking and /api/booking register the same handlers with the same schemas: bodies are swept under the first.
      const sweptBodies = new Set<string>();
      let sent = 0;
      for (const route of routes) {
        const bodyKey = `${route.api} ${route.method} ${route.path.replace(/^\/api\/booking\//, "/booking/")} ${JSON.stringify(route.body)}`;
        const sweepBody = !sweptBodies.has(bodyKey);
        sweptBodies.add(bodyKey);
        for (const batch of boundaryBatches(route, sweepBody)) sent += await sweep(route, batch);
      }
      expect(sent).toBeGreaterThan(800);
      expect(changedTables(others, await fingerprint(t, b.tenant))).toEqual([]);
    },
  );

  for (const api of API_NAMES) {
    it(
      `${api}: hostile bodies, query strings and path ids never give a 5xx or another format, and a rejected write changes nothing`,
      { timeout: 240_000 },
      async () => {
        const own = routes.filter((route) => route.api === api);
        expect(own.length).toBeGreaterThan(0);
        for (const route of own) await fuzz(route);
      },
    );
  }
});
