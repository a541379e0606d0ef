import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engine } from "../helpers/db.js";
import { rest, type RestResult } from "../helpers/rest.js";
import { allDetails, makeDetail } from "../treatment-details/treatment-details.fixture.js";
import { setupRest } from "./treatment-details.fixture.js";

/** The error cases of ../shared/legacy-api/treatment-details.md, each in the Gin envelope, never a 500. */
let f: Awaited<ReturnType<typeof setupRest>>;
let detailId: number, bDetailId: number;

beforeAll(async () => {
  f = await setupRest();
  detailId = (
    await makeDetail(f.t, f.a.tenant.id, {
      sessionId: f.session.id,
      itemId: f.item.id,
      quantity: 2,
      createdBy: f.a.admin.id,
    })
  ).id;
  bDetailId = (await makeDetail(f.t, f.b.tenant.id, { sessionId: f.bSession.id, itemId: f.bItem.id, quantity: 9 })).id;
});
afterAll(() => f.t.close());

function expectError(response: RestResult, status: number, message: string, error?: string | null) {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(response.body).sort()).toEqual(["error", "message", "status"]);
  expect(response.body).toMatchObject({ status: "error", message });
  if (error !== undefined) expect(response.body.error).toEqual(error);
}

/** Sends a request that must fail and change nothing in either tenant. */
async function rejected(method: string, path: string, options: Parameters<typeof f.call>[2] = {}) {
  const [before, beforeB] = [await allDetails(f.t, f.a.tenant.id), await allDetails(f.t, f.b.tenant.id)];
  const response = await f.call(method, path, options);
  expect(await allDetails(f.t, f.a.tenant.id)).toEqual(before);
  expect(await allDetails(f.t, f.b.tenant.id)).toEqual(beforeB);
  return response;
}

const body = (values: Record<string, unknown> = {}) => ({
  treatment_id: f.session.id,
  item_id: f.item.id,
  unit_id: f.unit.id,
  quantity: 2,
  ...values,
});
const required = (field: string) =>
  `Key: 'TreatmentDetailRequest.${field}' Error:Field validation for '${field}' failed on the 'required' tag`;

describe(`treatment-details: authentication and X-Tenant-Code (${engine})`, () => {
  it("no or an invalid token: 401, before anything else is looked at", async () => {
    expectError(
      await rejected("POST", "", { token: null, body: body() }),
      401,
      "Unauthorized",
      "Authentication required: send Authorization: Bearer <token>",
    );
    expectError(await f.call("GET", `/${detailId}`, { token: "not-a-jwt" }), 401, "Unauthorized");
    // The JWT middleware runs first: neither the missing tenant header nor the malformed body is reported.
    expectError(
      await rejected("POST", "", { token: null, headers: { "Content-Type": "application/json" }, rawBody: "{oops" }),
      401,
      "Unauthorized",
    );
  });

  it("a valid token without X-Tenant-Code: 400, whatever the route and body", async () => {
    for (const [method, path] of [
      ["GET", ""],
      ["GET", `/${detailId}`],
      ["GET", `/by-treatment/${f.session.id}`],
      ["PUT", `/${detailId}`],
      ["DELETE", `/${detailId}`],
    ]) {
      expectError(await rejected(method, path, { headers: {} }), 400, "X-Tenant-Code header is required", null);
    }
    expectError(
      await rejected("POST", "", { body: body(), headers: { "X-Tenant-Code": "" } }),
      400,
      "X-Tenant-Code header is required",
      null,
    );
  });

  it("X-Tenant-Code of another tenant than the token's: 403, nothing written", async () => {
    const response = await rejected("DELETE", `/${detailId}`, { headers: { "X-Tenant-Code": f.b.tenant.code } });
    expectError(response, 403, "Forbidden", "X-Tenant-Code does not match the token's tenant");
    expectError(await rejected("POST", "", { token: f.tokens.bAdmin, body: body() }), 403, "Forbidden");
  });
});

