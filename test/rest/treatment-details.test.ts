import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goTime } from "../../src/rest/treatment-details/envelope.js";
import { engine } from "../helpers/db.js";
import type { RestResult } from "../helpers/rest.js";
import { allDetails, clock, makeItem } from "../treatment-details/treatment-details.fixture.js";
import { setupRest, shapeOf } from "./treatment-details.fixture.js";

/**
 * One test per documented example of ../shared/legacy-api/treatment-details.md: the example
 * request (with the documented headers) against a real server; status, envelope, keys and value
 * types compared with the documented response. The documented responses are copied verbatim.
 */
const detail = (values: Record<string, unknown>) => ({
  id: 1,
  treatment_id: 5001,
  item_id: 101,
  unit_id: 1,
  quantity: 2,
  created_by: 1001,
  updated_by: null,
  deleted_by: null,
  deleted_at: null,
  created_at: "2025-01-15T10:30:00Z",
  updated_at: "2025-01-15T10:30:00Z",
  ...values,
});
const DOCUMENTED = {
  list: {
    status: "success",
    message: "Treatment details retrieved successfully",
    data: [
      detail({}),
      detail({
        id: 2,
        item_id: 102,
        quantity: 1,
        created_at: "2025-01-15T10:35:00Z",
        updated_at: "2025-01-15T10:35:00Z",
      }),
    ],
  },
  get: { status: "success", message: "Treatment detail retrieved successfully", data: detail({}) },
  notFound: { status: "error", message: "Treatment detail not found", error: null },
  create: {
    status: "success",
    message: "Treatment detail created successfully",
    data: detail({ id: 3, created_at: "2025-01-15T14:30:00Z", updated_at: "2025-01-15T14:30:00Z" }),
  },
  createInvalid: {
    status: "error",
    message: "Invalid request body",
    error: "Key: 'TreatmentDetailRequest.Quantity' Error:Field validation for 'Quantity' failed on the 'required' tag",
  },
  update: {
    status: "success",
    message: "Treatment detail updated successfully",
    data: detail({ quantity: 3, updated_by: 1002, updated_at: "2025-01-15T16:00:00Z" }),
  },
  delete: { status: "success", message: "Treatment detail deleted successfully", data: null },
};

let f: Awaited<ReturnType<typeof setupRest>>;
let item2: { id: number };
/** The two details of the documented list, created by the documented POST. */
let first: Record<string, any>, second: Record<string, any>;

beforeAll(async () => {
  f = await setupRest();
  item2 = await makeItem(f.t, f.a.tenant.id, "Gauze", "GZ-1");
});
afterAll(() => f.t.close());

function expectDocumented(response: RestResult, status: number, documented: { status: string; message: string }) {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(shapeOf(response.body)).toEqual(shapeOf(documented));
  expect(response.body).toMatchObject({ status: documented.status, message: documented.message });
}

const ids = (response: RestResult) => response.body.data.map((d: { id: number }) => d.id);

