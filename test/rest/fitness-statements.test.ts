/**
 * The fitness list page with include_client=true&include_trainer=true (the benchmarked request)
 * costs the same few SQL statements at 5 or 50 sessions a page: the page and its total in one
 * statement, every trainer and client of the page in one DataLoader batch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makeTenant, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";

let t: TestApp;
let admin: string;
let trainer: string;

/** 60 sessions over 5 trainers in different zones and 10 clients. */
beforeAll(async () => {
  t = await startTestApp({ now: () => new Date("2030-01-06T12:00:00Z") });
  const tenant = await makeTenant(t.database);
  const zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney"];
  const trainers: UserRow[] = [];
  const clients: UserRow[] = [];
  for (const timeZone of zones) trainers.push(await makeUser(t.database, tenant, "PROVIDER", { timeZone }));
  for (let i = 0; i < 10; i++) clients.push(await makeUser(t.database, tenant, "CLIENT"));
  await asTenant(t.database, tenant.id, (tx) =>
    tx.insert(sessions).values(
      Array.from({ length: 60 }, (_, i) => ({
        tenantId: tenant.id,
        providerId: trainers[i % 5].id,
        clientId: clients[i % 10].id,
        title: `S${i}`,
        type: "PERSONAL" as const,
        startsAt: new Date(Date.UTC(2030, 0, 7, i)),
        endsAt: new Date(Date.UTC(2030, 0, 7, i, 50)),
      })),
    ),
  );
  admin = await t.token(await makeUser(t.database, tenant, "ADMIN"), tenant);
  trainer = await t.token(trainers[0], tenant);
});
afterAll(() => t.close());

async function statementsFor(token: string, perPage: number, expected: number) {
  const before = t.database.statements;
  const { status, body } = await rest(
    t.url,
    "GET",
    `/api/v1/sessions?per_page=${perPage}&include_client=true&include_trainer=true`,
    { token },
  );
  const used = t.database.statements - before;
  expect(status).toBe(200);
  expect(body.data.sessions).toHaveLength(expected);
  for (const s of body.data.sessions) {
    expect(s.client).toMatchObject({ id: s.client_id, name: expect.any(String) });
    expect(s.trainer).toMatchObject({ id: s.trainer_id, username: expect.any(String) });
  }
  return used;
}

describe(`fitness list statements per request (${engine})`, () => {
  it("a page of 5 and a page of 50, with every client and trainer, cost the same 4 statements", async () => {
    // Warms the tenant directory's and the callers' caches.
    await rest(t.url, "GET", "/api/v1/sessions?per_page=1", { token: admin });
    await rest(t.url, "GET", "/api/v1/sessions?per_page=1", { token: trainer });
    const five = await statementsFor(admin, 5, 5);
    const fifty = await statementsFor(admin, 50, 50);
    // settings (1) + the page with its total (1) + the page's trainers and clients (1) + the one
    // audit entry of the request listing the sessions whose notes it returned (1)
    expect(five).toBe(4);
    expect(fifty).toBe(4);
    // A trainer's own page: the same, the trainer being the viewer already loaded.
    expect(await statementsFor(trainer, 12, 12)).toBe(4);
  });
});