describe(`treatment-details: ids (${engine})`, () => {
  it("a non-numeric or impossible id: 400 Invalid ID format on GET, PUT and DELETE", async () => {
    for (const id of ["abc", "1.5", "0", "-3", "99999999999"]) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const response = await rejected(method, `/${id}`, method === "PUT" ? { body: body() } : {});
        expectError(response, 400, "Invalid ID format");
        expect(response.body.error).toMatch(/^id must be an integer from 1 to 2147483647, got /);
      }
    }
    expectError(
      await f.call("GET", "/abc"),
      400,
      "Invalid ID format",
      'id must be an integer from 1 to 2147483647, got "abc"',
    );
    expectError(
      await f.call("GET", "/by-treatment/x1"),
      400,
      "Invalid treatment ID format",
      'treatment_id must be an integer from 1 to 2147483647, got "x1"',
    );
  });

  it("the path id is checked before the body, as the Gin handlers parse it first", async () => {
    expectError(await rejected("PUT", "/abc", { body: { quantity: "two" } }), 400, "Invalid ID format");
  });

  it("unknown ids and another tenant's ids: 404 Treatment detail not found, nothing changed", async () => {
    for (const id of [99999999, bDetailId]) {
      expectError(await f.call("GET", `/${id}`), 404, "Treatment detail not found", null);
      expectError(await rejected("PUT", `/${id}`, { body: body() }), 404, "Treatment detail not found", null);
      expectError(await rejected("DELETE", `/${id}`), 404, "Treatment detail not found", null);
    }
  });

  it("a deleted detail: 404 for GET, PUT and a second DELETE", async () => {
    const id = (await f.call("POST", "", { body: body({ quantity: 7 }) })).body.data.id;
    expect((await f.call("DELETE", `/${id}`)).status).toBe(200);
    expectError(await f.call("GET", `/${id}`), 404, "Treatment detail not found", null);
    expectError(await rejected("PUT", `/${id}`, { body: body() }), 404, "Treatment detail not found", null);
    expectError(await rejected("DELETE", `/${id}`), 404, "Treatment detail not found", null);
    expect((await f.call("GET", "")).body.data.map((d: { id: number }) => d.id)).not.toContain(id);
  });

  it("by-treatment and ?treatment_id= of an unknown or another tenant's treatment: 404 Treatment not found", async () => {
    for (const id of [99999999, f.bSession.id]) {
      expectError(await f.call("GET", `/by-treatment/${id}`), 404, "Treatment not found", null);
      expectError(await f.call("GET", `?treatment_id=${id}`), 404, "Treatment not found", null);
    }
    expectError(await f.call("GET", `?item_id=${f.bItem.id}`), 404, "Item not found", null);
  });

  it("bad filters: 400 Invalid query parameters", async () => {
    expectError(
      await f.call("GET", "?treatment_id=abc&item_id=0"),
      400,
      "Invalid query parameters",
      'treatment_id must be an integer from 1 to 2147483647, got "abc"; item_id must be an integer from 1 to 2147483647, got "0"',
    );
    expectError(await f.call("GET", "?item_id="), 400, "Invalid query parameters");
  });

  // Issue 14: someone else's treatment is 404 like an unknown one (it was 403); the document gives no 403 for it.
  it("another caller's treatment: a client sees only their own (404, as if unknown), writes nothing (403)", async () => {
    expectError(
      await f.call("GET", `/by-treatment/${f.otherSession.id}`, { token: f.tokens.client }),
      404,
      "Treatment not found",
      null,
    );
    expectError(
      await f.call("GET", `/${detailId}`, { token: f.tokens.otherClient }),
      404,
      "Treatment detail not found",
      null,
    );
    expectError(await rejected("POST", "", { token: f.tokens.client, body: body() }), 403, "Forbidden");
    const other = await rejected("PUT", `/${detailId}`, { token: f.tokens.otherProvider, body: body() });
    expectError(other, 404, "Treatment detail not found", null);
  });
});

