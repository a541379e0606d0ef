/**
 * Fuzzing the GraphQL booking, availability and treatment-detail inputs: for each such field
 * (found in the schema: every root field taking one of their input types), fast-check sends the
 * valid arguments mutated (fields dropped, retyped, replaced by huge numbers, -0, 2^53, NUL,
 * lone surrogates, impossible dates; unknown fields added), any JSON as variables, and the same
 * as inline literals, as any role. Whatever comes in: never a 5xx or an INTERNAL_SERVER_ERROR,
 * every error with its extensions.code, and a failed operation changes no row; another
 * tenant's rows never change. Runs are bounded and seeded (FUZZ_SEED, FUZZ_RUNS override).
 */
import fc from "fast-check";
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLObjectType,
  type IntrospectionQuery,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSchema } from "../../src/graphql/build-schema.js";
import type { GqlResult, TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { anyJson, BOUNDARY_JSON, mutated, nastyValue, SEED, typedValue, type FieldType } from "./arbitraries.js";
import { GRAPHQL, idStrings } from "./cases.js";
import { graphqlFields, selectionOf, withPath, type GraphqlField } from "./discovery.js";
import { graphqlProblem } from "./envelopes.js";
import { Targets } from "./targets.js";
import {
  changedTables,
  fingerprint,
  makeWorldPractice,
  startWorldApp,
  type Kind,
  type Practice,
  type RoleName,
} from "./world.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** The input types of sessions, availability and treatment details: every field taking one is fuzzed. */
const FUZZED_INPUTS = /Session|Availability|TreatmentDetail/;

/**
 * The fuzzed fields: the kind of record their `id` acts on (a write that succeeds may use it
 * up: the next run gets a fresh one), and valid arguments to add to (or change in) the sweep
 * table's, so that the valid call reaches more of the field.
 */
const FUZZED: Record<string, { target?: Kind; extra?: Record<string, unknown> }> = {
  bookSession: {},
  rescheduleSession: { target: "session" },
  updateSession: {
    target: "session",
    extra: { input: { title: "Fuzz", startsAt: "2030-01-08T16:00:00Z", durationMinutes: 45, modality: "AUDIO" } },
  },
  completeSession: {
    target: "session",
    extra: { input: { notes: "Fuzz", actualStart: "2030-01-08T16:00:00Z", actualEnd: "2030-01-08T16:30:00Z" } },
  },
  sessions: { extra: { first: 5, orderBy: { field: "STARTS_AT", direction: "ASC" } } },
  availableSlots: { extra: { to: "2030-01-13", durations: [30, 60] } },
  freeIntervals: { extra: { minDurationMinutes: 30 } },
  workingHours: { extra: { to: "2030-01-13" } },
  updateProviderSchedulingSettings: { extra: { minNoticeMinutes: 60, timeZone: "Europe/Berlin" } },
  createAvailabilityRule: {},
  updateAvailabilityRule: { target: "rule" },
  createAvailabilityOverride: {
    extra: { input: { date: "2030-01-10", isAvailable: true, startTime: "19:00", endTime: "20:00", reason: "Fuzz" } },
  },
  createTreatmentDetail: {},
  createTreatmentDetails: {},
  createGroupSession: { extra: { input: { title: "Fuzz", modality: "VIDEO", location: "Room 1" } } },
  updateTreatmentDetail: { target: "detail" },
};

let t: TestApp;
let a: Practice;
let b: Practice;
let targets: Targets;
let fields: GraphqlField[];

beforeAll(async () => {
  t = await startWorldApp();
  a = await makeWorldPractice(t);
  b = await makeWorldPractice(t);
  targets = new Targets(t, a);
  const schema = await getSchema();
  fields = [
    ...graphqlFields(schema.getQueryType() as GraphQLObjectType, "query"),
    ...graphqlFields(schema.getMutationType() as GraphQLObjectType, "mutation"),
  ];
});
afterAll(() => t?.close());

/** Whether a field takes a session, availability or treatment-detail input object (through lists and non-null). */
const takesFuzzedInput = (field: GraphqlField) =>
  field.field.args.some((arg) => {
    const named = getNamedType(arg.type);
    return isInputObjectType(named) && FUZZED_INPUTS.test(named.name);
  });

/** One argument: as valid, absent, hostile, or (an input object) the valid one mutated. */
function argumentOf(arg: GraphQLArgument, valid: unknown): fc.Arbitrary<unknown> {
  const named = getNamedType(arg.type);
  const options: Array<fc.WeightedArbitrary<unknown>> = [
    { weight: 4, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: nastyValue },
  ];
  const type = fieldTypeOf(arg.type);
  if (type) options.push({ weight: 3, arbitrary: typedValue(type) });
  if (isInputObjectType(named) && valid && typeof valid === "object") {
    const types = Object.fromEntries(Object.values(named.getFields()).map((f) => [f.name, fieldTypeOf(f.type)]));
    const object = (v: unknown) => mutated(v as Record<string, unknown>, types);
    const list = isListType(getNullableType(arg.type));
    options.push({
      weight: 6,
      arbitrary: list ? fc.array(object((valid as unknown[])[0]), { minLength: 0, maxLength: 3 }) : object(valid),
    });
  }
  return fc.oneof(...options);
}

const SCALAR_TYPES: Record<string, FieldType> = {
  String: { kind: "text" },
  ID: { kind: "id" },
  Int: { kind: "integer" },
  Float: { kind: "number" },
  Boolean: { kind: "boolean" },
  DateTime: { kind: "instant" },
  Date: { kind: "date" },
  LocalTime: { kind: "time" },
  TimeZone: { kind: "choice", values: ["UTC", "America/New_York", "Mars/Base", "Etc/GMT+14", "", "\u0000"] },
};

/** What an input field holds, read from its GraphQL type. */
function fieldTypeOf(type: GraphQLInputType): FieldType | undefined {
  const named = getNamedType(type);
  if (isEnumType(named)) return { kind: "choice", values: named.getValues().map((v) => v.name) };
  return SCALAR_TYPES[named.name];
}

/** An inline GraphQL literal of a JSON value; an all-caps string is written as an enum value. */
function literal(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return /^[A-Z][A-Z_]*$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  return `{${Object.entries(value as object)
    .map(([key, v]) => `${key}: ${literal(v)}`)
    .join(", ")}}`;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Arguments with some changed; an input object's changed fields are merged into it. */
function withChanges(args: Record<string, unknown>, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const merged = { ...args };
  for (const [name, value] of Object.entries(changes))
    merged[name] = isPlainObject(value) && isPlainObject(args[name]) ? { ...args[name], ...value } : value;
  return merged;
}

const ROLE = fc.constantFrom<RoleName>("admin", "admin", "admin", "provider", "provider", "client");

interface Call {
  role: RoleName;
  variables: unknown;
  inline: boolean;
}

/** The field's valid arguments with A's ids. */
function validOf(field: GraphqlField): Record<string, unknown> {
  return withChanges(GRAPHQL[field.name].args(idStrings(a.ids)), FUZZED[field.name].extra);
}

/**
 * Makes one call (its `id`, when still the valid one, becomes the field's target) and throws
 * when the answer breaks a rule: a 5xx, an error without a code or INTERNAL_SERVER_ERROR, or a
 * failed call that changed a row. Resolves to the answer.
 */
async function attempt(
  field: GraphqlField,
  { role, variables, inline }: Call,
): Promise<GqlResult<Record<string, unknown>>> {
  const spec = FUZZED[field.name];
  const operation = field.document.startsWith("mutation") ? "mutation" : "query";
  if (
    spec.target &&
    variables &&
    typeof variables === "object" &&
    (variables as Record<string, unknown>).id === validOf(field).id
  ) {
    variables = { ...(variables as object), id: String(await targets.of(spec.target)) };
  }
  const args =
    variables && typeof variables === "object" && !Array.isArray(variables)
      ? (variables as Record<string, unknown>)
      : undefined;
  const inlined = inline && args !== undefined;
  const document = inlined
    ? `${operation} { ${field.name}${
        Object.keys(args).length
          ? `(${Object.entries(args)
              .filter(([, v]) => v !== undefined)
              .map(([name, v]) => `${name}: ${literal(v)}`)
              .join(", ")})`
          : ""
      }${selectionOf(field.field, true)} }`
    : field.leavesDocument;
  const before = await fingerprint(t, a.tenant);
  const result = await t.gql(document, inlined ? undefined : (variables as Record<string, unknown>), a.tokens[role]);
  const wrong = graphqlProblem(result.status, result);
  if (wrong) throw new Error(`${wrong}: ${JSON.stringify(result).slice(0, 800)}`);
  if (result.errors) {
    const changed = changedTables(before, await fingerprint(t, a.tenant));
    if (changed.length)
      throw new Error(`failed with ${result.errors[0].extensions.code} but changed ${changed.join(", ")}`);
  } else if (spec.target && operation === "mutation") {
    targets.usedUp(spec.target);
  }
  return result;
}

async function fuzz(field: GraphqlField): Promise<void> {
  const valid = validOf(field);
  const perArgument = fc.record(
    Object.fromEntries(field.field.args.map((arg) => [arg.name, argumentOf(arg, valid[arg.name])])),
  );
  const call: fc.Arbitrary<Call> = fc.record({
    role: ROLE,
    variables: fc.oneof({ weight: 8, arbitrary: perArgument }, { weight: 1, arbitrary: anyJson }),
    // Inline literals go through the scalars' parseLiteral rather than parseValue.
    inline: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });
  const others = await fingerprint(t, b.tenant);
  try {
    await fc.assert(
      fc.asyncProperty(call, async (one) => void (await attempt(field, one))),
      {
        numRuns: RUNS,
        seed: [...field.name].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) | 0, SEED),
        includeErrorInReport: true,
      },
    );
  } catch (err) {
    throw new Error(`${field.name}: ${(err as Error).message}`, { cause: err });
  }
  expect(changedTables(others, await fingerprint(t, b.tenant)), `${field.name} changed another tenant's rows`).toEqual(
    [],
  );
}

