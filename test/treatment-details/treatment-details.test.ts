import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treatmentDetails } from "../../src/db/schema/index.js";
import { engine } from "../helpers/db.js";
import { allDetails, clock, countRows, makeDetail, setup } from "./treatment-details.fixture.js";

let f: Awaited<ReturnType<typeof setup>>;
beforeAll(async () => {
  f = await setup();
});
afterAll(() => f.t.close());

const DETAIL = `id quantity createdAt updatedAt session { id } item { id name } unit { id name } createdBy { id } updatedBy { id }`;
const CREATE = `mutation($input: TreatmentDetailInput!) { createTreatmentDetail(input: $input) { ${DETAIL} } }`;
const UPDATE = `mutation($id: ID!, $input: TreatmentDetailInput!) { updateTreatmentDetail(id: $id, input: $input) { ${DETAIL} } }`;
const DELETE = `mutation($id: ID!) { deleteTreatmentDetail(id: $id) }`;
const GET = `query($id: ID!) { treatmentDetail(id: $id) { ${DETAIL} } }`;
const LIST = `query($sessionId: ID, $itemId: ID) { treatmentDetails(sessionId: $sessionId, itemId: $itemId) { id quantity } }`;
const BATCH = `mutation($sessionId: ID!, $lines: [TreatmentDetailLine!]!) { createTreatmentDetails(sessionId: $sessionId, lines: $lines) { id quantity item { id } unit { id } } }`;

const count = () => countRows(f.t, f.a.tenant.id, treatmentDetails);
const countB = () => countRows(f.t, f.b.tenant.id, treatmentDetails);
const input = (values: Record<string, unknown> = {}) => ({
  sessionId: f.session.id,
  itemId: f.item.id,
  unitId: f.unit.id,
  quantity: 2,
  ...values,
});

/** Runs a mutation that must fail and change nothing in either tenant; returns its first error. */
async function rejected(query: string, variables: Record<string, unknown>, token: string) {
  const [before, beforeB] = [await allDetails(f.t, f.a.tenant.id), await countB()];
  const result = await f.t.gql(query, variables, token);
  expect(result.errors, JSON.stringify(result)).toHaveLength(1);
  expect(await allDetails(f.t, f.a.tenant.id)).toEqual(before);
  expect(await countB()).toBe(beforeB);
  return result.errors![0];
}

