import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availabilityOverrides, availabilityRules, users } from "../../src/db/schema/index.js";
import { startTestApp, type GqlResult, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeUser } from "../helpers/factories.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string, provider2: string;
let secondProvider: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  t = await startTestApp({ now: () => new Date("2026-02-01T12:00:00Z") });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  secondProvider = await makeUser(t.database, p.tenant, "PROVIDER");
  [admin, provider, client, provider2] = await Promise.all(
    [p.admin, p.provider, p.client, secondProvider].map((u) => t.token(u, p.tenant)),
  );
});
afterAll(() => t.close());

const RULE = `id dayOfWeek startTime endTime isAvailable notes createdAt updatedAt provider { id }`;
const CREATE = `mutation($input: AvailabilityRuleInput!) { createAvailabilityRule(input: $input) { ${RULE} } }`;
const UPDATE = `mutation($id: ID!, $input: AvailabilityRulePatch!) { updateAvailabilityRule(id: $id, input: $input) { ${RULE} } }`;
const DELETE = `mutation($id: ID!) { deleteAvailabilityRule(id: $id) }`;
const LIST = `query($p: ID) { availabilityRules(providerId: $p) { id dayOfWeek startTime endTime provider { id } } }`;
const OVERRIDE = `id date startTime endTime isAvailable reason provider { id }`;
const CREATE_OVERRIDE = `mutation($input: AvailabilityOverrideInput!) { createAvailabilityOverride(input: $input) { ${OVERRIDE} } }`;
const SETTINGS = `mutation($p: ID, $n: Int, $b: Int, $z: TimeZone) {
  updateProviderSchedulingSettings(providerId: $p, minNoticeMinutes: $n, bufferMinutes: $b, timeZone: $z) { providerId timeZone minNoticeMinutes bufferMinutes } }`;

const rulesInDb = () => asTenant(t.database, p.tenant.id, (tx) => tx.select().from(availabilityRules));
const overridesInDb = () => asTenant(t.database, p.tenant.id, (tx) => tx.select().from(availabilityOverrides));

function errorOf(result: GqlResult<unknown>) {
  expect(result.data ?? null).toBeNull();
  return { message: result.errors![0].message, ...result.errors![0].extensions } as {
    message: string;
    code: string;
    fieldErrors?: Record<string, string>;
  };
}

async function createRule(token: string, input: Record<string, unknown>) {
  const result = await t.gql(CREATE, { input }, token);
  expect(result.errors).toBeUndefined();
  return result.data!.createAvailabilityRule as { id: string; startTime: string; endTime: string };
}

