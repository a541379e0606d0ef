import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/client.js";
import type { UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makeUser } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import {
  BOOK,
  dataOf,
  errorOf,
  iso,
  NOW,
  practiceWithHours,
  SESSION_CHANGED,
} from "../subscriptions/subscriptions.fixture.js";

/**
 * The cached caller (ViewerCache): kept far longer here than by default, so that only the
 * USER_CHANGED event can explain a change being seen: at its commit on the instance that made
 * it, through the event stream on the other.
 */
const env = { VIEWER_CACHE_SECONDS: "600" };
let first: TestApp;
let second: TestApp;
let secondDatabase: Database | undefined;
let p: Awaited<ReturnType<typeof practiceWithHours>>;

beforeAll(async () => {
  first = await startTestApp({ now: () => NOW, env });
  // As in test/subscriptions/two-instances.test.ts: on PostgreSQL a pool of its own, on PGlite the same database.
  secondDatabase = first.databaseUrl ? await Database.open({ url: first.databaseUrl, poolMax: 4 }) : undefined;
  second = await startTestApp({
    now: () => NOW,
    env,
    database: secondDatabase ?? first.database,
    databaseUrl: first.databaseUrl,
  });
  p = await practiceWithHours(first);
});
afterAll(async () => {
  await second.close();
  await secondDatabase?.close();
  await first.close();
});

const ME = `{ me { id role timeZone } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id role status } }`;
const CREATE = `mutation { createUser(input: { role: CLIENT, username: "by-a-demoted-admin", name: "X" }) { id } }`;

/** A user whose token is already cached on both instances (their `me` answered by each). */
async function cachedOnBoth(role: UserRow["role"]) {
  const user = await makeUser(first.database, p.tenant, role);
  const token = await first.token(user, p.tenant);
  for (const instance of [first, second]) expect(dataOf(await instance.gql(ME, {}, token)).me.role).toBe(role);
  return { user, token };
}

const change = async (instance: TestApp, user: UserRow, input: Record<string, unknown>) =>
  dataOf(await instance.gql(UPDATE, { id: String(user.id), input }, p.tokens.admin));

async function refusedOn(instance: TestApp, token: string, message: RegExp) {
  const result = await instance.gql(ME, {}, token);
  return result.status === 401 && message.test(result.errors?.[0]?.message ?? "");
}

describe(`the cached caller (${engine})`, () => {
  it("once read, a caller's requests that read nothing else send no statement and begin no transaction", async () => {
    const { token } = await cachedOnBoth("PROVIDER");
    for (const query of [ME, `{ __typename }`]) {
      const statements = first.database.statements;
      const transactions = first.database.transactions;
      expect((await first.gql(query, {}, token)).errors).toBeUndefined();
      expect(first.database.statements - statements, query).toBe(0);
      expect(first.database.transactions - transactions, query).toBe(0);
    }
  });

  it("a demoted ADMIN is refused at once on this instance, and on the other as soon as it reads the event", async () => {
    const { user, token } = await cachedOnBoth("ADMIN");
    expect((await change(first, user, { role: "CLIENT" })).updateUser).toMatchObject({ role: "CLIENT" });
    expect(errorOf(await first.gql(CREATE, {}, token))).toMatchObject({ code: "FORBIDDEN" });
    expect(dataOf(await first.gql(ME, {}, token)).me.role).toBe("CLIENT");
    await eventually(
      async () => dataOf(await second.gql(ME, {}, token)).me.role === "CLIENT",
      "the other instance kept the ADMIN",
      2_000,
    );
    expect(errorOf(await second.gql(CREATE, {}, token))).toMatchObject({ code: "FORBIDDEN" });
  });

  it("a deactivated user is refused at once where the change was made, and soon on the other instance", async () => {
    const { user, token } = await cachedOnBoth("PROVIDER");
    await change(second, user, { status: "inactive" });
    expect(await refusedOn(second, token, /not active/)).toBe(true);
    await eventually(() => refusedOn(first, token, /not active/), "the other instance still let them in", 2_000);
  });

  it("a deleted user is refused on both instances", async () => {
    const { user, token } = await cachedOnBoth("CLIENT");
    expect((await change(first, user, { status: "deleted" })).updateUser).toMatchObject({ status: "deleted" });
    expect(await refusedOn(first, token, /Unknown user/)).toBe(true);
    await eventually(() => refusedOn(second, token, /Unknown user/), "the other instance still let them in", 2_000);
    // Deleted is for good: there is no such user to change any more.
    expect(
      errorOf(await first.gql(UPDATE, { id: String(user.id), input: { status: "active" } }, p.tokens.admin)),
    ).toMatchObject({ code: "NOT_FOUND" });
  });

  it("a provider's own settings change (time zone) is seen by their next request", async () => {
    const { token } = await cachedOnBoth("PROVIDER");
    dataOf(
      await first.gql(
        `mutation { updateProviderSchedulingSettings(timeZone: "Europe/Paris") { providerId } }`,
        {},
        token,
      ),
    );
    expect(dataOf(await first.gql(ME, {}, token)).me.timeZone).toBe("Europe/Paris");
    await eventually(
      async () => dataOf(await second.gql(ME, {}, token)).me.timeZone === "Europe/Paris",
      "the other instance kept the old zone",
      2_000,
    );
  });

  it("only an ADMIN changes users, never their own role or status, and only to a known status", async () => {
    const { user } = await cachedOnBoth("CLIENT");
    expect(
      errorOf(await first.gql(UPDATE, { id: String(user.id), input: { status: "inactive" } }, p.tokens.provider)),
    ).toMatchObject({ code: "FORBIDDEN" });
    expect(
      errorOf(await first.gql(UPDATE, { id: String(p.admin.id), input: { role: "CLIENT" } }, p.tokens.admin)),
    ).toMatchObject({ code: "FORBIDDEN" });
    expect(
      errorOf(await first.gql(UPDATE, { id: String(user.id), input: { status: "away" } }, p.tokens.admin)),
    ).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(dataOf(await first.gql(ME, {}, await first.token(user, p.tenant))).me.role).toBe("CLIENT");
  });

  it("subscribers never receive a user change: the first event an admin's sessionChanged gets is the booking after it", async () => {
    const s = subscribe(first.url, p.tokens.admin, SESSION_CHANGED);
    await eventually(() => first.app.deps.events.subscriberCount === 1, "the subscription never registered");
    const { user } = await cachedOnBoth("CLIENT");
    await change(second, user, { role: "PROVIDER" });
    const booked = dataOf(
      await second.gql(
        BOOK,
        { input: { clientId: String(p.client.id), startsAt: iso(15), durationMinutes: 60 } },
        p.tokens.provider,
      ),
    );
    const received = await s.nth(1);
    expect(received.data!.sessionChanged).toMatchObject({ type: "BOOKED", session: { id: booked.bookSession.id } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.received).toHaveLength(1);
    await s.dispose();
  });
});