describe(`createTreatmentDetail (${engine})`, () => {
  it("an admin records a detail; audit fields and timestamps come from the server", async () => {
    const result = await f.t.gql(CREATE, { input: input() }, f.tokens.admin);
    expect(result.errors).toBeUndefined();
    const detail = result.data!.createTreatmentDetail;
    expect(detail).toMatchObject({
      quantity: 2,
      session: { id: String(f.session.id) },
      item: { id: String(f.item.id), name: "Theraband" },
      unit: { id: String(f.unit.id), name: "piece" },
      createdBy: { id: String(f.a.admin.id) },
      updatedBy: null,
      createdAt: clock.now.toISOString(),
      updatedAt: clock.now.toISOString(),
    });
    const row = (await allDetails(f.t, f.a.tenant.id)).find((r) => r.id === Number(detail.id))!;
    expect(row).toMatchObject({
      tenantId: f.a.tenant.id,
      sessionId: f.session.id,
      createdBy: f.a.admin.id,
      updatedBy: null,
      deletedAt: null,
      deletedBy: null,
    });
  });

  it("the session's provider records a detail; session, item and unit are optional as in the legacy API", async () => {
    const mine = await f.t.gql(CREATE, { input: input({ quantity: 1 }) }, f.tokens.provider);
    expect(mine.data?.createTreatmentDetail).toMatchObject({ quantity: 1, createdBy: { id: String(f.a.provider.id) } });
    const bare = await f.t.gql(CREATE, { input: { quantity: 3 } }, f.tokens.admin);
    expect(bare.data?.createTreatmentDetail).toMatchObject({ quantity: 3, session: null, item: null, unit: null });
  });

  it("missing quantity: BAD_USER_INPUT, nothing written", async () => {
    const error = await rejected(CREATE, { input: { sessionId: f.session.id, itemId: f.item.id } }, f.tokens.admin);
    expect(error.extensions.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/Field "quantity" of required type "Int!" was not provided/);
    const literal = await rejected(
      `mutation { createTreatmentDetail(input: { sessionId: "${f.session.id}" }) { id } }`,
      {},
      f.tokens.admin,
    );
    expect(literal.extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(literal.message).toMatch(/quantity/);
  });

  it("zero or negative quantity: BAD_USER_INPUT on quantity, nothing written", async () => {
    for (const quantity of [0, -3]) {
      const error = await rejected(CREATE, { input: input({ quantity }) }, f.tokens.admin);
      expect(error.message).toBe(`quantity must be a positive integer, got ${quantity}`);
      expect(error.extensions).toEqual({
        code: "BAD_USER_INPUT",
        reason: "VALIDATION",
        fieldErrors: { quantity: `quantity must be a positive integer, got ${quantity}` },
      });
    }
  });

  it("a string or a fraction where a number belongs: BAD_USER_INPUT, nothing written", async () => {
    const text = await rejected(CREATE, { input: input({ quantity: "two" }) }, f.tokens.admin);
    expect(text.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { "input.quantity": expect.stringContaining("Int cannot represent non-integer value") },
    });
    const fraction = await rejected(CREATE, { input: input({ quantity: 1.5 }) }, f.tokens.admin);
    expect(fraction.extensions.code).toBe("BAD_USER_INPUT");
    expect(fraction.message).toMatch(/Int cannot represent non-integer value: 1.5/);
    const id = await rejected(CREATE, { input: input({ itemId: "abc" }) }, f.tokens.admin);
    expect(id.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { itemId: 'itemId must be a numeric id, got "abc"' },
    });
  });

  it("an unknown session, item or unit id: BAD_USER_INPUT naming the field, nothing written", async () => {
    const session = await rejected(CREATE, { input: input({ sessionId: 99999999 }) }, f.tokens.admin);
    expect(session.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { sessionId: "Session 99999999 not found" },
    });
    expect(session.message).toBe("Session 99999999 not found");
    const item = await rejected(CREATE, { input: input({ itemId: 99999998 }) }, f.tokens.admin);
    expect(item.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { itemId: "Item 99999998 not found" },
    });
    const unit = await rejected(CREATE, { input: input({ unitId: 99999997 }) }, f.tokens.admin);
    expect(unit.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { unitId: "Unit 99999997 not found" },
    });
  });

  it("another tenant's ids are not found, exactly like unknown ids (nothing leaks), and nothing is written in either tenant", async () => {
    const error = await rejected(
      CREATE,
      { input: input({ sessionId: f.bSession.id, itemId: f.bItem.id, unitId: f.bUnit.id, quantity: 0 }) },
      f.tokens.admin,
    );
    expect(error.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: {
        sessionId: `Session ${f.bSession.id} not found`,
        itemId: `Item ${f.bItem.id} not found`,
        unitId: `Unit ${f.bUnit.id} not found`,
        quantity: "quantity must be a positive integer, got 0",
      },
    });
  });

  // Issue 14: another provider's session is not found for this provider, exactly like another tenant's (it was FORBIDDEN).
  it("a client may not write (FORBIDDEN); a provider may not write to another provider's session (not found) or without a session", async () => {
    expect((await rejected(CREATE, { input: input() }, f.tokens.client)).extensions.code).toBe("FORBIDDEN");
    const other = await rejected(CREATE, { input: input({ sessionId: f.otherSession.id }) }, f.tokens.provider);
    expect(other.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { sessionId: `Session ${f.otherSession.id} not found` },
    });
    const none = await rejected(CREATE, { input: { quantity: 1 } }, f.tokens.provider);
    expect(none).toMatchObject({
      message: "Only an ADMIN may record a treatment detail without a session",
      extensions: { code: "FORBIDDEN" },
    });
  });
});

