import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRow } from "../../src/db/schema/index.js";
import { engine } from "../helpers/db.js";
import { makeSession } from "../helpers/factories.js";
import { at, makeDetail, makeItem, makeUnit, setup } from "./treatment-details.fixture.js";

/** Statement counts of one request: the loaders keep them fixed however many details there are. */
let f: Awaited<ReturnType<typeof setup>>;
let sessions: SessionRow[];
const AUTH = 1; // set role/tenant (the tenant and the caller are cached after the first request)

beforeAll(async () => {
  f = await setup();
  const { t, a } = f;
  sessions = [f.session];
  for (let day = 8; day < 12; day++) {
    sessions.push(
      await makeSession(t.database, a.tenant, {
        providerId: a.provider.id,
        clientId: a.client.id,
        startsAt: at(day, 9),
        endsAt: at(day, 10),
      }),
    );
  }
  // 10 details over 5 sessions, each with its own item and unit, written by two users.
  for (let i = 0; i < 10; i++) {
    const item = await makeItem(t, a.tenant.id, `Item ${i}`, `SKU-${i}`);
    const unit = await makeUnit(t, a.tenant.id, `Unit ${i}`);
    await makeDetail(t, a.tenant.id, {
      sessionId: sessions[i % 5].id,
      itemId: item.id,
      unitId: unit.id,
      quantity: i + 1,
      createdBy: i % 2 ? a.admin.id : a.provider.id,
    });
  }
  await t.gql(`{ me { id } }`, {}, f.tokens.admin); // warms the tenant cache
});
afterAll(() => f.t.close());

async function statementsOf(query: string, variables: Record<string, unknown> = {}) {
  const before = f.t.database.statements;
  const result = await f.t.gql(query, variables, f.tokens.admin);
  expect(result.errors).toBeUndefined();
  return { data: result.data!, statements: f.t.database.statements - before };
}

const NESTED = `quantity item { name sku } unit { name } createdBy { name } updatedBy { name }`;

describe(`treatment details cost a fixed number of statements (${engine})`, () => {
  it("10 details with item, unit and createdBy: list 1 + users 1 (item and unit come with the list)", async () => {
    const { data, statements } = await statementsOf(`{ treatmentDetails { ${NESTED} } }`);
    expect(data.treatmentDetails).toHaveLength(10);
    expect(
      data.treatmentDetails.every(
        (d: { item: unknown; unit: unknown; createdBy: unknown }) => d.item && d.unit && d.createdBy,
      ),
    ).toBe(true);
    expect(statements).toBe(AUTH + 2);
  });

  it("Session.treatmentDetails for 5 sessions: sessions 1 + details with items and units 1 + users 1", async () => {
    const { data, statements } = await statementsOf(
      `{ treatmentDetails { session { id treatmentDetails { ${NESTED} } } } }`,
    );
    const nested = data.treatmentDetails.flatMap(
      (d: { session: { treatmentDetails: unknown[] } }) => d.session.treatmentDetails,
    );
    expect(nested).toHaveLength(20); // each of the 10 details lists its session's 2
    expect(
      nested.every((d: { item: unknown; unit: unknown; createdBy: unknown }) => d.item && d.unit && d.createdBy),
    ).toBe(true);
    expect(statements).toBe(AUTH + 4);
  });

  it("one detail, its session's details nested: detail 1 + session 1 + details 1 + users 1", async () => {
    const [first] = (await statementsOf(`{ treatmentDetails { id } }`)).data.treatmentDetails;
    const { data, statements } = await statementsOf(
      `query($id: ID!) { treatmentDetail(id: $id) { session { treatmentDetails { ${NESTED} } } } }`,
      { id: first.id },
    );
    expect(data.treatmentDetail.session.treatmentDetails).toHaveLength(2);
    expect(statements).toBe(AUTH + 4);
  });
});
