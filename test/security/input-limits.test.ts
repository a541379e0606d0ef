/**
 * The limits on what a client sends, in every transport: free text over its field's maximum
 * (src/text-limits.ts) is refused, in GraphQL as BAD_USER_INPUT naming the field and in each
 * REST shim in its own format, and nothing is written; text exactly at the maximum (counted
 * in characters, so 200 emoji are a 200-character title) is stored. Numbers past the id and
 * page bounds (src/bounds.ts) are the client's mistake, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEXT_LIMITS, type TextField } from "../../src/text-limits.js";
import { MAX_PAGE } from "../../src/bounds.js";
import type { GqlResult, TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { rest, type RestResult } from "../helpers/rest.js";
import { changedTables, fingerprint, makeWorldPractice, startWorldApp, type Practice } from "./world.js";

let t: TestApp;
let a: Practice;

beforeAll(async () => {
  t = await startWorldApp();
  a = await makeWorldPractice(t);
});
afterAll(() => t?.close());

/** One character past the field's limit, and exactly at it. */
const over = (field: TextField) => "x".repeat(TEXT_LIMITS[field] + 1);
const at = (field: TextField) => "y".repeat(TEXT_LIMITS[field]);

/** Runs a call and asserts that it wrote nothing (the audit log aside: it records refusals by design). */
async function writesNothing<T>(call: () => Promise<T>): Promise<T> {
  const before = await fingerprint(t, a.tenant);
  const result = await call();
  expect(changedTables(before, await fingerprint(t, a.tenant))).toEqual([]);
  return result;
}

function refusedNaming(result: GqlResult<unknown>, field: string, limit: number) {
  expect(result.status).toBeLessThan(500);
  expect(result.errors?.[0]?.extensions.code, JSON.stringify(result.errors)).toBe("BAD_USER_INPUT");
  const fieldErrors = result.errors![0].extensions.fieldErrors as Record<string, string>;
  expect(Object.keys(fieldErrors)).toEqual([field]);
  expect(fieldErrors[field]).toBe(`${field} must be at most ${limit} characters, got ${limit + 1}`);
}

