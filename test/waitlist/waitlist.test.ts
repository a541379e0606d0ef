import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainEvents, sessions } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makeSession, makeUser, relate } from "../helpers/factories.js";
import { eventually, subscribe } from "../helpers/ws.js";
import {
  ACCEPT,
  at,
  BOOK,
  bookedHour,
  CANCEL,
  dataOf,
  DECLINE,
  entriesOf,
  errorOf,
  expireHold,
  holdsOf,
  iso,
  JOIN,
  joinFor,
  LEAVE,
  LIST,
  NOW,
  refillsOf,
  waitlistPractice,
  type WaitlistPractice,
} from "./waitlist.fixture.js";

let t: TestApp;
let clock = NOW;

beforeAll(async () => {
  // No background runs (test/helpers/app.ts): each test runs the processor itself, so nothing settles behind its back.
  t = await startTestApp({ now: () => clock });
});
afterAll(async () => {
  await t.close();
});

const process = () => t.app.waitlist.processRefills();
const byId = async (p: WaitlistPractice) => new Map((await entriesOf(t, p.tenant)).map((e) => [String(e.id), e]));

describe(`joining the waitlist (${engine})`, () => {
  it("refuses a window in the past, longer than 90 days or inverted, with its reason, writing nothing", async () => {
    const p = await waitlistPractice(t);
    const join = (input: Record<string, unknown>) =>
      t.gql(JOIN, { input: { providerId: String(p.provider.id), durationMinutes: 60, ...input } }, p.tokens.client);

    const past = errorOf(await join({ earliest: "2030-01-01T10:00:00Z", latest: "2030-01-05T10:00:00Z" }));
    expect(past).toMatchObject({ code: "BAD_USER_INPUT", reason: "IN_THE_PAST" });
    expect(past.fieldErrors).toHaveProperty("latest");

    const long = errorOf(await join({ earliest: iso(10), latest: "2030-04-10T10:00:00Z" }));
    expect(long).toMatchObject({ code: "BAD_USER_INPUT", reason: "VALIDATION" });
    expect(long.fieldErrors!.earliest).toMatch(/90 days/);

    const inverted = errorOf(await join({ earliest: iso(12), latest: iso(10) }));
    expect(inverted).toMatchObject({ reason: "VALIDATION" });
    expect(inverted.fieldErrors!.earliest).toMatch(/must not be after/);

    // Every problem at once.
    const all = errorOf(await join({ earliest: iso(12), latest: iso(10), durationMinutes: 0 }));
    expect(Object.keys(all.fieldErrors!).sort()).toEqual(["durationMinutes", "earliest"]);

    expect(await entriesOf(t, p.tenant)).toEqual([]);
    expect(await refillsOf(t, p.tenant)).toEqual([]);
  });

  it("lets a client join only for themself, with a provider in their care; a provider only for their clients", async () => {
    const p = await waitlistPractice(t);
    const stranger = await makeUser(t.database, p.tenant, "CLIENT");
    const strangerToken = await t.token(stranger, p.tenant);
    const input = { providerId: String(p.provider.id), earliest: iso(10), latest: iso(12), durationMinutes: 60 };

    const forOther = errorOf(
      await t.gql(JOIN, { input: { ...input, clientId: String(p.otherClient.id) } }, p.tokens.client),
    );
    expect(forOther.code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(JOIN, { input }, strangerToken)).code).toBe("FORBIDDEN");
    const notInCare = errorOf(
      await t.gql(JOIN, { input: { ...input, clientId: String(stranger.id) } }, p.tokens.provider),
    );
    expect(notInCare.reason).toBe("NOT_IN_CARE");
    expect(await entriesOf(t, p.tenant)).toEqual([]);

    // An admin may put any client on the list; the provider their own client.
    dataOf(await t.gql(JOIN, { input: { ...input, clientId: String(stranger.id) } }, p.tokens.admin));
    dataOf(await t.gql(JOIN, { input: { ...input, clientId: String(p.client.id) } }, p.tokens.provider));
    expect(await entriesOf(t, p.tenant)).toHaveLength(2);
  });

  it("offers a slot that is already free as soon as the join committed", async () => {
    const p = await waitlistPractice(t);
    const joined = dataOf(
      await t.gql(
        JOIN,
        {
          input: {
            providerId: String(p.provider.id),
            earliest: iso(9),
            latest: iso(17),
            durationMinutes: 60,
            note: "mornings",
          },
        },
        p.tokens.client,
      ),
    ).joinWaitlist;
    expect(joined).toMatchObject({
      status: "WAITING",
      position: 1,
      note: "mornings",
      client: { id: String(p.client.id) },
    });
    await process();
    const [entry] = dataOf(await t.gql(LIST, {}, p.tokens.client)).waitlist;
    expect(entry).toMatchObject({ status: "OFFERED", position: null });
    // The earliest fitting start of the window, held for the tenant's offer length (15 minutes by default).
    expect(entry.offer.startsAt).toBe(iso(9));
    expect(entry.offer.endsAt).toBe(iso(10));
    expect(entry.offer.waitlistEntry.id).toBe(entry.id);
    const [hold] = await holdsOf(t, p.tenant);
    const ttl = hold.expiresAt.getTime() - hold.createdAt.getTime();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000 + 1000);
    expect(hold).toMatchObject({ clientId: p.client.id, waitlistEntryId: Number(entry.id) });
  });
});