describe(`availability rules (${engine})`, () => {
  it("a provider creates their own rule (providerId defaults to the caller); an admin creates anyone's", async () => {
    const result = await t.gql(
      CREATE,
      { input: { dayOfWeek: 1, startTime: "09:00", endTime: "12:00", notes: "mornings" } },
      provider,
    );
    expect(result.data?.createAvailabilityRule).toMatchObject({
      dayOfWeek: 1,
      startTime: "09:00",
      endTime: "12:00",
      isAvailable: true,
      notes: "mornings",
      provider: { id: String(p.provider.id) },
    });
    const byAdmin = await t.gql(
      CREATE,
      { input: { providerId: secondProvider.id, dayOfWeek: 2, startTime: "10:00", endTime: "11:30" } },
      admin,
    );
    expect(byAdmin.data?.createAvailabilityRule).toMatchObject({
      dayOfWeek: 2,
      startTime: "10:00",
      endTime: "11:30",
      provider: { id: String(secondProvider.id) },
    });
    const [row] = (await rulesInDb()).filter((r) => r.providerId === secondProvider.id);
    expect(row).toMatchObject({ tenantId: p.tenant.id, startTime: "10:00:00", endTime: "11:30:00" });
  });

  it("permissions: CLIENT FORBIDDEN, a provider cannot touch another's schedule, admin must name the provider; nothing written", async () => {
    const before = await rulesInDb();
    const input = { dayOfWeek: 3, startTime: "09:00", endTime: "10:00" };
    expect(errorOf(await t.gql(CREATE, { input }, client)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(CREATE, { input: { ...input, providerId: p.provider.id } }, client)).code).toBe(
      "FORBIDDEN",
    );
    expect(errorOf(await t.gql(CREATE, { input: { ...input, providerId: secondProvider.id } }, provider)).code).toBe(
      "FORBIDDEN",
    );
    expect(errorOf(await t.gql(CREATE, { input }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      fieldErrors: { providerId: "providerId is required" },
    });
    expect(await rulesInDb()).toEqual(before);
  });

  it("providerId must be a PROVIDER of the tenant: NOT_FOUND otherwise", async () => {
    const before = await rulesInDb();
    const input = { dayOfWeek: 3, startTime: "09:00", endTime: "10:00" };
    for (const id of [p.client.id, p.admin.id, other.provider.id, 99_999_999]) {
      expect(errorOf(await t.gql(CREATE, { input: { ...input, providerId: id } }, admin))).toMatchObject({
        code: "NOT_FOUND",
        reason: "NOT_FOUND",
        message: "Provider not found",
      });
    }
    expect(errorOf(await t.gql(CREATE, { input: { ...input, providerId: "x1" } }, admin))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { providerId: expect.any(String) },
    });
    expect(errorOf(await t.gql(LIST, { p: other.provider.id }, admin)).code).toBe("NOT_FOUND");
    expect(await rulesInDb()).toEqual(before);
  });

  it("validates HH:MM strictly, day of week 0–6 and start before end, naming the field; nothing written", async () => {
    const before = await rulesInDb();
    for (const bad of ["9:00", "24:00", "12:60", "09:00:00", "noon", ""]) {
      const err = errorOf(await t.gql(CREATE, { input: { dayOfWeek: 4, startTime: bad, endTime: "18:00" } }, provider));
      expect(err).toMatchObject({
        code: "BAD_USER_INPUT",
        fieldErrors: { "input.startTime": expect.stringContaining("HH:MM") },
      });
    }
    const literal = errorOf(
      await t.gql(
        `mutation { createAvailabilityRule(input: { dayOfWeek: 4, startTime: "08:00", endTime: "25:00" }) { id } }`,
        {},
        provider,
      ),
    );
    expect(literal).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { endTime: expect.stringContaining("HH:MM") },
    });
    for (const day of [-1, 7]) {
      const err = errorOf(
        await t.gql(CREATE, { input: { dayOfWeek: day, startTime: "09:00", endTime: "10:00" } }, provider),
      );
      expect(err).toMatchObject({
        code: "BAD_USER_INPUT",
        fieldErrors: { dayOfWeek: `dayOfWeek must be 0 (Sunday) to 6 (Saturday), got ${day}` },
      });
    }
    for (const [start, end] of [
      ["10:00", "10:00"],
      ["17:00", "09:00"],
    ]) {
      const err = errorOf(await t.gql(CREATE, { input: { dayOfWeek: 4, startTime: start, endTime: end } }, provider));
      expect(err).toMatchObject({
        code: "BAD_USER_INPUT",
        reason: "VALIDATION",
        fieldErrors: { endTime: `endTime (${end}) must be after startTime (${start})` },
      });
    }
    expect(await rulesInDb()).toEqual(before);
  });

  it("rejects a rule overlapping another on the same day, naming it; back-to-back and other days are fine", async () => {
    const first = await createRule(provider, { dayOfWeek: 5, startTime: "09:00", endTime: "12:00" });
    const before = await rulesInDb();
    for (const [start, end] of [
      ["11:00", "13:00"],
      ["08:00", "09:30"],
      ["10:00", "11:00"],
      ["08:00", "13:00"],
      ["09:00", "12:00"],
    ]) {
      const err = errorOf(await t.gql(CREATE, { input: { dayOfWeek: 5, startTime: start, endTime: end } }, provider));
      expect(err).toMatchObject({
        code: "BAD_USER_INPUT",
        message: `${start}–${end} overlaps availability rule ${first.id} (Friday 09:00–12:00)`,
        fieldErrors: { startTime: expect.stringContaining(`availability rule ${first.id}`) },
      });
    }
    expect(await rulesInDb()).toEqual(before);
    await createRule(provider, { dayOfWeek: 5, startTime: "12:00", endTime: "13:00" });
    await createRule(provider, { dayOfWeek: 5, startTime: "07:00", endTime: "09:00" });
    await createRule(provider, { dayOfWeek: 6, startTime: "09:00", endTime: "12:00" });
    // Another provider's rules never conflict.
    await createRule(provider2, { dayOfWeek: 5, startTime: "09:00", endTime: "12:00" });
  });

  it("two overlapping rules created at the same time: exactly one wins", async () => {
    const results = await Promise.all(
      [
        ["09:00", "11:00"],
        ["10:00", "12:00"],
        ["10:30", "11:30"],
      ].map(([startTime, endTime]) => t.gql(CREATE, { input: { dayOfWeek: 4, startTime, endTime } }, provider2)),
    );
    expect(results.filter((r) => r.data?.createAvailabilityRule)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0].extensions.code === "BAD_USER_INPUT")).toHaveLength(2);
    expect((await rulesInDb()).filter((r) => r.providerId === secondProvider.id && r.dayOfWeek === 4)).toHaveLength(1);
  });

  it("a disabled rule does not count for overlaps; enabling it is checked like a new rule", async () => {
    const busy = await createRule(provider, { dayOfWeek: 0, startTime: "10:00", endTime: "14:00" });
    const parked = await createRule(provider, {
      dayOfWeek: 0,
      startTime: "12:00",
      endTime: "16:00",
      isAvailable: false,
    });
    const before = await rulesInDb();
    const err = errorOf(await t.gql(UPDATE, { id: parked.id, input: { isAvailable: true } }, provider));
    expect(err).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      message: `12:00–16:00 overlaps availability rule ${busy.id} (Sunday 10:00–14:00)`,
    });
    expect(await rulesInDb()).toEqual(before);
    const moved = await t.gql(UPDATE, { id: parked.id, input: { isAvailable: true, startTime: "14:00" } }, provider);
    expect(moved.data?.updateAvailabilityRule).toMatchObject({
      startTime: "14:00",
      endTime: "16:00",
      isAvailable: true,
    });
  });

  it("updates validate the merged rule; notes null clears; permissions as for create", async () => {
    const rule = await createRule(provider, { dayOfWeek: 3, startTime: "13:00", endTime: "15:00", notes: "afternoon" });
    const before = await rulesInDb();
    expect(errorOf(await t.gql(UPDATE, { id: rule.id, input: { endTime: "12:00" } }, provider))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { endTime: "endTime (12:00) must be after startTime (13:00)" },
    });
    expect(errorOf(await t.gql(UPDATE, { id: rule.id, input: { dayOfWeek: 9 } }, provider)).fieldErrors).toHaveProperty(
      "dayOfWeek",
    );
    expect(errorOf(await t.gql(UPDATE, { id: rule.id, input: { startTime: "1pm" } }, provider)).code).toBe(
      "BAD_USER_INPUT",
    );
    expect(errorOf(await t.gql(UPDATE, { id: rule.id, input: { notes: "x" } }, client)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(UPDATE, { id: rule.id, input: { notes: "x" } }, provider2)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(UPDATE, { id: 99_999_999, input: { notes: "x" } }, admin))).toMatchObject({
      code: "NOT_FOUND",
      reason: "NOT_FOUND",
      message: "AvailabilityRule not found",
    });
    expect(await rulesInDb()).toEqual(before);

    const updated = await t.gql(UPDATE, { id: rule.id, input: { dayOfWeek: 4, endTime: "16:30", notes: null } }, admin);
    expect(updated.data?.updateAvailabilityRule).toMatchObject({
      id: rule.id,
      dayOfWeek: 4,
      startTime: "13:00",
      endTime: "16:30",
      notes: null,
    });
    expect(updated.data?.updateAvailabilityRule.updatedAt).toBe("2026-02-01T12:00:00.000Z");
    const kept = await t.gql(UPDATE, { id: rule.id, input: { startTime: "12:30" } }, provider);
    expect(kept.data?.updateAvailabilityRule).toMatchObject({ startTime: "12:30", endTime: "16:30", dayOfWeek: 4 });
  });

  it("delete: own or by admin; others FORBIDDEN; unknown NOT_FOUND", async () => {
    const rule = await createRule(provider, { dayOfWeek: 2, startTime: "18:00", endTime: "19:00" });
    expect(errorOf(await t.gql(DELETE, { id: rule.id }, client)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(DELETE, { id: rule.id }, provider2)).code).toBe("FORBIDDEN");
    expect((await rulesInDb()).some((r) => String(r.id) === rule.id)).toBe(true);
    expect((await t.gql(DELETE, { id: rule.id }, provider)).data).toEqual({ deleteAvailabilityRule: true });
    expect((await rulesInDb()).some((r) => String(r.id) === rule.id)).toBe(false);
    expect(errorOf(await t.gql(DELETE, { id: rule.id }, provider)).code).toBe("NOT_FOUND");
    const byAdmin = await createRule(provider, { dayOfWeek: 2, startTime: "18:00", endTime: "19:00" });
    expect((await t.gql(DELETE, { id: byAdmin.id }, admin)).data).toEqual({ deleteAvailabilityRule: true });
  });

  it("availabilityRules lists a provider's rules by day and time; defaults to the caller; node(id) finds a rule", async () => {
    const mine = await t.gql(LIST, {}, provider);
    const rows = mine.data!.availabilityRules as {
      id: string;
      dayOfWeek: number;
      startTime: string;
      provider: { id: string };
    }[];
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.every((r) => r.provider.id === String(p.provider.id))).toBe(true);
    const keys = rows.map((r) => `${r.dayOfWeek} ${r.startTime}`);
    expect(keys).toEqual([...keys].sort());
    const seenByClient = await t.gql(LIST, { p: p.provider.id }, client);
    expect(seenByClient.data!.availabilityRules).toEqual(rows);
    expect(errorOf(await t.gql(LIST, {}, client))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { providerId: "providerId is required" },
    });
    const all = await t.gql(LIST, {}, admin);
    expect((all.data!.availabilityRules as unknown[]).length).toBe((await rulesInDb()).length);
    const node = await t.gql(
      `query($id: ID!) { node(id: $id) { __typename id ... on AvailabilityRule { startTime } } }`,
      { id: rows[0].id },
      client,
    );
    expect(node.data?.node).toEqual({ __typename: "AvailabilityRule", id: rows[0].id, startTime: rows[0].startTime });
  });
});

