import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowsOf, type Database, type Tx } from "../../src/db/client.js";
import { items } from "../../src/db/schema/index.js";
import { RequestScope } from "../../src/db/scope.js";
import { autoCommitRunner } from "../../src/http/request-context.js";
import { engine, openTestDatabase } from "../helpers/db.js";
import { asTenant, makePractice } from "../helpers/factories.js";

let database: Database;
let url: string | undefined;
let p: Awaited<ReturnType<typeof makePractice>>;

beforeAll(async () => {
  ({ database, url } = await openTestDatabase());
  p = await makePractice(database);
});
afterAll(() => database.close());

let n = 0;
const insertItem = (tx: Tx, name = `item-${++n}`) =>
  tx
    .insert(items)
    .values({ tenantId: p.tenant.id, name })
    .returning()
    .then(([row]) => row.name);
const itemNames = async () =>
  (await asTenant(database, p.tenant.id, (tx) => tx.select({ name: items.name }).from(items))).map((r) => r.name);
const scope = () => new RequestScope(database, p.tenant.id);

describe(`the request transaction (${engine})`, () => {
  it("sends nothing until the first statement; a scope that ran nothing ends without a word to the database", async () => {
    const statements = database.statements;
    const transactions = database.transactions;
    const s = scope();
    await s.outside(async () => {});
    await s.finish(true);
    expect([database.statements - statements, database.transactions - transactions]).toEqual([0, 0]);
  });

  it("one read costs the settings and the read, in one transaction, as the app role in the tenant", async () => {
    const s = scope();
    const statements = database.statements;
    const transactions = database.transactions;
    const [settings] = await s.run(async (tx) =>
      rowsOf<{ tenant: string; role: string }>(
        await tx.execute(sql`select current_setting('app.tenant_id') as tenant, current_user as role`),
      ),
    );
    await s.finish(true);
    expect(settings).toEqual({ tenant: String(p.tenant.id), role: "sessiongraph_app" });
    expect([database.statements - statements, database.transactions - transactions]).toEqual([2, 1]);
  });

  it("atomic(): a failed savepoint is undone and the request's other work commits", async () => {
    const s = scope();
    const kept = await s.run((tx) => insertItem(tx));
    const undone = `undone-${++n}`;
    await expect(
      s.atomic(async (tx) => {
        await insertItem(tx, undone);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    // A statement failing inside a savepoint (a unique violation, caught there) undoes only the savepoint.
    const sku = `sku-${++n}`;
    await s.run((tx) => tx.insert(items).values({ tenantId: p.tenant.id, name: "first", sku }));
    await expect(
      s.atomic((tx) => tx.insert(items).values({ tenantId: p.tenant.id, name: "second", sku })),
    ).rejects.toMatchObject({ cause: { code: "23505" } });
    const after = await s.run((tx) => insertItem(tx));
    await s.finish(true);
    const names = await itemNames();
    expect(names).toEqual(expect.arrayContaining([kept, after, "first"]));
    expect(names).not.toContain(undone);
    expect(names).not.toContain("second");
  });

  it("a statement that failed outside a savepoint dooms the transaction: finish(true) rejects and nothing is saved", async () => {
    const s = scope();
    const lost = await s.run((tx) => insertItem(tx));
    await expect(s.run((tx) => tx.execute(sql`select 1 / 0`))).rejects.toMatchObject({ cause: { code: "22012" } });
    await expect(s.finish(true)).rejects.toBeDefined();
    expect(await itemNames()).not.toContain(lost);
  });

  it("afterCommit(): after finish(true) or outside()'s commit, never after a rollback", async () => {
    const order: string[] = [];
    const committed = scope();
    await committed.run(async (tx) => {
      await insertItem(tx);
      committed.afterCommit(() => order.push("first request"));
    });
    expect(order).toEqual([]);
    await committed.outside(async () => order.push("outside"));
    expect(order).toEqual(["first request", "outside"]);
    await committed.run(async (tx) => {
      await insertItem(tx);
      committed.afterCommit(() => order.push("after outside"));
    });
    await committed.finish(true);
    expect(order).toEqual(["first request", "outside", "after outside"]);

    const rolledBack = scope();
    await rolledBack.run(async (tx) => {
      await insertItem(tx);
      rolledBack.afterCommit(() => order.push("rolled back"));
    });
    await rolledBack.finish(false);
    expect(order).toEqual(["first request", "outside", "after outside"]);
  });

  it("afterCommit() on the subscriptions' runner: after the run's own commit, or at once between runs", async () => {
    const runner = autoCommitRunner(database, p.tenant.id);
    const order: string[] = [];
    runner.afterCommit(() => order.push("between runs"));
    expect(order).toEqual(["between runs"]);
    await runner.run(async (tx) => {
      await insertItem(tx);
      runner.afterCommit(() => order.push("committed"));
      expect(order).toEqual(["between runs"]);
    });
    expect(order).toEqual(["between runs", "committed"]);
    await expect(
      runner.run(async () => {
        runner.afterCommit(() => order.push("rolled back"));
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(order).toEqual(["between runs", "committed"]);
  });
});

describe.skipIf(engine !== "postgres")("a connection lost during a request (postgres)", () => {
  it("fails the request's statements (none is sent elsewhere), its commit, and leaves the pool working", async () => {
    const s = scope();
    const [{ pid }] = await s.run(async (tx) =>
      rowsOf<{ pid: number }>(await tx.execute(sql`select pg_backend_pid() as pid`)),
    );
    const lost = await s.run((tx) => insertItem(tx));
    const owner = postgres(url!, { max: 1, onnotice: () => {} });
    try {
      await owner`select pg_terminate_backend(${pid}::int, 5000)`;
    } finally {
      await owner.end();
    }
    // Once the client has seen the close, keep the pool busy: postgres.js reconnects the dropped
    // connection for other work, where a statement of the lost transaction must never go.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const others = Array.from({ length: 12 }, () => database.withTenant(p.tenant.id, (tx) => tx.select().from(items)));
    await expect(s.run((tx) => insertItem(tx, `after-the-drop-${++n}`))).rejects.toBeDefined();
    await expect(s.finish(true)).rejects.toBeDefined();
    await Promise.all(others);
    const names = await itemNames();
    expect(names).not.toContain(lost);
    expect(names.some((name) => name.startsWith("after-the-drop"))).toBe(false);
    // The next request gets a working transaction.
    const next = scope();
    expect(await next.run((tx) => insertItem(tx))).toMatch(/^item-/);
    await next.finish(true);
  });
});