/** Valid arguments for the root fields that take no id (so not in the sweep table): the boundary sweep starts from them. */
const NO_ID_ARGS: Record<string, Record<string, unknown>> = {
  createUser: { input: { role: "CLIENT", username: "boundary.user", name: "Boundary" } },
  createItem: { name: "Boundary" },
  createUnit: { name: "Boundary" },
};

/** The boundary values of an argument or input field, by its GraphQL type (ids and custom scalars are strings). */
function boundaryValues(type: GraphQLInputType): readonly unknown[] {
  const named = getNamedType(type);
  if (named.name === "Int" || named.name === "Float") return BOUNDARY_JSON.number;
  if (named.name === "ID")
    return [
      ...BOUNDARY_JSON.number.filter((v) => typeof v !== "number"),
      "2147483648",
      "9007199254740992",
      "-1",
      "0",
      2 ** 53,
    ];
  if (isInputObjectType(named) || named.name === "Boolean") return ["", 0, [], [{}], { a: 1 }, null];
  return BOUNDARY_JSON.text;
}

/**
 * Where a root field takes a value: each argument, and each field of an input-object argument
 * (of each element of a list of them). The subscriptions' `after:` cursor is another part of
 * issue 14 (forged cursors) and is not swept here.
 */
function boundarySlots(field: GraphqlField["field"]): Array<{ path: string; type: GraphQLInputType }> {
  return field.args.flatMap((arg) => {
    const nullable = getNullableType(arg.type);
    const list = isListType(nullable);
    const named = getNamedType(arg.type);
    const inner = isInputObjectType(named)
      ? Object.values(named.getFields()).map((f) => ({
          path: `${arg.name}${list ? "[]" : ""}.${f.name}`,
          type: f.type,
        }))
      : [];
    return [{ path: arg.name, type: arg.type }, ...inner];
  });
}

