import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { careRelationships, users } from "../../src/db/schema/index.js";
import { DateScalar, LocalTimeScalar, TimeZoneScalar, DateTimeScalar } from "../../src/graphql/scalars.js";
import { engine } from "../helpers/db.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice } from "../helpers/factories.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string;

beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database, { timeZone: "Europe/Berlin" });
  [admin, provider, client] = await Promise.all([p.admin, p.provider, p.client].map((u) => t.token(u, p.tenant)));
});
afterAll(() => t.close());

const CREATE = `mutation Create($input: CreateUserInput!) { createUser(input: $input) { id role username name timeZone status } }`;
const count = () => asTenant(t.database, p.tenant.id, (tx) => tx.select().from(users)).then((r) => r.length);

describe(`users (${engine})`, () => {
  it("an admin creates a user; the time zone defaults to the tenant's", async () => {
    const result = await t.gql(CREATE, { input: { role: "CLIENT", username: "maria.k", name: "Maria K" } }, admin);
    expect(result.data?.createUser).toMatchObject({
      role: "CLIENT",
      username: "maria.k",
      timeZone: "Europe/Berlin",
      status: "active",
    });
  });

  it("only an admin creates users", async () => {
    const before = await count();
    const result = await t.gql(CREATE, { input: { role: "ADMIN", username: "sneaky", name: "S" } }, provider);
    expect(result.errors?.[0].extensions.code).toBe("FORBIDDEN");
    expect(await count()).toBe(before);
  });

  it("rejects a duplicate username, an empty name and an unknown time zone with fieldErrors, writing nothing", async () => {
    const before = await count();
    const dup = await t.gql(CREATE, { input: { role: "CLIENT", username: p.client.username, name: "Dup" } }, admin);
    expect(dup.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { username: expect.stringContaining("already taken") },
    });
    const empty = await t.gql(CREATE, { input: { role: "CLIENT", username: "x1", name: "  " } }, admin);
    expect(empty.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { name: "name must not be empty" },
    });
    const zone = await t.gql(
      CREATE,
      { input: { role: "CLIENT", username: "x2", name: "Z", timeZone: "Mars/Olympus_Mons" } },
      admin,
    );
    expect(zone.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { "input.timeZone": expect.stringContaining("IANA time zone") },
    });
    const literal = await t.gql(
      `mutation { createUser(input: { role: CLIENT, username: "x3", name: "Z", timeZone: "Nowhere/City" }) { id } }`,
      {},
      admin,
    );
    expect(literal.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { timeZone: expect.stringContaining("IANA time zone") },
    });
    expect(await count()).toBe(before);
  });

  it("assignClient creates the care relationship once; only for a provider and a client", async () => {
    const mutation = `mutation($p: ID!, $c: ID!) { assignClient(providerId: $p, clientId: $c) }`;
    expect((await t.gql(mutation, { p: p.provider.id, c: p.otherClient.id }, admin)).data).toEqual({
      assignClient: true,
    });
    expect((await t.gql(mutation, { p: p.provider.id, c: p.otherClient.id }, admin)).data).toEqual({
      assignClient: true,
    });
    const rows = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.select().from(careRelationships).where(eq(careRelationships.clientId, p.otherClient.id)),
    );
    expect(rows).toHaveLength(1);
    expect((await t.gql(mutation, { p: p.client.id, c: p.otherClient.id }, admin)).errors?.[0].extensions.code).toBe(
      "NOT_FOUND",
    );
    expect((await t.gql(mutation, { p: p.provider.id, c: "abc" }, admin)).errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { clientId: expect.any(String) },
    });
    expect((await t.gql(mutation, { p: p.provider.id, c: p.client.id }, provider)).errors?.[0].extensions.code).toBe(
      "FORBIDDEN",
    );
  });

  it("users() shows a client only themself and their providers; node(id) resolves users", async () => {
    const result = await t.gql(`{ users { id } me { id } }`, {}, client);
    expect(result.data?.users.map((u: { id: string }) => u.id).sort()).toEqual(
      [String(p.provider.id), String(p.client.id)].sort(),
    );
    const node = await t.gql(
      `query($id: ID!) { node(id: $id) { __typename id ... on User { username } } }`,
      { id: p.provider.id },
      client,
    );
    expect(node.data?.node).toEqual({ __typename: "User", id: String(p.provider.id), username: p.provider.username });
    const other = await makePractice(t.database);
    expect(
      (await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: other.admin.id }, admin)).data?.node,
    ).toBeNull();
  });

  it("filters users by role and search", async () => {
    const result = await t.gql(
      `query($s: String) { users(role: PROVIDER, search: $s) { username } }`,
      { s: p.provider.username.slice(0, 8) },
      admin,
    );
    expect(result.data?.users.map((u: { username: string }) => u.username)).toContain(p.provider.username);
    expect(result.data?.users.every((u: { username: string }) => u.username !== p.client.username)).toBe(true);
  });
});

describe("scalars", () => {
  const bad = (scalar: { parseValue: (v: unknown) => unknown }, value: unknown) => () => scalar.parseValue(value);
  it("reject what is not a real value, naming the type", () => {
    expect(bad(LocalTimeScalar, "25:00")).toThrow(/LocalTime must be a 24-hour time HH:MM/);
    expect(bad(LocalTimeScalar, "9:00")).toThrow(/LocalTime/);
    expect(bad(DateScalar, "2026-02-30")).toThrow(/Date must be a calendar date/);
    expect(bad(TimeZoneScalar, "Europe/Atlantis")).toThrow(/IANA time zone/);
    expect(bad(DateTimeScalar, "2026-03-09T13:00:00")).toThrow(/offset/);
    expect(bad(DateTimeScalar, 12)).toThrow(/DateTime/);
  });
  it("accept and normalise good values", () => {
    expect(LocalTimeScalar.parseValue("23:59")).toBe("23:59");
    expect(DateScalar.parseValue("2028-02-29")).toBe("2028-02-29");
    expect(TimeZoneScalar.parseValue("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect((DateTimeScalar.parseValue("2026-03-09T09:00:00-04:00") as Date).toISOString()).toBe(
      "2026-03-09T13:00:00.000Z",
    );
  });
});
