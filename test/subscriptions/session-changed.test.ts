import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { relate } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import { BOOK, dataOf, iso, NOW, practiceWithHours, SESSION_CHANGED } from "./subscriptions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof practiceWithHours>>;
let other: Awaited<ReturnType<typeof practiceWithHours>>;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await practiceWithHours(t);
  other = await practiceWithHours(t);
  await relate(t.database, p.tenant, p.provider, p.otherClient);
});
afterAll(() => t.close());

type Event = {
  sessionChanged: {
    id: string;
    type: string;
    cursor: string;
    session: { id: string; status: string; startsAt: string; providerNotes: string | null; client: { id: string } };
  };
};

async function watching(token: string, variables: Record<string, unknown> = {}) {
  const before = t.app.deps.events.subscriberCount;
  const s = subscribe<Event>(t.url, token, SESSION_CHANGED, variables);
  await eventually(() => t.app.deps.events.subscriberCount === before + 1, "the subscription never registered");
  return s;
}

let hour = 14;
/** Books the next free hour on Monday, as the given practice's provider, with provider notes. */
async function book(practice: typeof p, clientId: number) {
  const result = await t.gql(
    BOOK,
    { input: { clientId: String(clientId), startsAt: iso(hour++), durationMinutes: 30, providerNotes: "private" } },
    practice.tokens.provider,
  );
  return dataOf(result).bookSession as { id: string };
}

describe(`sessionChanged (${engine})`, () => {
  it("a client receives their own sessions' events only (provider notes hidden); an admin receives all; no other tenant's", async () => {
    const client = await watching(p.tokens.client);
    const admin = await watching(p.tokens.admin);
    const foreign = await book(other, other.client.id);
    const theirs = await book(p, p.otherClient.id);
    const mine = await book(p, p.client.id);

    const received = (await client.nth(1)).data!.sessionChanged;
    expect(received).toMatchObject({
      type: "BOOKED",
      session: { id: mine.id, status: "SCHEDULED", providerNotes: null, client: { id: String(p.client.id) } },
    });
    expect((await admin.nth(2)).data!.sessionChanged.session.id).toBe(mine.id);
    expect((await admin.nth(1)).data!.sessionChanged).toMatchObject({
      type: "BOOKED",
      session: { id: theirs.id, providerNotes: "private" },
    });
    // Give a stray delivery time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.received).toHaveLength(1);
    expect(admin.received.map((r) => r.data!.sessionChanged.session.id)).toEqual([theirs.id, mine.id]);
    expect(admin.received.map((r) => r.data!.sessionChanged.session.id)).not.toContain(foreign.id);
    await Promise.all([client.dispose(), admin.dispose()]);
  });

  it("a client may not follow another client's sessions (FORBIDDEN)", async () => {
    const s = subscribe<Event>(t.url, p.tokens.client, SESSION_CHANGED, { clientId: String(p.otherClient.id) });
    expect((await s.nth(1)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    await s.dispose();
  });

  it("a reconnecting client passes its last cursor and receives what it missed, in order, then live events", async () => {
    const first = await watching(p.tokens.provider, { providerId: String(p.provider.id) });
    const seen = await book(p, p.client.id);
    const cursor = (await first.nth(1)).data!.sessionChanged.cursor;
    await first.dispose();

    const missed = [await book(p, p.client.id), await book(p, p.otherClient.id)];
    dataOf(
      await t.gql(`mutation($id: ID!) { cancelSession(id: $id) { id } }`, { id: missed[0].id }, p.tokens.provider),
    );

    const again = await watching(p.tokens.provider, { providerId: String(p.provider.id), after: cursor });
    await again.nth(3);
    const live = await book(p, p.client.id);
    await again.nth(4);
    const events = again.received.map((r) => r.data!.sessionChanged);
    expect(events.map((e) => [e.type, e.session.id])).toEqual([
      ["BOOKED", missed[0].id],
      ["BOOKED", missed[1].id],
      ["CANCELLED", missed[0].id],
      ["BOOKED", live.id],
    ]);
    expect(events.map((e) => e.session.id)).not.toContain(seen.id);
    const cursors = events.map((e) => Number(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    await again.dispose();
  });
});
