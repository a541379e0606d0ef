import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { items, units } from "../../src/db/schema/index.js";
import { engine } from "../helpers/db.js";
import { asTenant } from "../helpers/factories.js";
import { countRows, setup } from "./treatment-details.fixture.js";

let f: Awaited<ReturnType<typeof setup>>;
beforeAll(async () => {
  f = await setup();
});
afterAll(() => f.t.close());

const CREATE_ITEM = `mutation($name: String!, $sku: String) { createItem(name: $name, sku: $sku) { id name sku } }`;
const UPDATE_ITEM = `mutation($id: ID!, $name: String, $sku: String) { updateItem(id: $id, name: $name, sku: $sku) { id name sku } }`;
const CREATE_UNIT = `mutation($name: String!) { createUnit(name: $name) { id name } }`;
const UPDATE_UNIT = `mutation($id: ID!, $name: String!) { updateUnit(id: $id, name: $name) { id name } }`;
const LIST = `{ items { id name sku } units { id name } }`;

const itemRows = () => asTenant(f.t.database, f.a.tenant.id, (tx) => tx.select().from(items).orderBy(items.id));
const unitRows = () => asTenant(f.t.database, f.a.tenant.id, (tx) => tx.select().from(units).orderBy(units.id));

/** A catalog mutation that must fail and change nothing; returns its first error. */
async function rejected(query: string, variables: Record<string, unknown>, token: string) {
  const before = [await itemRows(), await unitRows(), await countRows(f.t, f.b.tenant.id, items)];
  const result = await f.t.gql(query, variables, token);
  expect(result.errors, JSON.stringify(result)).toHaveLength(1);
  expect([await itemRows(), await unitRows(), await countRows(f.t, f.b.tenant.id, items)]).toEqual(before);
  return result.errors![0];
}

