import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engine } from "../helpers/db.js";
import { makeSession } from "../helpers/factories.js";
import { at, makeDetail, makeItem, makeUnit, setup } from "./treatment-details.fixture.js";

let f: Awaited<ReturnType<typeof setup>>;
const USAGE = `query($from: DateTime!, $to: DateTime!, $providerId: ID) {
  itemUsage(from: $from, to: $to, providerId: $providerId) { item { name } unit { name } totalQuantity detailCount sessionCount }
}`;
const WEEK = { from: at(6, 0).toISOString(), to: at(13, 0).toISOString() };

beforeAll(async () => {
  f = await setup();
  const { t, a } = f;
  const tenant = a.tenant.id;
  const gauze = await makeItem(t, tenant, "Gauze");
  const box = await makeUnit(t, tenant, "box");
  // Two more sessions of the provider in the week, one of the other provider, one the week after.
  const monday = await makeSession(t.database, a.tenant, {
    providerId: a.provider.id,
    clientId: a.client.id,
    startsAt: at(8, 9),
    endsAt: at(8, 10),
    status: "COMPLETED",
  });
  const friday = await makeSession(t.database, a.tenant, {
    providerId: a.provider.id,
    clientId: a.client.id,
    startsAt: at(12, 23),
    endsAt: at(13, 0),
  });
  const nextWeek = await makeSession(t.database, a.tenant, {
    providerId: a.provider.id,
    clientId: a.client.id,
    startsAt: at(13, 0),
    endsAt: at(13, 1),
  });
  const detail = (
    sessionId: number | null,
    itemId: number | null,
    unitId: number | null,
    quantity: number,
    deleted = false,
  ) =>
    makeDetail(t, tenant, {
      sessionId,
      itemId,
      unitId,
      quantity,
      ...(deleted ? { deletedAt: at(7, 0), deletedBy: a.admin.id } : {}),
    });
  await detail(f.session.id, f.item.id, f.unit.id, 2);
  await detail(f.session.id, f.item.id, f.unit.id, 3);
  await detail(monday.id, f.item.id, f.unit.id, 4);
  await detail(monday.id, f.item.id, box.id, 1);
  await detail(friday.id, gauze.id, box.id, 10);
  await detail(friday.id, gauze.id, box.id, 100, true); // deleted: never counted
  await detail(friday.id, null, null, 7);
  await detail(nextWeek.id, f.item.id, f.unit.id, 50); // starts at `to`: outside [from, to)
  await detail(null, f.item.id, f.unit.id, 60); // no session: no date
  await detail(f.otherSession.id, f.item.id, f.unit.id, 5);
  await makeDetail(t, f.b.tenant.id, {
    sessionId: f.bSession.id,
    itemId: f.bItem.id,
    unitId: f.bUnit.id,
    quantity: 70,
  }); // another tenant
});
afterAll(() => f.t.close());

describe(`itemUsage (${engine})`, () => {
  it("an admin gets the totals per item and unit over the sessions starting in [from, to)", async () => {
    const result = await f.t.gql(USAGE, WEEK, f.tokens.admin);
    expect(result.errors).toBeUndefined();
    expect(result.data!.itemUsage).toEqual([
      { item: { name: "Gauze" }, unit: { name: "box" }, totalQuantity: 10, detailCount: 1, sessionCount: 1 },
      { item: { name: "Theraband" }, unit: { name: "box" }, totalQuantity: 1, detailCount: 1, sessionCount: 1 },
      { item: { name: "Theraband" }, unit: { name: "piece" }, totalQuantity: 14, detailCount: 4, sessionCount: 3 },
      { item: null, unit: null, totalQuantity: 7, detailCount: 1, sessionCount: 1 },
    ]);
  });

  it("filtered by provider; a provider gets their own sessions only", async () => {
    const own = [
      { item: { name: "Gauze" }, unit: { name: "box" }, totalQuantity: 10, detailCount: 1, sessionCount: 1 },
      { item: { name: "Theraband" }, unit: { name: "box" }, totalQuantity: 1, detailCount: 1, sessionCount: 1 },
      { item: { name: "Theraband" }, unit: { name: "piece" }, totalQuantity: 9, detailCount: 3, sessionCount: 2 },
      { item: null, unit: null, totalQuantity: 7, detailCount: 1, sessionCount: 1 },
    ];
    expect((await f.t.gql(USAGE, { ...WEEK, providerId: f.a.provider.id }, f.tokens.admin)).data!.itemUsage).toEqual(
      own,
    );
    expect((await f.t.gql(USAGE, WEEK, f.tokens.provider)).data!.itemUsage).toEqual(own);
    expect((await f.t.gql(USAGE, { ...WEEK, providerId: f.a.provider.id }, f.tokens.provider)).data!.itemUsage).toEqual(
      own,
    );
    expect((await f.t.gql(USAGE, WEEK, f.tokens.otherProvider)).data!.itemUsage).toEqual([
      { item: { name: "Theraband" }, unit: { name: "piece" }, totalQuantity: 5, detailCount: 1, sessionCount: 1 },
    ]);
    expect(
      (await f.t.gql(USAGE, { from: at(20, 0).toISOString(), to: at(21, 0).toISOString() }, f.tokens.admin)).data!
        .itemUsage,
    ).toEqual([]);
  });

  it("refuses clients, other providers' reports, an empty range and unknown providers", async () => {
    expect((await f.t.gql(USAGE, WEEK, f.tokens.client)).errors?.[0].extensions.code).toBe("FORBIDDEN");
    expect(
      (await f.t.gql(USAGE, { ...WEEK, providerId: f.otherProvider.id }, f.tokens.provider)).errors?.[0],
    ).toMatchObject({
      message: "A provider may only report on their own sessions",
      extensions: { code: "FORBIDDEN" },
    });
    expect((await f.t.gql(USAGE, { from: WEEK.to, to: WEEK.from }, f.tokens.admin)).errors?.[0].extensions).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { to: "to must be after from" },
    });
    for (const providerId of [f.b.provider.id, f.a.client.id, 99999999]) {
      expect((await f.t.gql(USAGE, { ...WEEK, providerId }, f.tokens.admin)).errors?.[0].extensions).toEqual({
        code: "BAD_USER_INPUT",
        reason: "VALIDATION",
        fieldErrors: { providerId: `Provider ${providerId} not found` },
      });
    }
    expect((await f.t.gql(USAGE, { ...WEEK, from: "monday" }, f.tokens.admin)).errors?.[0].extensions.code).toBe(
      "BAD_USER_INPUT",
    );
  });
});