describe(`createTreatmentDetails: all or nothing (${engine})`, () => {
  const BATCH_LINES = () => [
    { itemId: f.item.id, unitId: f.unit.id, quantity: 1 },
    { itemId: f.item.id, quantity: 2 },
    { quantity: 3 },
  ];

  it("writes every line in order", async () => {
    const before = await count();
    const result = await f.t.gql(BATCH, { sessionId: f.session.id, lines: BATCH_LINES() }, f.tokens.provider);
    expect(result.errors).toBeUndefined();
    expect(result.data!.createTreatmentDetails.map((d: { quantity: number }) => d.quantity)).toEqual([1, 2, 3]);
    expect(result.data!.createTreatmentDetails[1]).toMatchObject({ item: { id: String(f.item.id) }, unit: null });
    expect(await count()).toBe(before + 3);
  });

  it("a bad second line writes no line at all", async () => {
    const unknownItem = await rejected(
      BATCH,
      { sessionId: f.session.id, lines: [BATCH_LINES()[0], { itemId: 99999996, quantity: 1 }] },
      f.tokens.admin,
    );
    expect(unknownItem.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { "lines[1].itemId": "Item 99999996 not found" },
    });
    const zero = await rejected(
      BATCH,
      { sessionId: f.session.id, lines: [BATCH_LINES()[0], { quantity: 0 }] },
      f.tokens.admin,
    );
    expect(zero.extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { "lines[1].quantity": "quantity must be a positive integer, got 0" },
    });
    const text = await rejected(
      BATCH,
      { sessionId: f.session.id, lines: [BATCH_LINES()[0], { quantity: "3" }] },
      f.tokens.admin,
    );
    expect(text.extensions.code).toBe("BAD_USER_INPUT");
    const otherTenant = await rejected(
      BATCH,
      { sessionId: f.session.id, lines: [BATCH_LINES()[0], { unitId: f.bUnit.id, quantity: 1 }] },
      f.tokens.admin,
    );
    expect(otherTenant.extensions.fieldErrors).toEqual({ "lines[1].unitId": `Unit ${f.bUnit.id} not found` });
  });

  it("rejects no lines, an unknown session and other people's sessions", async () => {
    expect((await rejected(BATCH, { sessionId: f.session.id, lines: [] }, f.tokens.admin)).extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { lines: "lines must hold at least one line" },
    });
    expect(
      (await rejected(BATCH, { sessionId: f.bSession.id, lines: BATCH_LINES() }, f.tokens.admin)).extensions,
    ).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { sessionId: `Session ${f.bSession.id} not found` },
    });
    // Issue 14: someone else's session answers like another tenant's (it was FORBIDDEN).
    expect(
      (await rejected(BATCH, { sessionId: f.otherSession.id, lines: BATCH_LINES() }, f.tokens.provider)).extensions,
    ).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { sessionId: `Session ${f.otherSession.id} not found` },
    });
    expect(
      (await rejected(BATCH, { sessionId: f.session.id, lines: BATCH_LINES() }, f.tokens.client)).extensions.code,
    ).toBe("FORBIDDEN");
  });
});