describe(`availability overrides (${engine})`, () => {
  it("creates a whole day off, time off and extra hours; lists them by date", async () => {
    const dayOff = await t.gql(
      CREATE_OVERRIDE,
      { input: { date: "2026-03-02", isAvailable: false, reason: "holiday" } },
      provider,
    );
    expect(dayOff.data?.createAvailabilityOverride).toMatchObject({
      date: "2026-03-02",
      startTime: null,
      endTime: null,
      isAvailable: false,
      reason: "holiday",
      provider: { id: String(p.provider.id) },
    });
    const timeOff = await t.gql(
      CREATE_OVERRIDE,
      { input: { date: "2026-03-04", startTime: "09:00", endTime: "11:00", isAvailable: false } },
      provider,
    );
    expect(timeOff.data?.createAvailabilityOverride).toMatchObject({
      startTime: "09:00",
      endTime: "11:00",
      isAvailable: false,
    });
    const extra = await t.gql(
      CREATE_OVERRIDE,
      {
        input: {
          providerId: p.provider.id,
          date: "2026-03-07",
          startTime: "10:00",
          endTime: "12:00",
          isAvailable: true,
        },
      },
      admin,
    );
    expect(extra.data?.createAvailabilityOverride).toMatchObject({
      date: "2026-03-07",
      startTime: "10:00",
      isAvailable: true,
    });

    const list = `query($p: ID, $f: Date, $t: Date) { availabilityOverrides(providerId: $p, from: $f, to: $t) { date } }`;
    expect((await t.gql(list, {}, provider)).data?.availabilityOverrides).toEqual([
      { date: "2026-03-02" },
      { date: "2026-03-04" },
      { date: "2026-03-07" },
    ]);
    expect(
      (await t.gql(list, { p: p.provider.id, f: "2026-03-03", t: "2026-03-07" }, client)).data?.availabilityOverrides,
    ).toEqual([{ date: "2026-03-04" }, { date: "2026-03-07" }]);
    expect(errorOf(await t.gql(list, { p: p.provider.id, f: "2026-03-07", t: "2026-03-03" }, client))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { to: expect.any(String) },
    });
  });

  it("validates the date and the times; permissions as for rules; nothing written", async () => {
    const before = await overridesInDb();
    const bad = async (input: Record<string, unknown>, token = provider) =>
      errorOf(await t.gql(CREATE_OVERRIDE, { input: { date: "2026-03-05", isAvailable: false, ...input } }, token));
    expect(await bad({ isAvailable: true })).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { startTime: "extra hours (isAvailable true) need startTime and endTime" },
    });
    expect(await bad({ startTime: "09:00" })).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { endTime: expect.stringContaining("together") },
    });
    expect(await bad({ endTime: "09:00" })).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { startTime: expect.stringContaining("together") },
    });
    expect(await bad({ startTime: "12:00", endTime: "09:00" })).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { endTime: "endTime (09:00) must be after startTime (12:00)" },
    });
    expect(await bad({ startTime: "9:00", endTime: "12:00" })).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { "input.startTime": expect.any(String) },
    });
    expect(await bad({ date: "2026-02-30" })).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { "input.date": expect.stringContaining("YYYY-MM-DD") },
    });
    expect((await bad({}, client)).code).toBe("FORBIDDEN");
    expect((await bad({ providerId: secondProvider.id })).code).toBe("FORBIDDEN");
    expect((await bad({ providerId: p.client.id }, admin)).code).toBe("NOT_FOUND");
    expect(await overridesInDb()).toEqual(before);
  });

  it("deletes: own or admin; others FORBIDDEN", async () => {
    const created = await t.gql(CREATE_OVERRIDE, { input: { date: "2026-04-01", isAvailable: false } }, provider);
    const id = created.data!.createAvailabilityOverride.id as string;
    const del = `mutation($id: ID!) { deleteAvailabilityOverride(id: $id) }`;
    expect(errorOf(await t.gql(del, { id }, client)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(del, { id }, provider2)).code).toBe("FORBIDDEN");
    const node = await t.gql(
      `query($id: ID!) { node(id: $id) { __typename ... on AvailabilityOverride { date } } }`,
      { id },
      client,
    );
    expect(node.data?.node).toEqual({ __typename: "AvailabilityOverride", date: "2026-04-01" });
    expect((await t.gql(del, { id }, provider)).data).toEqual({ deleteAvailabilityOverride: true });
    expect((await overridesInDb()).some((o) => String(o.id) === id)).toBe(false);
    expect(errorOf(await t.gql(del, { id }, admin)).code).toBe("NOT_FOUND");
  });
});