describe(`treatment-details: request bodies (${engine})`, () => {
  it("quantity missing or null: 400 with the validator's message", async () => {
    expectError(
      await rejected("POST", "", { body: { treatment_id: f.session.id } }),
      400,
      "Invalid request body",
      required("Quantity"),
    );
    expectError(
      await rejected("PUT", `/${detailId}`, { body: body({ quantity: null }) }),
      400,
      "Invalid request body",
      required("Quantity"),
    );
    expectError(await rejected("POST", "", { rawBody: "null" }), 400, "Invalid request body", required("Quantity"));
  });

  it("wrong JSON types are refused, never coerced: 400 with encoding/json's message", async () => {
    const cases: Array<[unknown, string]> = [
      [
        body({ quantity: "2" }),
        "json: cannot unmarshal string into Go struct field TreatmentDetailRequest.quantity of type int",
      ],
      [
        body({ quantity: 1.5 }),
        "json: cannot unmarshal number 1.5 into Go struct field TreatmentDetailRequest.quantity of type int",
      ],
      [
        body({ quantity: true }),
        "json: cannot unmarshal bool into Go struct field TreatmentDetailRequest.quantity of type int",
      ],
      [
        body({ item_id: "101" }),
        "json: cannot unmarshal string into Go struct field TreatmentDetailRequest.item_id of type int",
      ],
      [
        body({ unit_id: [1] }),
        "json: cannot unmarshal array into Go struct field TreatmentDetailRequest.unit_id of type int",
      ],
      [[body()], "json: cannot unmarshal array into Go value of type TreatmentDetailRequest"],
      ["2", "json: cannot unmarshal string into Go value of type TreatmentDetailRequest"],
    ];
    for (const [sent, error] of cases)
      expectError(await rejected("POST", "", { body: sent }), 400, "Invalid request body", error);
    const both = await rejected("PUT", `/${detailId}`, { body: { treatment_id: "x" } });
    // Decoding stops at the first wrong type, so the validator never reports the missing quantity.
    expectError(
      both,
      400,
      "Invalid request body",
      "json: cannot unmarshal string into Go struct field TreatmentDetailRequest.treatment_id of type int",
    );
  });

  it("ids out of range in the body: 400 naming the field", async () => {
    const response = await rejected("POST", "", { body: body({ treatment_id: 0, unit_id: 3_000_000_000 }) });
    expectError(response, 400, "Invalid request body");
    expect(response.body.error.split("\n")).toEqual([
      "Key: 'TreatmentDetailRequest.TreatmentID' Error:Field validation for 'TreatmentID' failed on the 'min' tag",
      "Key: 'TreatmentDetailRequest.UnitID' Error:Field validation for 'UnitID' failed on the 'max' tag",
    ]);
  });

  it("empty, missing and malformed bodies: 400 Invalid request body", async () => {
    expectError(await rejected("POST", "", { rawBody: "" }), 400, "Invalid request body");
    expectError(
      await rejected("POST", "", { headers: { "X-Tenant-Code": f.a.tenant.code } }),
      400,
      "Invalid request body",
      "request body is empty",
    );
    expectError(await rejected("PUT", `/${detailId}`, { rawBody: '{"quantity": 2,' }), 400, "Invalid request body");
    const text = await rejected("POST", "", {
      rawBody: "quantity=2",
      headers: { "X-Tenant-Code": f.a.tenant.code, "Content-Type": "text/plain" },
    });
    expectError(
      text,
      400,
      "Invalid request body",
      "json: cannot unmarshal string into Go value of type TreatmentDetailRequest",
    );
    expectError(
      await rejected("POST", "", {
        rawBody: "<quantity/>",
        headers: { "X-Tenant-Code": f.a.tenant.code, "Content-Type": "application/xml" },
      }),
      415,
      "Invalid request body",
    );
  });

  it("the service's rules, in the envelope: quantity > 0, references must exist in the tenant", async () => {
    expectError(
      await rejected("POST", "", { body: body({ quantity: 0 }) }),
      400,
      "Invalid request body",
      "quantity must be a positive integer, got 0",
    );
    expectError(
      await rejected("PUT", `/${detailId}`, { body: body({ quantity: -1 }) }),
      400,
      "Invalid request body",
      "quantity must be a positive integer, got -1",
    );
    const foreign = await rejected("POST", "", {
      body: body({ treatment_id: f.bSession.id, item_id: f.bItem.id, unit_id: 99999999 }),
    });
    expectError(
      foreign,
      400,
      "Invalid request body",
      `Treatment ${f.bSession.id} not found; Item ${f.bItem.id} not found; Unit 99999999 not found`,
    );
  });

  it("unknown fields are ignored, as encoding/json does", async () => {
    const response = await f.call("POST", "", { body: body({ quantity: 4, colour: "red", id: 5 }) });
    expect(response.status).toBe(201);
    expect(response.body.data).toMatchObject({ quantity: 4 });
    expect(response.body.data.id).not.toBe(5);
    expect(response.body.data).not.toHaveProperty("colour");
  });
});

describe(`treatment-details: routes (${engine})`, () => {
  it("an unknown route or method under the prefix: 404 in the envelope, without authentication", async () => {
    expectError(await f.call("GET", `/${detailId}/items`, { token: null }), 404, "Route not found");
    expectError(
      await f.call("GET", `/by-treatment/${f.session.id}/x`, { token: null, headers: {} }),
      404,
      "Route not found",
    );
    expectError(await f.call("PATCH", `/${detailId}`, { body: body() }), 404, "Route not found");
    // "by-treatment" alone, or nothing after the slash, is an id, and not a numeric one.
    expectError(await f.call("GET", "/by-treatment"), 400, "Invalid ID format");
    expectError(
      await f.call("GET", "/"),
      400,
      "Invalid ID format",
      'id must be an integer from 1 to 2147483647, got ""',
    );
  });

  it("GET /openapi.json describes every route with its X-Tenant-Code header", async () => {
    const { body: doc } = await rest(f.t.url, "GET", "/openapi.json");
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith("/so/api/treatment-details"));
    expect(paths.sort()).toEqual([
      "/so/api/treatment-details",
      "/so/api/treatment-details/by-treatment/{treatment_id}",
      "/so/api/treatment-details/{id}",
    ]);
    const operations = paths.flatMap(
      (p) =>
        Object.values(doc.paths[p]) as Array<{
          tags: string[];
          parameters: Array<{ in: string; name: string; required: boolean }>;
        }>,
    );
    expect(operations).toHaveLength(6);
    for (const operation of operations) {
      expect(operation.tags).toEqual(["treatment-details"]);
      expect(operation.parameters).toContainEqual(
        expect.objectContaining({ in: "header", name: "x-tenant-code", required: true }),
      );
    }
  });
});