describe(`reading treatment details (${engine})`, () => {
  let mine: number, others: number, bare: number;
  beforeAll(async () => {
    mine = (
      await makeDetail(f.t, f.a.tenant.id, {
        sessionId: f.session.id,
        itemId: f.item.id,
        quantity: 5,
        createdBy: f.a.provider.id,
      })
    ).id;
    others = (await makeDetail(f.t, f.a.tenant.id, { sessionId: f.otherSession.id, itemId: f.item.id, quantity: 6 }))
      .id;
    bare = (await makeDetail(f.t, f.a.tenant.id, { quantity: 7 })).id;
  });
  const ids = (result: { data?: any }) => result.data!.treatmentDetails.map((d: { id: string }) => Number(d.id));

  it("one detail: visible to the admin, the session's provider and its client; NOT_FOUND for everyone else", async () => {
    for (const token of [f.tokens.admin, f.tokens.provider, f.tokens.client]) {
      expect((await f.t.gql(GET, { id: mine }, token)).data?.treatmentDetail).toMatchObject({
        id: String(mine),
        quantity: 5,
        createdBy: { id: String(f.a.provider.id) },
      });
    }
    for (const token of [f.tokens.otherProvider, f.tokens.otherClient, f.tokens.bAdmin]) {
      const result = await f.t.gql(GET, { id: mine }, token);
      expect(result.errors?.[0]).toMatchObject({
        message: "Treatment detail not found",
        extensions: { code: "NOT_FOUND" },
      });
    }
    expect((await f.t.gql(GET, { id: bare }, f.tokens.provider)).errors?.[0].extensions.code).toBe("NOT_FOUND");
    expect((await f.t.gql(GET, { id: 99999995 }, f.tokens.admin)).errors?.[0].extensions.code).toBe("NOT_FOUND");
    expect((await f.t.gql(GET, { id: "x1" }, f.tokens.admin)).errors?.[0].extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { id: 'id must be a numeric id, got "x1"' },
    });
  });

  it("node(id) resolves items, units and details the caller may see, null otherwise", async () => {
    const NODE = `query($id: ID!) { node(id: $id) { __typename id } }`;
    expect((await f.t.gql(NODE, { id: mine }, f.tokens.client)).data?.node).toEqual({
      __typename: "TreatmentDetail",
      id: String(mine),
    });
    expect((await f.t.gql(NODE, { id: f.item.id }, f.tokens.client)).data?.node).toEqual({
      __typename: "Item",
      id: String(f.item.id),
    });
    expect((await f.t.gql(NODE, { id: f.unit.id }, f.tokens.client)).data?.node).toEqual({
      __typename: "Unit",
      id: String(f.unit.id),
    });
    expect((await f.t.gql(NODE, { id: mine }, f.tokens.otherClient)).data?.node).toBeNull();
    expect((await f.t.gql(NODE, { id: f.item.id }, f.tokens.bAdmin)).data?.node).toBeNull();
  });

  it("lists: without a session filter each caller sees the details of the sessions they see", async () => {
    const adminIds = ids(await f.t.gql(LIST, {}, f.tokens.admin));
    expect(adminIds).toEqual(expect.arrayContaining([mine, others, bare]));
    const providerIds = ids(await f.t.gql(LIST, {}, f.tokens.provider));
    expect(providerIds).toContain(mine);
    expect(providerIds).not.toContain(others);
    expect(providerIds).not.toContain(bare);
    const clientIds = ids(await f.t.gql(LIST, {}, f.tokens.client));
    expect(clientIds).toEqual(providerIds); // the same sessions: provider's and client's
    expect(ids(await f.t.gql(LIST, {}, f.tokens.otherClient))).toEqual(
      ids(await f.t.gql(LIST, { sessionId: f.otherSession.id }, f.tokens.admin)),
    );
    expect(ids(await f.t.gql(LIST, {}, f.tokens.bAdmin))).toEqual([]);
  });

  // Issue 14: a session the caller cannot see is NOT_FOUND like an unknown one (it was FORBIDDEN).
  it("lists: by session and by item; a session the caller cannot see and an unknown one are NOT_FOUND", async () => {
    const bySession = ids(await f.t.gql(LIST, { sessionId: f.session.id }, f.tokens.client));
    expect(bySession).toContain(mine);
    const rows = (await allDetails(f.t, f.a.tenant.id)).filter((r) => r.sessionId === f.session.id && !r.deletedAt);
    expect(bySession).toEqual(rows.map((r) => r.id));
    const byItem = ids(await f.t.gql(LIST, { itemId: f.item.id }, f.tokens.admin));
    expect(byItem).toEqual(expect.arrayContaining([mine, others]));
    expect(byItem).not.toContain(bare);
    expect(ids(await f.t.gql(LIST, { sessionId: f.otherSession.id, itemId: f.item.id }, f.tokens.admin))).toEqual([
      others,
    ]);
    expect((await f.t.gql(LIST, { sessionId: f.otherSession.id }, f.tokens.client)).errors?.[0]).toMatchObject({
      message: "Session not found",
      extensions: { code: "NOT_FOUND" },
    });
    expect((await f.t.gql(LIST, { sessionId: f.bSession.id }, f.tokens.admin)).errors?.[0]).toMatchObject({
      message: "Session not found",
      extensions: { code: "NOT_FOUND" },
    });
    expect((await f.t.gql(LIST, { itemId: f.bItem.id }, f.tokens.admin)).errors?.[0]).toMatchObject({
      message: "Item not found",
      extensions: { code: "NOT_FOUND" },
    });
  });

  it("Session.treatmentDetails lists the session's details", async () => {
    const result = await f.t.gql(
      `query($id: ID!) { treatmentDetail(id: $id) { session { id treatmentDetails { id } } } }`,
      { id: mine },
      f.tokens.client,
    );
    const listed = result.data!.treatmentDetail.session.treatmentDetails.map((d: { id: string }) => Number(d.id));
    expect(listed).toEqual(ids(await f.t.gql(LIST, { sessionId: f.session.id }, f.tokens.admin)));
  });
});

