import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { clientsInCare, CREATE, dataOf, GET, groupsPractice, JOIN, seatsOf } from "./groups.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof groupsPractice>>["p"];
let provider: string, admin: string;

beforeAll(async () => ({ t, p, provider, admin } = await groupsPractice()));
afterAll(() => t.close());

const SEATS = 8;

describe(`the last seat under concurrency (${engine})`, () => {
  it(`${SEATS + 10} concurrent joins of ${SEATS} seats by ${SEATS + 10} different clients: exactly ${SEATS} seats, 10 SESSION_FULL`, async () => {
    const { createGroupSession: g } = dataOf(
      await t.gql(
        CREATE,
        { input: { startsAt: "2030-01-09T15:00:00Z", durationMinutes: 90, capacity: SEATS } },
        provider,
      ),
    );
    const clients = await clientsInCare(t, p.tenant, p.provider, SEATS + 10);
    // Real concurrent HTTP requests, half by the provider, half by an admin, each for its own client.
    const results = await Promise.all(
      clients.map((c, i) => t.gql(JOIN, { id: g.id, clientId: String(c.user.id) }, i % 2 ? provider : admin)),
    );
    const won = results.filter((r) => !r.errors);
    const refused = results.filter((r) => r.errors);
    expect(won).toHaveLength(SEATS);
    expect(refused.map((r) => r.errors![0].extensions)).toEqual(
      Array(10).fill(expect.objectContaining({ code: "CONFLICT", reason: "SESSION_FULL" })),
    );
    const seats = await seatsOf(t, p.tenant, g.id);
    expect(seats).toHaveLength(SEATS);
    expect(new Set(seats.map((s) => s.clientId)).size).toBe(SEATS);
    expect(dataOf(await t.gql(GET, { id: g.id }, provider)).groupSession).toMatchObject({
      seatsTaken: SEATS,
      seatsLeft: 0,
    });
  });

  it("clients joining for themselves, at once: exactly the seats left, the rest SESSION_FULL (the seats taken do not make the provider busy for a join)", async () => {
    const { createGroupSession: g } = dataOf(
      await t.gql(CREATE, { input: { startsAt: "2030-01-11T15:00:00Z", durationMinutes: 60, capacity: 4 } }, provider),
    );
    const clients = await clientsInCare(t, p.tenant, p.provider, 9);
    // One seat is taken first, so every client's availability check meets the group's other seats.
    expect(dataOf(await t.gql(JOIN, { id: g.id, clientId: String(clients[0].user.id) }, provider))).toBeTruthy();
    const results = await Promise.all(clients.slice(1).map((c) => t.gql(JOIN, { id: g.id }, c.token)));
    expect(results.filter((r) => !r.errors)).toHaveLength(3);
    expect(results.filter((r) => r.errors).map((r) => r.errors![0].extensions.reason)).toEqual(
      Array(5).fill("SESSION_FULL"),
    );
    expect(await seatsOf(t, p.tenant, g.id)).toHaveLength(4);
  });

  it("one client joining twice at once: one seat, the other ALREADY_JOINED", async () => {
    const { createGroupSession: g } = dataOf(
      await t.gql(CREATE, { input: { startsAt: "2030-01-10T15:00:00Z", durationMinutes: 60, capacity: 5 } }, provider),
    );
    const results = await Promise.all(
      [provider, admin, provider, admin].map((token) =>
        t.gql(JOIN, { id: g.id, clientId: String(p.client.id) }, token),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((r) => r.errors))
      expect(r.errors![0].extensions).toMatchObject({ code: "CONFLICT", reason: "ALREADY_JOINED" });
    expect(await seatsOf(t, p.tenant, g.id)).toHaveLength(1);
  });
});