describe(`offers of freed time (${engine})`, () => {
  /** Two clients waiting, first come first served, for the hour a third client has booked. */
  async function twoWaiting() {
    const p = await waitlistPractice(t);
    const booked = await bookedHour(t, p, 15);
    const first = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    const second = await joinFor(t, p, p.tokens.otherClient, p.otherClient.id, at(15));
    await process();
    expect([...(await byId(p)).values()].map((e) => e.status)).toEqual(["WAITING", "WAITING"]);
    expect(second.position).toBe(2);
    return { p, booked, first, second };
  }

  it("a cancellation offers the hour to the first fitting entry only; its hold blocks the slot for others", async () => {
    const { p, booked, first, second } = await twoWaiting();
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await process();
    const entries = await byId(p);
    expect(entries.get(first.id)!.status).toBe("OFFERED");
    expect(entries.get(second.id)!.status).toBe("WAITING");
    const holds = await holdsOf(t, p.tenant);
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ waitlistEntryId: Number(first.id), startsAt: at(15), endsAt: at(16) });
    // The second entry is now first in line.
    const list = dataOf(await t.gql(LIST, { status: ["WAITING"] }, p.tokens.provider)).waitlist;
    expect(list.map((e: { id: string; position: number }) => [e.id, e.position])).toEqual([[second.id, 1]]);
    // Nobody else can book into the offer.
    const taken = errorOf(
      await t.gql(
        BOOK,
        {
          input: {
            providerId: String(p.provider.id),
            clientId: String(p.third.id),
            startsAt: iso(15),
            durationMinutes: 60,
          },
        },
        p.tokens.admin,
      ),
    );
    expect(taken).toMatchObject({ code: "CONFLICT", reason: "SLOT_HELD" });
    // Processing again changes nothing: one freed slot, one offer.
    await process();
    expect(await holdsOf(t, p.tenant)).toHaveLength(1);
  });

  it("a declined offer goes to the next entry and is not offered to the decliner again", async () => {
    const { p, booked, first, second } = await twoWaiting();
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await process();
    const declined = dataOf(await t.gql(DECLINE, { id: first.id }, p.tokens.client)).declineWaitlistOffer;
    expect(declined).toMatchObject({ status: "WAITING", offer: null });
    await process();
    const entries = await byId(p);
    expect(entries.get(first.id)!.status).toBe("WAITING");
    expect(entries.get(second.id)!.status).toBe("OFFERED");
    const holds = await holdsOf(t, p.tenant);
    expect(holds.map((h) => h.waitlistEntryId)).toEqual([Number(second.id)]);
    // Declining again is not a transition an entry that waits can make.
    expect(errorOf(await t.gql(DECLINE, { id: first.id }, p.tokens.client)).reason).toBe("INVALID_TRANSITION");
  });

  it("an offer that lapses goes to the next entry; the first waits again", async () => {
    const { p, booked, first, second } = await twoWaiting();
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await process();
    const [hold] = await holdsOf(t, p.tenant);
    await expireHold(t, p.tenant, hold.id);
    await process();
    const entries = await byId(p);
    expect(entries.get(first.id)!.status).toBe("WAITING");
    expect(entries.get(second.id)!.status).toBe("OFFERED");
    const holds = await holdsOf(t, p.tenant);
    expect(holds.map((h) => h.waitlistEntryId)).toEqual([Number(second.id)]);
    expect(holds[0].id).not.toBe(hold.id);
  });

  it("accepting books exactly the held slot; another's offer is NOT_FOUND; an expired one HOLD_EXPIRED", async () => {
    const { p, booked, first, second } = await twoWaiting();
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await process();

    expect(errorOf(await t.gql(ACCEPT, { id: first.id }, p.tokens.otherClient)).code).toBe("NOT_FOUND");
    expect(errorOf(await t.gql(ACCEPT, { id: second.id }, p.tokens.otherClient)).reason).toBe("INVALID_TRANSITION");

    const session = dataOf(await t.gql(ACCEPT, { id: first.id }, p.tokens.client)).acceptWaitlistOffer;
    expect(session).toMatchObject({
      startsAt: iso(15),
      endsAt: iso(16),
      status: "SCHEDULED",
      client: { id: String(p.client.id) },
    });
    const [entry] = dataOf(await t.gql(LIST, { clientId: String(p.client.id) }, p.tokens.client)).waitlist;
    expect(entry).toMatchObject({ status: "BOOKED", offer: null, session: { id: session.id } });
    expect(await holdsOf(t, p.tenant)).toEqual([]);
    // The hour is booked: the second entry is not offered it.
    await process();
    expect((await byId(p)).get(second.id)!.status).toBe("WAITING");
  });

  it("accepting an offer whose hold expired is HOLD_EXPIRED and writes nothing", async () => {
    const { p, booked, first } = await twoWaiting();
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await process();
    const [hold] = await holdsOf(t, p.tenant);
    await expireHold(t, p.tenant, hold.id);
    const before = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions));
    const err = errorOf(await t.gql(ACCEPT, { id: first.id }, p.tokens.client));
    expect(err).toMatchObject({ code: "CONFLICT", reason: "HOLD_EXPIRED" });
    expect(await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions))).toEqual(before);
    expect((await byId(p)).get(first.id)!.status).toBe("OFFERED");
  });

  it("an entry whose latest start has passed expires", async () => {
    const p = await waitlistPractice(t);
    await bookedHour(t, p, 15);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    clock = new Date(at(16).getTime());
    try {
      await process();
      expect((await byId(p)).get(entry.id)!.status).toBe("EXPIRED");
    } finally {
      clock = NOW;
    }
  });

  it("leaving releases an offer's hold and the next entry is offered", async () => {
    const { p, booked, first, second } = await twoWaiting();
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await process();
    expect(dataOf(await t.gql(LEAVE, { id: first.id }, p.tokens.client)).leaveWaitlist.status).toBe("CANCELLED");
    await process();
    expect((await byId(p)).get(second.id)!.status).toBe("OFFERED");
  });
});