describe(`updateTreatmentDetail: full replace (${engine})`, () => {
  let id: number;
  beforeAll(async () => {
    id = (
      await makeDetail(f.t, f.a.tenant.id, {
        sessionId: f.session.id,
        itemId: f.item.id,
        unitId: f.unit.id,
        quantity: 2,
        createdBy: f.a.admin.id,
      })
    ).id;
  });

  it("the session's provider replaces the detail; omitted ids become null; updatedBy/updatedAt set by the server", async () => {
    const created = (await allDetails(f.t, f.a.tenant.id)).find((r) => r.id === id)!;
    clock.now = new Date(clock.now.getTime() + 60_000);
    const result = await f.t.gql(
      UPDATE,
      { id, input: { sessionId: f.session.id, itemId: f.item.id, quantity: 4 } },
      f.tokens.provider,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateTreatmentDetail).toMatchObject({
      quantity: 4,
      unit: null,
      item: { id: String(f.item.id) },
      createdBy: { id: String(f.a.admin.id) },
      updatedBy: { id: String(f.a.provider.id) },
      createdAt: created.createdAt.toISOString(),
      updatedAt: clock.now.toISOString(),
    });
    const row = (await allDetails(f.t, f.a.tenant.id)).find((r) => r.id === id)!;
    expect(row).toMatchObject({
      quantity: 4,
      unitId: null,
      updatedBy: f.a.provider.id,
      updatedAt: clock.now,
      createdBy: f.a.admin.id,
    });
  });

  it("bad input changes nothing: zero quantity, unknown or foreign ids, a string quantity", async () => {
    expect(
      (await rejected(UPDATE, { id, input: input({ quantity: 0 }) }, f.tokens.admin)).extensions.fieldErrors,
    ).toEqual({ quantity: "quantity must be a positive integer, got 0" });
    expect(
      (await rejected(UPDATE, { id, input: input({ itemId: f.bItem.id }) }, f.tokens.admin)).extensions.fieldErrors,
    ).toEqual({ itemId: `Item ${f.bItem.id} not found` });
    expect(
      (await rejected(UPDATE, { id, input: input({ sessionId: 99999994 }) }, f.tokens.admin)).extensions.fieldErrors,
    ).toEqual({ sessionId: "Session 99999994 not found" });
    expect((await rejected(UPDATE, { id, input: input({ quantity: "4" }) }, f.tokens.admin)).extensions.code).toBe(
      "BAD_USER_INPUT",
    );
    expect((await rejected(UPDATE, { id, input: { sessionId: f.session.id } }, f.tokens.admin)).extensions.code).toBe(
      "BAD_USER_INPUT",
    );
  });

  it("permissions: a client FORBIDDEN; a provider cannot move it to another provider's session (not found); others' details are NOT_FOUND", async () => {
    expect((await rejected(UPDATE, { id, input: input() }, f.tokens.client)).extensions.code).toBe("FORBIDDEN");
    // Issue 14: another provider's session is not found for this provider (it was FORBIDDEN).
    expect(
      (await rejected(UPDATE, { id, input: input({ sessionId: f.otherSession.id }) }, f.tokens.provider)).extensions,
    ).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { sessionId: `Session ${f.otherSession.id} not found` },
    });
    expect((await rejected(UPDATE, { id, input: input() }, f.tokens.otherProvider)).extensions.code).toBe("NOT_FOUND");
    expect((await rejected(UPDATE, { id, input: input() }, f.tokens.bAdmin)).extensions.code).toBe("NOT_FOUND");
    expect((await rejected(UPDATE, { id: 99999993, input: input() }, f.tokens.admin)).extensions.code).toBe(
      "NOT_FOUND",
    );
  });

  it("an admin may move a detail to any session of the tenant", async () => {
    const result = await f.t.gql(
      UPDATE,
      { id, input: input({ sessionId: f.otherSession.id, quantity: 9 }) },
      f.tokens.admin,
    );
    expect(result.data?.updateTreatmentDetail).toMatchObject({
      quantity: 9,
      session: { id: String(f.otherSession.id) },
      updatedBy: { id: String(f.a.admin.id) },
    });
  });
});