describe(`provider scheduling settings (${engine})`, () => {
  const providerRow = () =>
    asTenant(t.database, p.tenant.id, (tx) => tx.select().from(users)).then((rows) =>
      rows.find((u) => u.id === secondProvider.id)!,
    );

  it("a provider sets their own notice, buffer and zone; omitted values stay", async () => {
    const result = await t.gql(SETTINGS, { n: 120, b: 15, z: "Asia/Kolkata" }, provider2);
    expect(result.data?.updateProviderSchedulingSettings).toEqual({
      providerId: String(secondProvider.id),
      timeZone: "Asia/Kolkata",
      minNoticeMinutes: 120,
      bufferMinutes: 15,
    });
    const partial = await t.gql(SETTINGS, { p: secondProvider.id, b: 0 }, admin);
    expect(partial.data?.updateProviderSchedulingSettings).toEqual({
      providerId: String(secondProvider.id),
      timeZone: "Asia/Kolkata",
      minNoticeMinutes: 120,
      bufferMinutes: 0,
    });
    const read = await t.gql(
      `query($p: ID) { providerSchedulingSettings(providerId: $p) { timeZone minNoticeMinutes bufferMinutes } }`,
      { p: secondProvider.id },
      client,
    );
    expect(read.data?.providerSchedulingSettings).toEqual({
      timeZone: "Asia/Kolkata",
      minNoticeMinutes: 120,
      bufferMinutes: 0,
    });
  });

  it("rejects bad values and other people's settings; nothing written", async () => {
    const before = await providerRow();
    expect(errorOf(await t.gql(SETTINGS, { n: -1 }, provider2))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { minNoticeMinutes: expect.any(String) },
    });
    expect(errorOf(await t.gql(SETTINGS, { b: 241 }, provider2))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { bufferMinutes: expect.any(String) },
    });
    expect(errorOf(await t.gql(SETTINGS, { z: "Mars/Base" }, provider2))).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { z: expect.stringContaining("IANA") },
    });
    expect(errorOf(await t.gql(SETTINGS, { p: secondProvider.id, b: 5 }, provider)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(SETTINGS, { p: secondProvider.id, b: 5 }, client)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(SETTINGS, { p: p.client.id, b: 5 }, admin)).code).toBe("NOT_FOUND");
    expect(await providerRow()).toEqual(before);
  });
});