describe(`what frees time asks for a refill (${engine})`, () => {
  it("a reschedule away offers the hour", async () => {
    const p = await waitlistPractice(t);
    const booked = await bookedHour(t, p, 15);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await process();
    dataOf(
      await t.gql(
        `mutation($id: ID!, $startsAt: DateTime!) { rescheduleSession(id: $id, startsAt: $startsAt) { id } }`,
        { id: String(booked.id), startsAt: iso(18) },
        p.tokens.provider,
      ),
    );
    await process();
    expect((await byId(p)).get(entry.id)!.status).toBe("OFFERED");
  });

  it("a deleted session offers the hour", async () => {
    const p = await waitlistPractice(t);
    const booked = await bookedHour(t, p, 15);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await process();
    dataOf(await t.gql(`mutation($id: ID!) { deleteSession(id: $id) }`, { id: String(booked.id) }, p.tokens.provider));
    await process();
    expect((await byId(p)).get(entry.id)!.status).toBe("OFFERED");
  });

  it("an availability override that opens hours offers them", async () => {
    const p = await waitlistPractice(t);
    const provider = await makeUser(t.database, p.tenant, "PROVIDER");
    await relate(t.database, p.tenant, provider, p.client);
    const providerToken = await t.token(provider, p.tenant);
    const joined = dataOf(
      await t.gql(
        JOIN,
        { input: { providerId: String(provider.id), earliest: iso(13), latest: iso(20), durationMinutes: 60 } },
        p.tokens.client,
      ),
    ).joinWaitlist;
    await process();
    expect((await byId(p)).get(joined.id)!.status).toBe("WAITING");
    dataOf(
      await t.gql(
        `mutation($input: AvailabilityOverrideInput!) { createAvailabilityOverride(input: $input) { id } }`,
        { input: { date: "2030-01-07", isAvailable: true, startTime: "10:00", endTime: "12:00" } },
        providerToken,
      ),
    );
    await process();
    const [entry] = dataOf(await t.gql(LIST, {}, p.tokens.client)).waitlist.filter(
      (e: { id: string }) => e.id === joined.id,
    );
    expect(entry.status).toBe("OFFERED");
    // 10:00 in the provider's zone (America/New_York) is 15:00 UTC.
    expect(entry.offer.startsAt).toBe(iso(15));
  });

  it("a cancellation that is rolled back offers nothing", async () => {
    const p = await waitlistPractice(t);
    const booked = await bookedHour(t, p, 15);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await process();
    const rollback = new Error("rolled back on purpose");
    await expect(
      asTenant(t.database, p.tenant.id, async (tx) => {
        await tx.update(sessions).set({ status: "CANCELLED" }).where(eq(sessions.id, booked.id));
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await refillsOf(t, p.tenant)).toEqual([]);
    await process();
    expect((await byId(p)).get(entry.id)!.status).toBe("WAITING");
    expect(await holdsOf(t, p.tenant)).toEqual([]);
    // The same cancellation committed asks for the refill.
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx.update(sessions).set({ status: "CANCELLED" }).where(eq(sessions.id, booked.id)),
    );
    await process();
    expect((await byId(p)).get(entry.id)!.status).toBe("OFFERED");
  });
});

describe(`who sees the waitlist (${engine})`, () => {
  it("a client their own entries, a provider their own, an admin all; notes go with them", async () => {
    const p = await waitlistPractice(t);
    const other = await makeUser(t.database, p.tenant, "PROVIDER");
    await relate(t.database, p.tenant, other, p.otherClient);
    await bookedHour(t, p, 15);
    const busyElsewhere = await makeUser(t.database, p.tenant, "CLIENT");
    await makeSession(t.database, p.tenant, {
      providerId: other.id,
      clientId: busyElsewhere.id,
      startsAt: at(15),
      endsAt: at(16),
    });
    const mine = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    const theirs = await joinFor(t, p, p.tokens.admin, p.otherClient.id, at(15));
    const elsewhere = dataOf(
      await t.gql(
        JOIN,
        {
          input: {
            providerId: String(other.id),
            earliest: iso(15),
            latest: iso(15),
            durationMinutes: 60,
            note: "private words",
          },
        },
        p.tokens.otherClient,
      ),
    ).joinWaitlist;
    const ids = async (token: string, vars = {}) =>
      dataOf(await t.gql(LIST, vars, token)).waitlist.map((e: { id: string }) => e.id);
    expect(await ids(p.tokens.client)).toEqual([mine.id]);
    expect(await ids(p.tokens.client, { clientId: String(p.otherClient.id) })).toEqual([]);
    expect(await ids(p.tokens.otherClient)).toEqual([theirs.id, elsewhere.id]);
    expect(await ids(p.tokens.provider)).toEqual([mine.id, theirs.id]);
    expect(await ids(p.tokens.admin)).toEqual([mine.id, theirs.id, elsewhere.id]);
    expect(await ids(p.tokens.admin, { providerId: String(other.id) })).toEqual([elsewhere.id]);
    // Another's entry by id: not found for a client, as if it did not exist.
    const node = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: elsewhere.id }, p.tokens.client);
    expect(node.data?.node ?? null).toBeNull();
    const adminView = dataOf(await t.gql(LIST, { providerId: String(other.id) }, p.tokens.admin)).waitlist[0];
    expect(adminView.note).toBe("private words");
    // Clinical text never goes into events.
    const events = await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(domainEvents));
    expect(events.some((e) => e.type === "WAITLIST_CHANGED")).toBe(true);
    expect(JSON.stringify(events)).not.toContain("private words");
    expect(errorOf(await t.gql(LEAVE, { id: elsewhere.id }, p.tokens.client)).code).toBe("NOT_FOUND");
  });
});