/** Calls the fuzzer once found an INTERNAL_SERVER_ERROR with (as the admin, valid arguments but these), and their answer now. */
const FOUND: Array<[string, Record<string, unknown>, "BAD_USER_INPUT" | "success"]> = [
  // The day after 9999-12-31 is no 4-digit date (slot math threw a RangeError).
  ["freeIntervals", { date: "9999-12-31" }, "BAD_USER_INPUT"],
  // Year 0 (a day before 0001-01-01) and year 10000 cannot be compared with stored instants.
  ["availableSlots", { from: "0001-01-01", to: "0001-01-02" }, "BAD_USER_INPUT"],
  ["rescheduleSession", { startsAt: "9999-12-31T23:59:59Z" }, "BAD_USER_INPUT"],
  // PostgreSQL's JSON (the event's payload) refuses a lone surrogate: stored as U+FFFD, as in text columns.
  ["rescheduleSession", { reason: "\ud9c5" }, "success"],
  // PostgreSQL text cannot hold NUL.
  ["bookSession", { input: { title: "\u0000" } }, "BAD_USER_INPUT"],
];

describe(`GraphQL fuzzing (${engine}, seed ${SEED})`, () => {
  it("every field taking a session, availability or treatment-detail input is fuzzed, and every fuzzed field exists", () => {
    expect(
      fields
        .filter(takesFuzzedInput)
        .map((f) => f.name)
        .filter((name) => !FUZZED[name]),
    ).toEqual([]);
    expect(Object.keys(FUZZED).filter((name) => !fields.some((f) => f.name === name && GRAPHQL[name]))).toEqual([]);
  });

  it("the calls that once gave INTERNAL_SERVER_ERROR (dates past year 9999 or before year 1, lone surrogates, NUL) are BAD_USER_INPUT, or succeed", async () => {
    for (const [name, change, answer] of FOUND) {
      const field = fields.find((f) => f.name === name)!;
      const result = await attempt(field, {
        role: "admin",
        variables: withChanges(validOf(field), change),
        inline: false,
      });
      expect(
        result.errors?.[0]?.extensions.code ?? "success",
        `${name} ${JSON.stringify(change)}: ${JSON.stringify(result.errors)}`,
      ).toBe(answer);
    }
  });

  it(
    'boundary values (2^31, 2^53, 10^18, -1, 0, NaN, "", 100 KB, lone surrogates, arrays and objects for scalars) in every argument of every query and mutation of the live schema: no 5xx or uncoded error, a failed mutation changes nothing',
    { timeout: 240_000 },
    async () => {
      const introspection = await t.gql<IntrospectionQuery>(getIntrospectionQuery(), {}, a.tokens.admin);
      const live = buildClientSchema(introspection.data!);
      const roots = [
        ...graphqlFields(live.getQueryType() as GraphQLObjectType, "query"),
        ...graphqlFields(live.getMutationType() as GraphQLObjectType, "mutation"),
      ];
      const others = await fingerprint(t, b.tenant);
      let sent = 0;
      for (const root of roots) {
        const base = GRAPHQL[root.name]
          ? withChanges(GRAPHQL[root.name].args(idStrings(a.ids)), FUZZED[root.name]?.extra)
          : (NO_ID_ARGS[root.name] ?? {});
        const mutation = root.document.startsWith("mutation");
        for (const slot of boundarySlots(root.field)) {
          const calls = boundaryValues(slot.type).map((value) => withPath(base, slot.path, value));
          const send = async (variables: Record<string, unknown>) => {
            const result = await t.gql(root.document, variables, a.tokens.admin);
            sent++;
            const wrong = graphqlProblem(result.status, result);
            const shown = JSON.stringify(variables, (_, v: unknown) =>
              typeof v === "string" && v.length > 80 ? `${v.slice(0, 20)}...(${v.length})` : v,
            );
            if (wrong)
              throw new Error(`${root.name} ${slot.path} ${shown}: ${wrong}: ${JSON.stringify(result).slice(0, 600)}`);
            return result;
          };
          if (!mutation) {
            for (let i = 0; i < calls.length; i += 4) await Promise.all(calls.slice(i, i + 4).map(send));
            continue;
          }
          // One fingerprint around the slot's calls; when some succeeded, each failed one again on its own.
          const before = await fingerprint(t, a.tenant);
          const failed: Array<Record<string, unknown>> = [];
          for (const variables of calls) if ((await send(variables)).errors) failed.push(variables);
          if (failed.length === calls.length) {
            expect(
              changedTables(before, await fingerprint(t, a.tenant)),
              `${root.name} ${slot.path}: failed, yet changed`,
            ).toEqual([]);
            continue;
          }
          for (const variables of failed) {
            const around = await fingerprint(t, a.tenant);
            if ((await send(variables)).errors)
              expect(
                changedTables(around, await fingerprint(t, a.tenant)),
                `${root.name} ${slot.path}: failed, yet changed`,
              ).toEqual([]);
          }
        }
      }
      expect(sent).toBeGreaterThan(500);
      expect(changedTables(others, await fingerprint(t, b.tenant))).toEqual([]);
    },
  );

  for (const name of Object.keys(FUZZED)) {
    it(
      `${name}: hostile arguments never give a 5xx or an uncoded error, and a failed call changes nothing`,
      { timeout: 120_000 },
      async () => {
        await fuzz(fields.find((f) => f.name === name)!);
      },
    );
  }
});