describe(`items and units (${engine})`, () => {
  it("an admin creates items and units; names are trimmed, a blank sku is none", async () => {
    const item = await f.t.gql(CREATE_ITEM, { name: "  Ice pack ", sku: "ICE-1" }, f.tokens.admin);
    expect(item.data?.createItem).toMatchObject({ name: "Ice pack", sku: "ICE-1" });
    const noSku = await f.t.gql(CREATE_ITEM, { name: "Kinesio tape", sku: "  " }, f.tokens.admin);
    expect(noSku.data?.createItem).toMatchObject({ name: "Kinesio tape", sku: null });
    const unit = await f.t.gql(CREATE_UNIT, { name: "ml" }, f.tokens.admin);
    expect(unit.data?.createUnit).toMatchObject({ name: "ml" });
    const row = (await itemRows()).find((r) => r.id === Number(item.data!.createItem.id))!;
    expect(row).toMatchObject({ tenantId: f.a.tenant.id, createdAt: new Date("2030-01-06T12:00:00Z") });
  });

  it("everyone in the tenant reads the catalog, sorted by name; another tenant sees none of it", async () => {
    for (const token of [f.tokens.admin, f.tokens.provider, f.tokens.client]) {
      const result = await f.t.gql(LIST, {}, token);
      expect(result.data!.items.map((i: { name: string }) => i.name)).toEqual([
        "Ice pack",
        "Kinesio tape",
        "Theraband",
      ]);
      expect(result.data!.units.map((u: { name: string }) => u.name)).toEqual(["ml", "piece"]);
    }
    const b = await f.t.gql(LIST, {}, f.tokens.bAdmin);
    expect(b.data).toEqual({
      items: [{ id: String(f.bItem.id), name: "B item", sku: "B-1" }],
      units: [{ id: String(f.bUnit.id), name: "B unit" }],
    });
  });

  it("only an admin writes the catalog", async () => {
    for (const token of [f.tokens.provider, f.tokens.client]) {
      expect((await rejected(CREATE_ITEM, { name: "X" }, token)).extensions.code).toBe("FORBIDDEN");
      expect((await rejected(CREATE_UNIT, { name: "X" }, token)).extensions.code).toBe("FORBIDDEN");
      expect((await rejected(UPDATE_ITEM, { id: f.item.id, name: "X" }, token)).extensions.code).toBe("FORBIDDEN");
      expect((await rejected(UPDATE_UNIT, { id: f.unit.id, name: "X" }, token)).extensions.code).toBe("FORBIDDEN");
    }
  });

  it("bad input: blank names, a duplicate sku, a missing name; nothing written", async () => {
    expect((await rejected(CREATE_ITEM, { name: " " }, f.tokens.admin)).extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { name: "name must not be empty" },
    });
    expect((await rejected(CREATE_UNIT, { name: "" }, f.tokens.admin)).extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { name: "name must not be empty" },
    });
    const dup = await rejected(CREATE_ITEM, { name: "Other", sku: "TB-1" }, f.tokens.admin);
    expect(dup).toMatchObject({
      message: `sku "TB-1" is already used by item ${f.item.id}`,
      extensions: { code: "BAD_USER_INPUT", fieldErrors: { sku: `sku "TB-1" is already used by item ${f.item.id}` } },
    });
    expect((await rejected(CREATE_ITEM, { sku: "S" }, f.tokens.admin)).extensions.code).toBe("BAD_USER_INPUT");
    expect((await rejected(UPDATE_UNIT, { id: f.unit.id, name: "  " }, f.tokens.admin)).extensions.fieldErrors).toEqual(
      { name: "name must not be empty" },
    );
    // The same sku in another tenant is fine.
    expect((await f.t.gql(CREATE_ITEM, { name: "Copy", sku: "B-1" }, f.tokens.admin)).data?.createItem).toMatchObject({
      sku: "B-1",
    });
  });

  it("updateItem: omitted arguments keep their value, sku null clears it, a taken sku is refused", async () => {
    const renamed = await f.t.gql(UPDATE_ITEM, { id: f.item.id, name: "Theraband red" }, f.tokens.admin);
    expect(renamed.data?.updateItem).toEqual({ id: String(f.item.id), name: "Theraband red", sku: "TB-1" });
    const sameSku = await f.t.gql(UPDATE_ITEM, { id: f.item.id, sku: "TB-1" }, f.tokens.admin);
    expect(sameSku.data?.updateItem).toMatchObject({ name: "Theraband red", sku: "TB-1" });
    expect(
      (await rejected(UPDATE_ITEM, { id: f.item.id, sku: "ICE-1" }, f.tokens.admin)).extensions.fieldErrors,
    ).toEqual({ sku: expect.stringMatching(/^sku "ICE-1" is already used by item \d+$/) });
    const cleared = await f.t.gql(UPDATE_ITEM, { id: f.item.id, sku: null }, f.tokens.admin);
    expect(cleared.data?.updateItem).toMatchObject({ name: "Theraband red", sku: null });
    const row = (await itemRows()).find((r) => r.id === f.item.id)!;
    expect(row).toMatchObject({ name: "Theraband red", sku: null });
  });

  it("updateUnit renames; unknown, foreign and malformed ids are refused", async () => {
    expect((await f.t.gql(UPDATE_UNIT, { id: f.unit.id, name: "pcs" }, f.tokens.admin)).data?.updateUnit).toEqual({
      id: String(f.unit.id),
      name: "pcs",
    });
    expect(await rejected(UPDATE_UNIT, { id: f.bUnit.id, name: "mine" }, f.tokens.admin)).toMatchObject({
      message: "Unit not found",
      extensions: { code: "NOT_FOUND" },
    });
    expect(await rejected(UPDATE_ITEM, { id: f.bItem.id, name: "mine" }, f.tokens.admin)).toMatchObject({
      message: "Item not found",
      extensions: { code: "NOT_FOUND" },
    });
    expect((await rejected(UPDATE_ITEM, { id: 99999990, name: "x" }, f.tokens.admin)).extensions.code).toBe(
      "NOT_FOUND",
    );
    expect((await rejected(UPDATE_ITEM, { id: "abc", name: "x" }, f.tokens.admin)).extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { id: 'id must be a numeric id, got "abc"' },
    });
    expect((await asTenant(f.t.database, f.b.tenant.id, (tx) => tx.select().from(units)))[0].name).toBe("B unit");
  });
});