describe(`waitlistChanged (${engine})`, () => {
  it("delivers the offer to the entry's client and nothing to another client", async () => {
    const p = await waitlistPractice(t);
    const booked = await bookedHour(t, p, 15);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await process();
    const query = `subscription { waitlistChanged { id status offer { startsAt } note } }`;
    const mine = subscribe(t.url, p.tokens.client, query);
    const other = subscribe(t.url, p.tokens.otherClient, query);
    await eventually(() => t.app.deps.events.subscriberCount === 2, "the subscriptions never registered");
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await process();
    const change = (await mine.nth(1)).data!.waitlistChanged;
    expect(change).toMatchObject({ id: entry.id, status: "OFFERED", offer: { startsAt: iso(15) } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(other.received).toEqual([]);
    await Promise.all([mine.dispose(), other.dispose()]);
  });
});

describe(`waitlist settings (${engine})`, () => {
  const GET = `query { waitlistSettings { offerMinutes } }`;
  const SET = `mutation($m: Int!) { updateWaitlistSettings(offerMinutes: $m) { offerMinutes } }`;

  it("an admin reads the default 15 and sets 5..1440; offers then last that long", async () => {
    const p = await waitlistPractice(t);
    expect(dataOf(await t.gql(GET, {}, p.tokens.admin)).waitlistSettings.offerMinutes).toBe(15);
    expect(errorOf(await t.gql(GET, {}, p.tokens.provider)).code).toBe("FORBIDDEN");
    expect(errorOf(await t.gql(SET, { m: 30 }, p.tokens.provider)).code).toBe("FORBIDDEN");
    for (const bad of [4, 1441, 0])
      expect(errorOf(await t.gql(SET, { m: bad }, p.tokens.admin)).reason).toBe("VALIDATION");
    expect(dataOf(await t.gql(GET, {}, p.tokens.admin)).waitlistSettings.offerMinutes).toBe(15);
    expect(dataOf(await t.gql(SET, { m: 5 }, p.tokens.admin)).updateWaitlistSettings.offerMinutes).toBe(5);
    expect(dataOf(await t.gql(SET, { m: 1440 }, p.tokens.admin)).updateWaitlistSettings.offerMinutes).toBe(1440);
    expect(dataOf(await t.gql(GET, {}, p.tokens.admin)).waitlistSettings.offerMinutes).toBe(1440);

    await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await process();
    const [hold] = await holdsOf(t, p.tenant);
    const ttl = hold.expiresAt.getTime() - hold.createdAt.getTime();
    expect(ttl).toBeGreaterThan(1439 * 60_000);
    expect(ttl).toBeLessThanOrEqual(1440 * 60_000 + 1000);
  });
});

describe(`answering an offer under concurrency (${engine})`, () => {
  it("the client and their provider accepting at once book one session", async () => {
    const p = await waitlistPractice(t);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await process();
    const results = await Promise.all(
      [p.tokens.client, p.tokens.provider, p.tokens.client, p.tokens.admin].map((token) =>
        t.gql(ACCEPT, { id: entry.id }, token),
      ),
    );
    const won = results.filter((r) => !r.errors);
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r) => r.errors)) expect(errorOf(lost).reason).toBe("INVALID_TRANSITION");
    const booked = await asTenant(t.database, p.tenant.id, (tx) =>
      tx.select().from(sessions).where(eq(sessions.clientId, p.client.id)),
    );
    expect(booked.map((s) => s.startsAt)).toEqual([at(15)]);
    expect((await byId(p)).get(entry.id)).toMatchObject({ status: "BOOKED", sessionId: booked[0].id });
  });
});
