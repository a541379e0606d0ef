import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireHolds } from "../../src/modules/holds/index.js";
import { startSecondInstance, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { SLOTS_CHANGED } from "../subscriptions/subscriptions.fixture.js";
import {
  BOOK,
  dataOf,
  expire,
  expiryDueNow,
  HOLD,
  holdChanges,
  holdRows,
  holdsPractice,
  iso,
  RELEASE,
} from "./holds.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof holdsPractice>>["p"];
let tokens: Awaited<ReturnType<typeof holdsPractice>>["tokens"];

// Each hold's expiry is a job due at its expires_at: expiry is announced without anyone asking.
beforeAll(async () => ({ t, p, tokens } = await holdsPractice({ JOBS_POLL_INTERVAL_MS: "200" })));
afterAll(() => t.close());

const hold = async (startsAt: string, token = tokens.provider) =>
  dataOf(await t.gql(HOLD, { input: { providerId: String(p.provider.id), startsAt, durationMinutes: 60 } }, token))
    .holdSlot as { id: string };

type Change = {
  slotsChanged: { dates: string[]; reason: string | null; days: { date: string; slots: { startsAt: string }[] }[] };
};

describe(`hold expiry and slotsChanged (${engine})`, () => {
  it("slotsChanged delivers the dates of a hold placed, released, consumed and expired, with the slot gone or back", async () => {
    await eventually(() => t.app.deps.events.subscriberCount === 0, "an earlier subscription was not released");
    const s = subscribe<Change>(t.url, tokens.client, SLOTS_CHANGED, {
      providerId: String(p.provider.id),
      from: "2030-01-07",
      to: "2030-01-07",
    });
    await eventually(() => t.app.deps.events.subscriberCount === 1, "the subscription never registered");
    const startsOf = (c: Change) => c.slotsChanged.days[0].slots.map((slot) => slot.startsAt);

    const placed = await hold(iso(15));
    const first = (await s.nth(1)).data!;
    expect(first.slotsChanged).toMatchObject({ dates: ["2030-01-07"], reason: null });
    expect(startsOf(first)).not.toContain(iso(15));

    dataOf(await t.gql(RELEASE, { id: placed.id }, tokens.provider));
    const released = (await s.nth(2)).data!;
    expect(released.slotsChanged.dates).toEqual(["2030-01-07"]);
    expect(startsOf(released)).toContain(iso(15));

    // Consumed by its holder's booking: the hold's change and the booking, in the one transaction.
    const mine = await hold(iso(17), tokens.client);
    expect(startsOf((await s.nth(3)).data!)).not.toContain(iso(17));
    dataOf(
      await t.gql(
        BOOK,
        { input: { providerId: String(p.provider.id), startsAt: iso(17), durationMinutes: 60, holdId: mine.id } },
        tokens.client,
      ),
    );
    const consumed = [(await s.nth(4)).data!, (await s.nth(5)).data!];
    expect(consumed.map((c) => c.slotsChanged.reason).sort()).toEqual(["BOOKED", null].sort());
    for (const c of consumed) expect(c.slotsChanged.dates).toEqual(["2030-01-07"]);
    expect(startsOf(consumed[1])).not.toContain(iso(17));
    expect(await holdChanges(t, p.tenant, mine.id)).toEqual(["PLACED", "CONSUMED"]);

    // Expired: the hold's own expiry job removes it and announces it within a few seconds.
    const lapsing = await hold(iso(19));
    expect(startsOf((await s.nth(6)).data!)).not.toContain(iso(19));
    await expire(t, p.tenant, lapsing.id);
    await expiryDueNow(t, lapsing.id);
    const expired = (await s.nth(7, 5000)).data!;
    expect(expired.slotsChanged).toMatchObject({ dates: ["2030-01-07"], reason: null });
    expect(startsOf(expired)).toContain(iso(19));
    expect(await holdChanges(t, p.tenant, lapsing.id)).toEqual(["PLACED", "EXPIRED"]);
    expect((await holdRows(t, p.tenant)).find((h) => h.id === Number(lapsing.id))).toBeUndefined();
    expect(s.received).toHaveLength(7);
    await s.dispose();
  });
});

describe(`hold expiry runs racing (${engine})`, () => {
  it("two instances expiring a tenant's holds at once: every expired hold removed once, exactly one EXPIRED event each; live holds stay", async () => {
    // The holds' own expiry jobs are due minutes from now: only the runs below remove them, so they can be counted.
    const quiet = await holdsPractice();
    const second = await startSecondInstance(quiet.t);
    try {
      const holdOn = async (startsAt: string) =>
        dataOf(
          await quiet.t.gql(
            HOLD,
            { input: { providerId: String(quiet.p.provider.id), startsAt, durationMinutes: 60 } },
            quiet.tokens.provider,
          ),
        ).holdSlot.id as string;
      const ids: string[] = [];
      for (let day = 13; day <= 18; day++) ids.push(await holdOn(iso(15, 0, day)));
      const live = await holdOn(iso(15, 0, 19));
      for (const id of ids) await expire(quiet.t, quiet.p.tenant, id);
      const tenantId = quiet.p.tenant.id;
      const a = () => expireHolds(quiet.t.app.deps, tenantId);
      const b = () => expireHolds(second.app.deps, tenantId);
      const removed = await Promise.all([a(), b(), a(), b()]);
      expect(removed.reduce((x, y) => x + y, 0)).toBe(ids.length);
      for (const id of ids) expect(await holdChanges(quiet.t, quiet.p.tenant, id)).toEqual(["PLACED", "EXPIRED"]);
      expect((await holdRows(quiet.t, quiet.p.tenant)).map((h) => String(h.id))).toEqual([live]);
      expect(await a()).toBe(0);
    } finally {
      await second.close();
      await quiet.t.close();
    }
  });
});
