import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, slotHolds } from "../../src/db/schema/index.js";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant } from "../helpers/factories.js";
import { at, BOOK, HOLD, holdsPractice, iso } from "./holds.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof holdsPractice>>["p"];
let tokens: Awaited<ReturnType<typeof holdsPractice>>["tokens"];

beforeAll(async () => ({ t, p, tokens } = await holdsPractice()));
afterAll(() => t.close());

const hold = (startsAt: string, token = tokens.provider) =>
  t.gql(HOLD, { input: { providerId: String(p.provider.id), startsAt, durationMinutes: 60 } }, token);
const book = (startsAt: string) =>
  t.gql(
    BOOK,
    { input: { providerId: String(p.provider.id), clientId: String(p.client.id), startsAt, durationMinutes: 60 } },
    tokens.admin,
  );

/** The provider's holds and active sessions overlapping [from, to), as stored. */
async function takers(from: Date, to: Date) {
  return asTenant(t.database, p.tenant.id, async (tx) => {
    const overlap = <T extends typeof sessions | typeof slotHolds>(table: T) =>
      and(eq(table.providerId, p.provider.id), eq(table.tenantId, p.tenant.id));
    const holds = (await tx.select().from(slotHolds).where(overlap(slotHolds))).filter(
      (h) => h.startsAt < to && h.endsAt > from,
    );
    const booked = (await tx.select().from(sessions).where(overlap(sessions))).filter(
      (s) => s.startsAt < to && s.endsAt > from && ["SCHEDULED", "CONFIRMED"].includes(s.status),
    );
    return { holds, booked };
  });
}

describe(`holds under concurrency (${engine})`, () => {
  it("10 concurrent holdSlot on overlapping times: exactly one hold, 9 CONFLICT SLOT_HELD", async () => {
    // Starts 5 minutes apart over 60 minutes: every pair overlaps.
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => hold(iso(15, i * 5, 8))));
    const won = results.filter((r) => !r.errors);
    const lost = results.filter((r) => r.errors);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const r of lost) expect(r.errors![0].extensions).toMatchObject({ code: "CONFLICT", reason: "SLOT_HELD" });
    const { holds } = await takers(at(15, 0, 8), at(17, 0, 8));
    expect(holds.map((h) => String(h.id))).toEqual([won[0].data!.holdSlot.id]);
  });

  it("holdSlot racing bookSession for the same time, 6 rounds: exactly one winner each round", async () => {
    const wins = { hold: 0, book: 0 };
    for (let round = 0; round < 6; round++) {
      const start = at(13 + round, 0, 9);
      const end = at(14 + round, 0, 9);
      // Alternate who is sent first.
      const [held, booked] =
        round % 2
          ? await Promise.all([hold(start.toISOString()), book(start.toISOString())])
          : await Promise.all([book(start.toISOString()), hold(start.toISOString())]).then(([b, h]) => [h, b]);
      const winners = [held, booked].filter((r) => !r.errors);
      expect(winners, JSON.stringify([held, booked])).toHaveLength(1);
      const loser = [held, booked].find((r) => r.errors)!;
      expect(loser.errors![0].extensions.code).toBe("CONFLICT");
      expect(["SLOT_HELD", "SESSION_OVERLAP"]).toContain(loser.errors![0].extensions.reason);
      if (!held.errors) wins.hold++;
      else wins.book++;
      const { holds, booked: rows } = await takers(start, end);
      expect(holds.length + rows.length).toBe(1);
    }
    expect(wins.hold + wins.book).toBe(6);
  });

  it("two clients racing to hold and book the same slot: one holds, the holder's booking wins, nobody double-books", async () => {
    const start = iso(15, 0, 10);
    const [first, second] = await Promise.all([hold(start, tokens.client), hold(start, tokens.admin)]);
    const winner = [first, second].filter((r) => !r.errors);
    expect(winner).toHaveLength(1);
    const holdId = winner[0].data!.holdSlot.id;
    const holderToken = !first.errors ? tokens.client : tokens.admin;
    const throughHold = t.gql(
      BOOK,
      {
        input: {
          providerId: String(p.provider.id),
          clientId: String(p.client.id),
          startsAt: start,
          durationMinutes: 60,
          holdId,
        },
      },
      holderToken,
    );
    const [mine, intruder] = await Promise.all([throughHold, book(start)]);
    expect(mine.errors).toBeUndefined();
    expect(intruder.errors![0].extensions).toMatchObject({ code: "CONFLICT" });
    const { holds, booked } = await takers(at(15, 0, 10), at(16, 0, 10));
    expect(holds).toHaveLength(0);
    expect(booked.map((s) => String(s.id))).toEqual([mine.data!.bookSession.id]);
  });
});