describe(`text lengths in GraphQL (${engine})`, () => {
  const ids = () => ({
    session: String(a.ids.session),
    provider: String(a.ids.provider),
    client: String(a.ids.client),
    plan: String(a.ids.plan),
    rule: String(a.ids.rule),
  });
  const booking = () => ({
    providerId: ids().provider,
    clientId: ids().client,
    startsAt: "2030-01-08T16:00:00Z",
    durationMinutes: 30,
  });

  /** [what, document, variables, the field named, its limit] — every input class and argument that carries free text. */
  const cases = (): Array<[string, string, Record<string, unknown>, TextField]> => [
    [
      "bookSession notes",
      `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`,
      { input: { ...booking(), notes: over("notes") } },
      "notes",
    ],
    [
      "bookSession title",
      `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`,
      { input: { ...booking(), title: over("title") } },
      "title",
    ],
    [
      "bookSession location",
      `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`,
      { input: { ...booking(), location: over("location") } },
      "location",
    ],
    [
      "updateSession providerNotes",
      `mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { id } }`,
      { id: ids().session, input: { providerNotes: over("providerNotes") } },
      "providerNotes",
    ],
    [
      "updateSession description",
      `mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { id } }`,
      { id: ids().session, input: { description: over("description") } },
      "description",
    ],
    [
      "completeSession clientFeedback",
      `mutation($id: ID!, $input: CompleteSessionInput) { completeSession(id: $id, input: $input) { id } }`,
      { id: ids().session, input: { clientFeedback: over("clientFeedback") } },
      "clientFeedback",
    ],
    [
      "completeSession exercisesPerformed",
      `mutation($id: ID!, $input: CompleteSessionInput) { completeSession(id: $id, input: $input) { id } }`,
      { id: ids().session, input: { exercisesPerformed: over("exercisesPerformed") } },
      "exercisesPerformed",
    ],
    [
      "cancelSession reason",
      `mutation($id: ID!, $reason: String) { cancelSession(id: $id, reason: $reason) { id } }`,
      { id: ids().session, reason: over("reason") },
      "reason",
    ],
    [
      "rescheduleSession reason",
      `mutation($id: ID!, $reason: String) { rescheduleSession(id: $id, startsAt: "2030-01-07T16:30:00Z", reason: $reason) { id } }`,
      { id: ids().session, reason: over("reason") },
      "reason",
    ],
    [
      "createAvailabilityRule notes",
      `mutation($input: AvailabilityRuleInput!) { createAvailabilityRule(input: $input) { id } }`,
      {
        input: { providerId: ids().provider, dayOfWeek: 3, startTime: "08:00", endTime: "09:00", notes: over("notes") },
      },
      "notes",
    ],
    [
      "updateAvailabilityRule notes",
      `mutation($id: ID!, $input: AvailabilityRulePatch!) { updateAvailabilityRule(id: $id, input: $input) { id } }`,
      { id: ids().rule, input: { notes: over("notes") } },
      "notes",
    ],
    [
      "createAvailabilityOverride reason",
      `mutation($input: AvailabilityOverrideInput!) { createAvailabilityOverride(input: $input) { id } }`,
      { input: { providerId: ids().provider, date: "2030-01-11", isAvailable: false, reason: over("reason") } },
      "reason",
    ],
    [
      "createTreatmentPlan title",
      `mutation($input: TreatmentPlanInput!) { createTreatmentPlan(input: $input) { id } }`,
      { input: { clientId: ids().client, title: over("title") } },
      "title",
    ],
    [
      "updateTreatmentPlan clientName",
      `mutation($id: ID!, $input: TreatmentPlanPatch!) { updateTreatmentPlan(id: $id, input: $input) { id } }`,
      { id: ids().plan, input: { clientName: over("clientName") } },
      "clientName",
    ],
    [
      "createUser name",
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { role: "CLIENT", username: "long.name", name: over("name") } },
      "name",
    ],
    [
      "createUser email",
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { role: "CLIENT", username: "long.email", name: "Long Email", email: `${"e".repeat(250)}@x.io` } },
      "email",
    ],
    [
      "createUser phone",
      `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { role: "CLIENT", username: "long.phone", name: "Long Phone", phone: over("phone") } },
      "phone",
    ],
    ["createItem name", `mutation($name: String!) { createItem(name: $name) { id } }`, { name: over("name") }, "name"],
    [
      "createItem sku",
      `mutation($sku: String) { createItem(name: "Band", sku: $sku) { id } }`,
      { sku: over("sku") },
      "sku",
    ],
    ["createUnit name", `mutation($name: String!) { createUnit(name: $name) { id } }`, { name: over("name") }, "name"],
    [
      "sessions search",
      `query($search: String) { sessions(filter: { search: $search }) { totalCount } }`,
      { search: over("search") },
      "search",
    ],
    ["users search", `query($search: String) { users(search: $search) { id } }`, { search: over("search") }, "search"],
  ];

  it("over the limit: BAD_USER_INPUT naming the field in extensions.fieldErrors, and nothing is written", async () => {
    for (const [what, document, variables, field] of cases()) {
      const result = await writesNothing(() => t.gql(document, variables, a.tokens.admin));
      expect(result.data ?? null, what).toBeNull();
      refusedNaming(result, field, TEXT_LIMITS[field]);
    }
  });

  it("the email case is over by length alone (255 characters of a valid address)", () => {
    expect(`${"e".repeat(250)}@x.io`.length).toBe(TEXT_LIMITS.email + 1);
  });

  it("at the limit (characters, not UTF-16 units: 200 emoji are a 200-character title): stored as sent", async () => {
    const title = "💥".repeat(TEXT_LIMITS.title);
    const booked = await t.gql(
      `mutation($input: BookSessionInput!) { bookSession(input: $input) { id title location description notes providerNotes } }`,
      {
        input: {
          ...booking(),
          title,
          location: at("location"),
          description: at("description"),
          notes: at("notes"),
          providerNotes: at("providerNotes"),
        },
      },
      a.tokens.admin,
    );
    expect(booked.errors, JSON.stringify(booked.errors)).toBeUndefined();
    const session = booked.data!.bookSession;
    expect(session.title).toBe(title);
    expect([
      session.location.length,
      session.description.length,
      session.notes.length,
      session.providerNotes.length,
    ]).toEqual([500, 10_000, 10_000, 10_000]);
    const updated = await t.gql(
      `mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { clientFeedback exercisesPerformed } }`,
      { id: session.id, input: { clientFeedback: at("clientFeedback"), exercisesPerformed: at("exercisesPerformed") } },
      a.tokens.admin,
    );
    expect(updated.errors, JSON.stringify(updated.errors)).toBeUndefined();
    expect(updated.data!.updateSession.clientFeedback).toHaveLength(10_000);
    const override = await t.gql(
      `mutation($input: AvailabilityOverrideInput!) { createAvailabilityOverride(input: $input) { reason } }`,
      { input: { providerId: ids().provider, date: "2030-01-12", isAvailable: false, reason: at("reason") } },
      a.tokens.admin,
    );
    expect(override.errors, JSON.stringify(override.errors)).toBeUndefined();
    expect(override.data!.createAvailabilityOverride.reason).toHaveLength(10_000);
  });

  it("the schema states each limit in the field's description", async () => {
    const result = await t.gql(
      `{ __type(name: "BookSessionInput") { inputFields { name description } } }`,
      {},
      a.tokens.admin,
    );
    const notes = (result.data!.__type.inputFields as { name: string; description: string }[]).find(
      (f) => f.name === "notes",
    )!;
    expect(notes.description).toContain(`At most ${TEXT_LIMITS.notes} characters`);
  });
});

describe(`text lengths in the REST shims, each in its own format (${engine})`, () => {
  const call = (method: string, path: string, body: unknown, role: keyof Practice["tokens"] = "provider") =>
    rest(t.url, method, path, { token: a.tokens[role], body });

  it("sapphire (DRF): over the limit is DRF's field error, at it is stored", async () => {
    const base = { client: a.ids.client, session_date: "2030-01-08", start_time: "09:00", end_time: "10:00" };
    const refused = await writesNothing(() =>
      call("POST", "/sapphire/scheduler/sessions/", { ...base, session_notes: over("notes") }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ session_notes: ["Ensure this field has no more than 10000 characters."] });
    const patched = await writesNothing(() =>
      call("PATCH", `/sapphire/scheduler/sessions/${a.ids.session}/`, { session_notes: over("notes") }),
    );
    expect(patched.status).toBe(400);
    expect(patched.body).toEqual({ session_notes: ["Ensure this field has no more than 10000 characters."] });
    const created = await call("POST", "/sapphire/scheduler/sessions/", { ...base, session_notes: at("notes") });
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    expect(created.body.session_notes).toHaveLength(10_000);
  });

  it("fitness (Flask): over the limit is its Validation failed envelope naming the field, at it is stored", async () => {
    const base = {
      client_id: a.ids.client,
      title: "Limits",
      scheduled_start: "2030-01-08T12:00:00",
      scheduled_end: "2030-01-08T13:00:00",
    };
    for (const [field, limit, value] of [
      ["notes", 10_000, over("notes")],
      ["trainer_notes", 10_000, over("providerNotes")],
      ["title", 200, over("title")],
      ["location", 500, over("location")],
    ] as const) {
      const refused = await writesNothing(() => call("POST", "/api/v1/sessions", { ...base, [field]: value }));
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({
        success: false,
        error: "Validation failed",
        errors: { [field]: `${field} must be at most ${limit} characters` },
      });
    }
    const updated = await writesNothing(() =>
      call("PUT", `/api/v1/sessions/${a.ids.session}`, { client_feedback: over("clientFeedback") }),
    );
    expect(updated.body).toEqual({
      success: false,
      error: "Validation failed",
      errors: { client_feedback: "client_feedback must be at most 10000 characters" },
    });
    const created = await call("POST", "/api/v1/sessions", {
      ...base,
      title: at("title"),
      location: at("location"),
      notes: at("notes"),
      trainer_notes: at("providerNotes"),
      description: at("description"),
    });
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    expect(created.body.data.title).toHaveLength(200);
    expect(created.body.data.notes).toHaveLength(10_000);
  });

  it("booking (NestJS): over the limit is ValidationPipe's message list, at it is stored", async () => {
    const meeting = { startTime: "2030-01-07T19:00:00.000Z", duration: 60, therapistId: String(a.ids.provider) };
    const refused = await writesNothing(() =>
      call(
        "POST",
        "/booking/meetings",
        { ...meeting, title: over("title"), description: over("description") },
        "client",
      ),
    );
    expect(refused.body).toEqual({
      statusCode: 400,
      message: [
        "title must be shorter than or equal to 200 characters",
        "description must be shorter than or equal to 10000 characters",
      ],
      error: "Bad Request",
    });
    const availability = await writesNothing(() =>
      call("POST", "/api/booking/availability", {
        dayOfWeek: 4,
        startTime: "09:00",
        endTime: "10:00",
        notes: over("notes"),
      }),
    );
    expect(availability.body).toEqual({
      statusCode: 400,
      message: ["notes must be shorter than or equal to 10000 characters"],
      error: "Bad Request",
    });
    const created = await call(
      "POST",
      "/booking/meetings",
      { ...meeting, title: at("title"), description: at("description") },
      "client",
    );
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    expect(created.body.description).toHaveLength(10_000);
  });

  it("/openapi.json states each shim's maxLength (from the same table)", async () => {
    const document = (await rest(t.url, "GET", "/openapi.json")).body;
    const bodyOf = (path: string, method: string) =>
      document.paths[path][method].requestBody.content["application/json"].schema.properties;
    expect(bodyOf("/sapphire/scheduler/sessions/", "post").session_notes.maxLength).toBe(TEXT_LIMITS.notes);
    expect(bodyOf("/api/v1/sessions", "post").trainer_notes.maxLength).toBe(TEXT_LIMITS.providerNotes);
    expect(bodyOf("/api/v1/sessions/{id}", "put").client_feedback.maxLength).toBe(TEXT_LIMITS.clientFeedback);
    expect(bodyOf("/booking/meetings", "post").title.maxLength).toBe(TEXT_LIMITS.title);
    expect(bodyOf("/booking/availability", "post").notes.maxLength).toBe(TEXT_LIMITS.notes);
  });
});

describe(`numbers past the id and page bounds are the client's mistake, not a 500 (${engine})`, () => {
  const get = (path: string): Promise<RestResult> => rest(t.url, "GET", path, { token: a.tokens.provider });

  it("GET /api/v1/sessions?page=10^18: the fitness API's 400 naming page", async () => {
    const response = await get("/api/v1/sessions?page=1000000000000000000");
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      success: false,
      error: "Validation failed",
      errors: { page: `page must be <= ${MAX_PAGE}` },
    });
    // The last page allowed is just empty.
    const last = await get(`/api/v1/sessions?page=${MAX_PAGE}&per_page=100`);
    expect(last.status).toBe(200);
    expect(last.body.data.sessions).toEqual([]);
  });

  it("GET /sapphire/scheduler/sessions/?treatment_plan_id=99999999999: DRF's 400 on the field", async () => {
    const response = await get("/sapphire/scheduler/sessions/?treatment_plan_id=99999999999");
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ treatment_plan_id: ["Ensure this value is less than or equal to 2147483647."] });
    expect((await get(`/sapphire/scheduler/sessions/?treatment_plan_id=${a.ids.plan}`)).status).toBe(200);
  });

  it("the psychologist-video lists: a page past the bound is DRF's Invalid page.", async () => {
    const response = await get("/api/appointments/psychologist/schedule/?page=1000000000000000000");
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: "Invalid page." });
  });

  it("a forged sessions cursor (a key its ordering cannot cast, an id past 2^31-1) is BAD_USER_INPUT on after, not a 500 with the SQL", async () => {
    const forged = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const page = await t.gql(`{ sessions(first: 1) { edges { cursor } } }`, {}, a.tokens.admin);
    const real = JSON.parse(Buffer.from(page.data!.sessions.edges[0].cursor as string, "base64url").toString()) as [
      string,
      string,
      number,
    ];
    const cases: Array<[string, { field: string; direction: string } | undefined]> = [
      [forged(["STARTS_AT", "garbage", real[2]]), undefined],
      [forged(["STARTS_AT", real[1], 99_999_999_999]), undefined],
      [forged(["STATUS", "NOPE", 1]), { field: "STATUS", direction: "ASC" }],
    ];
    for (const [cursor, orderBy] of cases) {
      const result = await t.gql(
        `query($after: String, $orderBy: SessionOrder) { sessions(first: 1, after: $after, orderBy: $orderBy) { totalCount } }`,
        { after: cursor, orderBy },
        a.tokens.admin,
      );
      expect(result.errors?.[0]?.extensions.code, JSON.stringify(result.errors)).toBe("BAD_USER_INPUT");
      expect(result.errors![0].extensions.fieldErrors).toEqual({
        after: "after is not a cursor returned by this connection",
      });
    }
    // The real cursor still pages.
    const next = await t.gql(
      `query($after: String) { sessions(first: 1, after: $after) { totalCount } }`,
      { after: page.data!.sessions.edges[0].cursor },
      a.tokens.admin,
    );
    expect(next.errors).toBeUndefined();
  });

  it("ids past 2^31-1 in paths and GraphQL arguments: each transport's not found or bad input", async () => {
    expect((await get("/sapphire/scheduler/sessions/99999999999/")).status).toBe(404);
    expect((await rest(t.url, "GET", "/booking/meetings/99999999999", { token: a.tokens.client })).status).toBe(404);
    const result = await t.gql(`query($id: ID!) { session(id: $id) { id } }`, { id: "99999999999" }, a.tokens.admin);
    expect(result.errors?.[0]?.extensions.code).toBe("BAD_USER_INPUT");
  });
});