describe(`treatment-details documented examples (${engine})`, () => {
  it("4. POST /so/api/treatment-details: 201, the documented envelope; audit fields and UTC timestamps from the server", async () => {
    const body = { treatment_id: f.session.id, item_id: f.item.id, unit_id: f.unit.id, quantity: 2 };
    const response = await f.call("POST", "", { body });
    expectDocumented(response, 201, DOCUMENTED.create);
    first = response.body.data;
    expect(first).toEqual({
      id: expect.any(Number),
      ...body,
      created_by: f.a.admin.id,
      updated_by: null,
      deleted_by: null,
      deleted_at: null,
      created_at: "2030-01-06T12:00:00Z",
      updated_at: "2030-01-06T12:00:00Z",
    });
    clock.now = new Date("2030-01-06T12:05:00Z");
    const another = await f.call("POST", "", { body: { ...body, item_id: item2.id, quantity: 1 } });
    expectDocumented(another, 201, DOCUMENTED.create);
    second = another.body.data;
    expect(second).toMatchObject({ item_id: item2.id, quantity: 1, created_at: "2030-01-06T12:05:00Z" });
  });

  it("1. GET /so/api/treatment-details: 200, every detail, oldest first", async () => {
    const response = await f.call("GET", "");
    expectDocumented(response, 200, DOCUMENTED.list);
    expect(response.body.data).toEqual([first, second]);
  });

  it("1. GET ?treatment_id=: the details of that treatment", async () => {
    const response = await f.call("GET", `?treatment_id=${f.session.id}`);
    expectDocumented(response, 200, DOCUMENTED.list);
    expect(ids(response)).toEqual([first.id, second.id]);
    expect((await f.call("GET", `?treatment_id=${f.otherSession.id}`)).body.data).toEqual([]);
  });

  it("1. GET ?item_id=: the details of that item", async () => {
    const response = await f.call("GET", `?item_id=${f.item.id}`);
    expectDocumented(response, 200, DOCUMENTED.list);
    expect(ids(response)).toEqual([first.id]);
  });

  it("2. GET /so/api/treatment-details/{id}: 200 with the detail", async () => {
    const response = await f.call("GET", `/${first.id}`);
    expectDocumented(response, 200, DOCUMENTED.get);
    expect(response.body.data).toEqual(first);
  });

  it("2. GET /{id} of no detail: 404, exactly the documented body", async () => {
    const response = await f.call("GET", "/99999999");
    expect(response.status).toBe(404);
    expect(response.body).toEqual(DOCUMENTED.notFound);
  });

  it("3. GET /so/api/treatment-details/by-treatment/{treatment_id}: 200 with that treatment's details", async () => {
    const response = await f.call("GET", `/by-treatment/${f.session.id}`);
    expectDocumented(response, 200, DOCUMENTED.list);
    expect(response.body.data).toEqual([first, second]);
  });

  it("4. POST without quantity: 400, exactly the documented body; nothing written", async () => {
    const before = await allDetails(f.t, f.a.tenant.id);
    const response = await f.call("POST", "", {
      body: { treatment_id: f.session.id, item_id: f.item.id, unit_id: f.unit.id },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(DOCUMENTED.createInvalid);
    expect(await allDetails(f.t, f.a.tenant.id)).toEqual(before);
  });

  it("5. PUT /so/api/treatment-details/{id}: 200; updated_by is the updater, updated_at moves, created_* stay", async () => {
    clock.now = new Date("2030-01-06T16:00:00.250Z");
    const response = await f.call("PUT", `/${first.id}`, {
      token: f.tokens.provider,
      body: { treatment_id: f.session.id, item_id: f.item.id, unit_id: f.unit.id, quantity: 3 },
    });
    expectDocumented(response, 200, DOCUMENTED.update);
    expect(response.body.data).toEqual({
      ...first,
      quantity: 3,
      updated_by: f.a.provider.id,
      updated_at: "2030-01-06T16:00:00.25Z",
    });
    first = response.body.data;
  });

  it("6. DELETE /so/api/treatment-details/{id}: 200, exactly the documented body; a soft delete", async () => {
    clock.now = new Date("2030-01-06T17:00:00Z");
    const response = await f.call("DELETE", `/${second.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(DOCUMENTED.delete);
    const row = (await allDetails(f.t, f.a.tenant.id)).find((r) => r.id === second.id);
    expect(row).toMatchObject({ deletedAt: clock.now, deletedBy: f.a.admin.id, quantity: 1 });
    expect((await f.call("GET", `/${second.id}`)).body).toEqual(DOCUMENTED.notFound);
    expect(ids(await f.call("GET", `/by-treatment/${f.session.id}`))).toEqual([first.id]);
  });
});

describe(`treatment-details shim and GraphQL agree (${engine})`, () => {
  const GET = `query($id: ID!) { treatmentDetail(id: $id) { id quantity createdAt updatedAt session { id } item { id } unit { id } createdBy { id } updatedBy { id } } }`;
  const LIST = `query($sessionId: ID) { treatmentDetails(sessionId: $sessionId) { id } }`;
  const UPDATE = `mutation($id: ID!, $input: TreatmentDetailInput!) { updateTreatmentDetail(id: $id, input: $input) { id updatedAt } }`;
  const CREATE = `mutation($input: TreatmentDetailInput!) { createTreatmentDetail(input: $input) { id createdAt } }`;

  async function expectSameRecord(id: number) {
    const [shim, graph] = [await f.call("GET", `/${id}`), await f.t.gql(GET, { id }, f.tokens.admin)];
    const node = graph.data!.treatmentDetail;
    expect(shim.body.data).toEqual({
      id: Number(node.id),
      treatment_id: Number(node.session.id),
      item_id: node.item && Number(node.item.id),
      unit_id: node.unit && Number(node.unit.id),
      quantity: node.quantity,
      created_by: Number(node.createdBy.id),
      updated_by: node.updatedBy && Number(node.updatedBy.id),
      deleted_by: null,
      deleted_at: null,
      created_at: goTime(new Date(node.createdAt)),
      updated_at: goTime(new Date(node.updatedAt)),
    });
    expect(Date.parse(shim.body.data.created_at)).toBe(Date.parse(node.createdAt));
    expect(Date.parse(shim.body.data.updated_at)).toBe(Date.parse(node.updatedAt));
  }

  it("a detail written through the shim reads the same through GraphQL (same ids, same instants)", async () => {
    await expectSameRecord(first.id);
    const shimIds = ids(await f.call("GET", `/by-treatment/${f.session.id}`));
    const graphIds = (await f.t.gql(LIST, { sessionId: f.session.id }, f.tokens.admin)).data!.treatmentDetails.map(
      (d: { id: string }) => Number(d.id),
    );
    expect(shimIds).toEqual(graphIds);
  });

  it("a detail written through GraphQL reads the same through the shim, also after a GraphQL update", async () => {
    clock.now = new Date("2030-01-07T08:00:00.5Z");
    const created = await f.t.gql(
      CREATE,
      { input: { sessionId: f.session.id, itemId: f.item.id, quantity: 4 } },
      f.tokens.provider,
    );
    const id = Number(created.data!.createTreatmentDetail.id);
    await expectSameRecord(id);
    clock.now = new Date("2030-01-07T09:00:00Z");
    await f.t.gql(UPDATE, { id, input: { sessionId: f.session.id, quantity: 5 } }, f.tokens.admin);
    await expectSameRecord(id);
    expect((await f.call("GET", `/${id}`)).body.data).toMatchObject({
      quantity: 5,
      item_id: null,
      created_at: "2030-01-07T08:00:00.5Z",
      updated_at: "2030-01-07T09:00:00Z",
    });
  });

  it("a detail deleted through the shim is gone for GraphQL too", async () => {
    const created = await f.call("POST", "", { body: { treatment_id: f.session.id, quantity: 1 } });
    expect((await f.call("DELETE", `/${created.body.data.id}`)).status).toBe(200);
    const graph = await f.t.gql(GET, { id: created.body.data.id }, f.tokens.admin);
    expect(graph.errors?.[0]).toMatchObject({
      message: "Treatment detail not found",
      extensions: { code: "NOT_FOUND" },
    });
  });
});
