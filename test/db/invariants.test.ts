import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgErrorOf, type Database } from "../../src/db/client.js";
import { availabilityRules, sessions, treatmentDetails, users } from "../../src/db/schema/index.js";
import { openTestDatabase, engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession } from "../helpers/factories.js";

let database: Database;
let a: Awaited<ReturnType<typeof makePractice>>;
let b: Awaited<ReturnType<typeof makePractice>>;
const at = (h: number, m = 0) => new Date(Date.UTC(2030, 0, 7, h, m));

beforeAll(async () => {
  ({ database } = await openTestDatabase());
  a = await makePractice(database);
  b = await makePractice(database);
});
afterAll(() => database.close());

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return pgErrorOf(err)?.code;
  }
}

describe(`row-level security (${engine})`, () => {
  it("as the app role with no tenant set, every tenant-owned table is empty", async () => {
    const counts = await database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', 'sessiongraph_app', true)`);
      return Promise.all([tx.select().from(users), tx.select().from(sessions)]);
    });
    expect(counts.map((rows) => rows.length)).toEqual([0, 0]);
    // The owner sees the rows, so the emptiness above is RLS, not an empty table.
    expect((await database.db.select().from(users)).length).toBeGreaterThanOrEqual(8);
  });

  it("one tenant's rows and writes are invisible to another", async () => {
    await makeSession(database, a.tenant, {
      providerId: a.provider.id,
      clientId: a.client.id,
      startsAt: at(9),
      endsAt: at(10),
    });
    const seenByB = await database.withTenant(b.tenant.id, (tx) => tx.select().from(sessions));
    const seenByA = await database.withTenant(a.tenant.id, (tx) => tx.select().from(sessions));
    expect(seenByB).toHaveLength(0);
    expect(seenByA.map((s) => s.tenantId)).toEqual([a.tenant.id]);
    const usersOfB = await database.withTenant(b.tenant.id, (tx) => tx.select().from(users));
    expect(usersOfB.every((u) => u.tenantId === b.tenant.id)).toBe(true);
  });

  it("a tenant cannot write rows of another tenant, nor update them", async () => {
    const code = await codeOf(
      database.withTenant(b.tenant.id, (tx) =>
        tx
          .insert(users)
          .values({ tenantId: a.tenant.id, role: "CLIENT", username: "intruder", name: "I", timeZone: "UTC" }),
      ),
    );
    expect(code).toBe("42501"); // new row violates row-level security policy
    const updated = await database.withTenant(b.tenant.id, (tx) =>
      tx
        .update(users)
        .set({ name: "hacked" })
        .where(sql`${users.tenantId} = ${a.tenant.id}`)
        .returning(),
    );
    expect(updated).toHaveLength(0);
    const names = await asTenant(database, a.tenant.id, (tx) => tx.select({ name: users.name }).from(users));
    expect(names.some((n) => n.name === "hacked")).toBe(false);
  });

  it("the app role is not the owner and cannot bypass RLS", async () => {
    const [row] = await database.db
      .execute(sql`select rolbypassrls, rolsuper from pg_roles where rolname = 'sessiongraph_app'`)
      .then(
        (r) =>
          (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as { rolbypassrls: boolean; rolsuper: boolean }[],
      );
    expect(row).toEqual({ rolbypassrls: false, rolsuper: false });
  });
});

describe(`invariants the database enforces (${engine})`, () => {
  it("no two overlapping active sessions for one provider; back-to-back and cancelled ones are fine", async () => {
    const base = { providerId: a.provider.id, clientId: a.otherClient.id };
    await makeSession(database, a.tenant, { ...base, startsAt: at(12), endsAt: at(13) });
    expect(
      await codeOf(
        makeSession(database, a.tenant, { ...base, clientId: a.client.id, startsAt: at(12, 30), endsAt: at(13, 30) }),
      ),
    ).toBe("23P01");
    await makeSession(database, a.tenant, { ...base, startsAt: at(13), endsAt: at(14) }); // back to back
    await makeSession(database, a.tenant, { ...base, startsAt: at(12, 15), endsAt: at(12, 45), status: "CANCELLED" });
  });

  it("no two overlapping active sessions for one client, even with different providers", async () => {
    const other = await makePractice(database);
    await makeSession(database, other.tenant, {
      providerId: other.provider.id,
      clientId: other.client.id,
      startsAt: at(15),
      endsAt: at(16),
    });
    const secondProvider = other.admin; // any user id of the tenant works for the constraint
    expect(
      await codeOf(
        makeSession(database, other.tenant, {
          providerId: secondProvider.id,
          clientId: other.client.id,
          startsAt: at(15, 30),
          endsAt: at(16, 30),
        }),
      ),
    ).toBe("23P01");
  });

  it("ends after starts, positive quantities, day of week 0-6, tenant-consistent foreign keys", async () => {
    expect(
      await codeOf(
        makeSession(database, a.tenant, {
          providerId: a.provider.id,
          clientId: a.client.id,
          startsAt: at(20),
          endsAt: at(20),
        }),
      ),
    ).toBe("23514");
    expect(
      await codeOf(
        asTenant(database, a.tenant.id, (tx) =>
          tx.insert(treatmentDetails).values({ tenantId: a.tenant.id, quantity: 0 }),
        ),
      ),
    ).toBe("23514");
    expect(
      await codeOf(
        asTenant(database, a.tenant.id, (tx) =>
          tx.insert(availabilityRules).values({
            tenantId: a.tenant.id,
            providerId: a.provider.id,
            dayOfWeek: 7,
            startTime: "09:00",
            endTime: "10:00",
          }),
        ),
      ),
    ).toBe("23514");
    // A session of tenant A cannot point at tenant B's client, even as the owner.
    expect(
      await codeOf(
        makeSession(database, a.tenant, {
          providerId: a.provider.id,
          clientId: b.client.id,
          startsAt: at(21),
          endsAt: at(22),
        }),
      ),
    ).toBe("23503");
  });
});
