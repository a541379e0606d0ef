import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { SLOTS_CHANGED } from "../subscriptions/subscriptions.fixture.js";
import { seriesPractice, BOOK_SERIES, dataOf, occurrencesOf, SERIES, seriesRows } from "./series.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof seriesPractice>>["p"];
let provider: string, client: string;

beforeAll(async () => ({ t, p, provider, client } = await seriesPractice()));
afterAll(() => t.close());

const book = (input: Record<string, unknown>, token = provider) =>
  t.gql(
    BOOK_SERIES,
    { input: { providerId: String(p.provider.id), clientId: String(p.client.id), durationMinutes: 60, ...input } },
    token,
  );

const CANCEL = `mutation($id: ID!, $reason: String, $from: DateTime) { cancelSeries(id: $id, reason: $reason, from: $from) { ${SERIES} } }`;
const STATUS = `query($id: ID!) { series(id: $id) { status nextSession { id } } }`;

describe(`cancelSeries and the series' status (${engine})`, () => {
  it("cancels from `from` on, ends the rule there; earlier occurrences stay; status follows the occurrences", async () => {
    const { bookSeries } = dataOf(await book({ startsAt: "2030-02-04T14:00:00Z", recurrence: "FREQ=WEEKLY;COUNT=6" }));
    const id = bookSeries.series.id;
    const from = "2030-02-25T00:00:00Z";
    const { cancelSeries } = dataOf(await t.gql(CANCEL, { id, reason: "Moved away", from }, client));
    expect(cancelSeries.recurrence).toBe("FREQ=WEEKLY;UNTIL=20300224T235959Z");
    expect(cancelSeries.status).toBe("ACTIVE");
    const rows = await occurrencesOf(t, p.tenant, Number(id));
    expect(rows.map((r) => r.status)).toEqual([
      "SCHEDULED",
      "SCHEDULED",
      "SCHEDULED",
      "CANCELLED",
      "CANCELLED",
      "CANCELLED",
    ]);
    expect(rows[3]).toMatchObject({ cancelledBy: p.client.id, cancellationReason: "Moved away" });

    // The rest: CANCELLED only when every occurrence is.
    const all = dataOf(await t.gql(CANCEL, { id, from: "2030-01-01T00:00:00Z" }, provider)).cancelSeries;
    expect(all.status).toBe("CANCELLED");
    expect(all.nextSession).toBeNull();
  });

  it("ENDED once no occurrence is upcoming and active, with history kept; another client's series is NOT_FOUND", async () => {
    // Booked in the past directly is impossible: end it by completing what was booked, as the clock stands.
    const { bookSeries } = dataOf(await book({ startsAt: "2030-01-07T14:00:00Z", recurrence: "FREQ=DAILY;COUNT=2" }));
    const id = bookSeries.series.id;
    expect(dataOf(await t.gql(STATUS, { id }, provider)).series.status).toBe("ACTIVE");
    for (const s of bookSeries.sessions)
      dataOf(await t.gql(`mutation($id: ID!) { completeSession(id: $id) { id } }`, { id: s.id }, provider));
    expect(dataOf(await t.gql(STATUS, { id }, provider)).series).toEqual({ status: "ENDED", nextSession: null });
    // Cancelling a series whose occurrences are history changes none of them.
    dataOf(await t.gql(CANCEL, { id, from: "2030-01-01T00:00:00Z" }, provider));
    expect((await occurrencesOf(t, p.tenant, Number(id))).map((r) => r.status)).toEqual(["COMPLETED", "COMPLETED"]);

    const other = await t.token(p.otherClient, p.tenant);
    const hidden = await t.gql(CANCEL, { id }, other);
    expect(hidden.errors?.[0].extensions).toMatchObject({ code: "NOT_FOUND" });
    expect((await seriesRows(t, p.tenant)).find((s) => String(s.id) === id)!.recurrence).toContain("UNTIL=");
  });
});

describe(`a series booking and slotsChanged (${engine})`, () => {
  it("a subscriber hears every touched date of the series once, in one delivery", async () => {
    await eventually(() => t.app.deps.events.subscriberCount === 0, "an earlier subscription was not released");
    const s = subscribe<{ slotsChanged: { dates: string[]; reason: string; days: { date: string }[] } }>(
      t.url,
      client,
      SLOTS_CHANGED,
      { providerId: String(p.provider.id), from: "2030-03-01", to: "2030-04-30" },
    );
    await eventually(() => t.app.deps.events.subscriberCount === 1, "the subscription never registered");
    const { bookSeries } = dataOf(await book({ startsAt: "2030-03-04T14:00:00Z", recurrence: "FREQ=WEEKLY;COUNT=4" }));
    expect(bookSeries.sessions).toHaveLength(4);
    const first = (await s.nth(1)).data!.slotsChanged;
    expect(first.reason).toBe("BOOKED");
    for (const date of ["2030-03-04", "2030-03-11", "2030-03-18", "2030-03-25"]) expect(first.dates).toContain(date);
    expect(first.days.map((d) => d.date)).toEqual(first.dates);
    // A later single booking is the next delivery: the other occurrences' events delivered nothing again.
    dataOf(
      await t.gql(
        `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`,
        { input: { clientId: String(p.client.id), startsAt: "2030-04-08T14:00:00Z", durationMinutes: 30 } },
        provider,
      ),
    );
    const second = (await s.nth(2)).data!.slotsChanged;
    expect(second.dates).toContain("2030-04-08");
    expect(second.dates).not.toContain("2030-03-11");
    expect(s.received).toHaveLength(2);
    await s.dispose();
  });
});