describe(`deleteTreatmentDetail: soft delete (${engine})`, () => {
  it("the row stays with deleted_at/deleted_by; it vanishes from every read; deleting again is NOT_FOUND", async () => {
    const detail = await makeDetail(f.t, f.a.tenant.id, { sessionId: f.session.id, itemId: f.item.id, quantity: 8 });
    expect((await rejected(DELETE, { id: detail.id }, f.tokens.client)).extensions.code).toBe("FORBIDDEN");
    expect((await rejected(DELETE, { id: detail.id }, f.tokens.otherProvider)).extensions.code).toBe("NOT_FOUND");
    expect((await rejected(DELETE, { id: detail.id }, f.tokens.bAdmin)).extensions.code).toBe("NOT_FOUND");

    clock.now = new Date(clock.now.getTime() + 60_000);
    const before = await count();
    expect((await f.t.gql(DELETE, { id: detail.id }, f.tokens.provider)).data).toEqual({ deleteTreatmentDetail: true });
    expect(await count()).toBe(before);
    const row = (await allDetails(f.t, f.a.tenant.id)).find((r) => r.id === detail.id)!;
    expect(row).toMatchObject({ deletedAt: clock.now, deletedBy: f.a.provider.id, quantity: 8 });

    expect((await f.t.gql(GET, { id: detail.id }, f.tokens.admin)).errors?.[0].extensions.code).toBe("NOT_FOUND");
    expect(
      (await f.t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: detail.id }, f.tokens.admin)).data?.node,
    ).toBeNull();
    for (const variables of [{}, { sessionId: f.session.id }, { itemId: f.item.id }]) {
      const listed = (await f.t.gql(LIST, variables, f.tokens.admin)).data!.treatmentDetails.map((d: { id: string }) =>
        Number(d.id),
      );
      expect(listed).not.toContain(detail.id);
    }
    const viaSession = await f.t.gql(
      `query($id: ID!) { treatmentDetails(sessionId: $id) { session { treatmentDetails { id } } } }`,
      { id: f.session.id },
      f.tokens.admin,
    );
    expect(
      viaSession.data!.treatmentDetails[0].session.treatmentDetails.map((d: { id: string }) => Number(d.id)),
    ).not.toContain(detail.id);
    expect((await rejected(UPDATE, { id: detail.id, input: input() }, f.tokens.admin)).extensions.code).toBe(
      "NOT_FOUND",
    );

    const again = await rejected(DELETE, { id: detail.id }, f.tokens.provider);
    expect(again).toMatchObject({ message: "Treatment detail not found", extensions: { code: "NOT_FOUND" } });
  });
});
