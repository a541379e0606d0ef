/**
 * A group session takes its provider's time: availableSlots stops offering it, and slotsChanged
 * delivers its date when the group is created and again when it is cancelled (time back).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { SLOTS_CHANGED } from "../subscriptions/subscriptions.fixture.js";
import { iso } from "../sessions/sessions.fixture.js";
import { CANCEL, CREATE, dataOf, groupsPractice } from "./groups.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof groupsPractice>>["p"];
let provider: string, client: string;

beforeAll(async () => ({ t, p, provider, client } = await groupsPractice()));
afterAll(() => t.close());

type Change = {
  slotsChanged: { dates: string[]; reason: string | null; days: { date: string; slots: { startsAt: string }[] }[] };
};

describe(`a group's time in the slots (${engine})`, () => {
  it("created: slotsChanged delivers its date without its time; cancelled: the time is back", async () => {
    await eventually(() => t.app.deps.events.subscriberCount === 0, "an earlier subscription was not released");
    const s = subscribe<Change>(t.url, client, SLOTS_CHANGED, {
      providerId: String(p.provider.id),
      from: "2030-01-08",
      to: "2030-01-08",
    });
    await eventually(() => t.app.deps.events.subscriberCount === 1, "the subscription never registered");
    const startsOf = (c: Change) => c.slotsChanged.days[0].slots.map((slot) => slot.startsAt);
    const start = iso(15, 0, 8);

    const { createGroupSession: g } = dataOf(
      await t.gql(CREATE, { input: { startsAt: start, durationMinutes: 60, capacity: 6 } }, provider),
    );
    const created = (await s.nth(1)).data!;
    expect(created.slotsChanged).toMatchObject({ dates: ["2030-01-08"], reason: null });
    expect(startsOf(created)).not.toContain(start);
    expect(startsOf(created)).toContain(iso(16, 0, 8));

    dataOf(await t.gql(CANCEL, { id: g.id, reason: "Therapist ill" }, provider));
    const cancelled = (await s.nth(2)).data!;
    expect(cancelled.slotsChanged.dates).toEqual(["2030-01-08"]);
    expect(startsOf(cancelled)).toContain(start);
    await s.dispose();
  });
});
