import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { BOOK, dataOf, errorOf, iso, NOW, practiceWithHours, SLOTS_CHANGED } from "./subscriptions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof practiceWithHours>>;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await practiceWithHours(t);
});
afterAll(() => t.close());

type Change = {
  slotsChanged: {
    providerId: string;
    dates: string[];
    reason: string | null;
    cursor: string;
    days: Array<{ date: string; slots: Array<{ startsAt: string; availableDurations: number[] }> }>;
  };
};

/** A subscriber whose listener is registered on the server (so nothing committed after this is missed). */
async function watching(variables: Record<string, unknown>, token = p.tokens.client) {
  await eventually(() => t.app.deps.events.subscriberCount === 0, "an earlier subscription was not released");
  const s = subscribe<Change>(t.url, token, SLOTS_CHANGED, { providerId: String(p.provider.id), ...variables });
  await eventually(() => t.app.deps.events.subscriberCount === 1, "the subscription never registered");
  return s;
}

describe(`slotsChanged (${engine})`, () => {
  it("a committed booking yields the touched date with its recomputed slots; a failed one yields nothing", async () => {
    const s = await watching({ from: "2030-01-07", to: "2030-01-13" });
    const booked = dataOf(
      await t.gql(
        BOOK,
        { input: { clientId: String(p.client.id), startsAt: iso(15), durationMinutes: 60 } },
        p.tokens.provider,
      ),
    );
    const first = (await s.nth(1)).data!.slotsChanged;
    expect(first).toMatchObject({ providerId: String(p.provider.id), dates: ["2030-01-07"], reason: "BOOKED" });
    expect(first.cursor).toMatch(/^\d+$/);
    const monday = first.days[0];
    expect(monday.date).toBe("2030-01-07");
    const starts = monday.slots.map((slot) => slot.startsAt);
    expect(starts).not.toContain(iso(15));
    expect(starts).not.toContain(iso(15, 30));
    // 09:00 local (14:00Z) now only fits up to the booked 10:00.
    expect(monday.slots.find((slot) => slot.startsAt === iso(14))!.availableDurations).toEqual([30, 60]);

    // A conflicting booking rolls back: no event. The cancellation that follows is the next thing delivered.
    expect(
      errorOf(
        await t.gql(
          BOOK,
          { input: { clientId: String(p.client.id), startsAt: iso(15), durationMinutes: 30 } },
          p.tokens.provider,
        ),
      ).code,
    ).toBe("CONFLICT");
    dataOf(
      await t.gql(
        `mutation($id: ID!) { cancelSession(id: $id, reason: "ill") { id } }`,
        { id: booked.bookSession.id },
        p.tokens.provider,
      ),
    );
    const second = (await s.nth(2)).data!.slotsChanged;
    expect(second.reason).toBe("CANCELLED");
    expect(second.days[0].slots.map((slot) => slot.startsAt)).toContain(iso(15));
    expect(Number(second.cursor)).toBeGreaterThan(Number(first.cursor));
    expect(s.received).toHaveLength(2);
    await s.dispose();
  });

  it("subscribers of one result share its JSON: each receives it whole under its own id; another document gets its own", async () => {
    const variables = { providerId: String(p.provider.id), from: "2030-01-07", to: "2030-01-13" };
    await eventually(() => t.app.deps.events.subscriberCount === 0, "an earlier subscription was not released");
    const same = [p.tokens.client, p.tokens.otherClient].map((token) =>
      subscribe<Change>(t.url, token, SLOTS_CHANGED, variables),
    );
    const datesOnly = subscribe<{ slotsChanged: { dates: string[] } }>(
      t.url,
      p.tokens.client,
      `subscription($providerId: ID!, $from: Date!, $to: Date) { slotsChanged(providerId: $providerId, from: $from, to: $to) { dates } }`,
      variables,
    );
    await eventually(() => t.app.deps.events.subscriberCount === 3, "the subscriptions never registered");
    const booked = dataOf(
      await t.gql(
        BOOK,
        { input: { clientId: String(p.client.id), startsAt: iso(16), durationMinutes: 30 } },
        p.tokens.provider,
      ),
    );
    const [first, second] = await Promise.all(same.map(async (s) => (await s.nth(1)).data!.slotsChanged));
    expect(first).toMatchObject({ dates: ["2030-01-07"], reason: "BOOKED" });
    expect(first.days[0].slots.map((slot) => slot.startsAt)).not.toContain(iso(16));
    expect(second).toEqual(first);
    expect((await datesOnly.nth(1)).data).toEqual({ slotsChanged: { dates: ["2030-01-07"] } });
    dataOf(
      await t.gql(
        `mutation($id: ID!) { cancelSession(id: $id, reason: "moved") { id } }`,
        { id: booked.bookSession.id },
        p.tokens.provider,
      ),
    );
    await Promise.all([...same, datesOnly].map((s) => s.nth(2)));
    await Promise.all([...same, datesOnly].map((s) => s.dispose()));
  });

  it("availability changes count: an override inside the range is delivered, one outside it is not", async () => {
    const s = await watching({ from: "2030-01-07", to: "2030-01-07" });
    dataOf(
      await t.gql(
        `mutation { createAvailabilityOverride(input: { date: "2030-02-04", isAvailable: false }) { id } }`,
        {},
        p.tokens.provider,
      ),
    );
    dataOf(
      await t.gql(
        `mutation { createAvailabilityOverride(input: { date: "2030-01-07", isAvailable: false, reason: "training" }) { id } }`,
        {},
        p.tokens.provider,
      ),
    );
    const change = (await s.nth(1)).data!.slotsChanged;
    expect(change).toMatchObject({ dates: ["2030-01-07"], reason: null, days: [{ date: "2030-01-07", slots: [] }] });
    expect(s.received).toHaveLength(1);
    await s.dispose();
  });

  it("bad arguments are BAD_USER_INPUT or NOT_FOUND, never a server error", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ from: "2030-01-01", to: "2030-04-01" }, "BAD_USER_INPUT"],
      [{ from: "2030-02-30" }, "BAD_USER_INPUT"],
      [{ from: "2030-01-07", to: "2030-01-01" }, "BAD_USER_INPUT"],
      [{ from: "2030-01-07", after: "not-a-cursor" }, "BAD_USER_INPUT"],
      [{ from: "2030-01-07", providerId: "999999999" }, "NOT_FOUND"],
      [{ from: "2030-01-07", providerId: String(p.client.id) }, "NOT_FOUND"],
    ];
    for (const [variables, code] of cases) {
      const s = subscribe<Change>(t.url, p.tokens.client, SLOTS_CHANGED, {
        providerId: String(p.provider.id),
        ...variables,
      });
      const result = await s.nth(1);
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe(code);
      await s.dispose();
    }
  });

  it("closing sockets releases every listener", async () => {
    const idle = t.app.deps.events.subscriberCount;
    const many = await Promise.all(
      Array.from({ length: 5 }, () =>
        subscribe<Change>(t.url, p.tokens.client, SLOTS_CHANGED, {
          providerId: String(p.provider.id),
          from: "2030-01-07",
        }),
      ),
    );
    await eventually(() => t.app.deps.events.subscriberCount === idle + 5, "5 subscriptions should register");
    await Promise.all(many.map((s) => s.dispose()));
    await eventually(() => t.app.deps.events.subscriberCount === idle, "every listener should be released");
  });
});
