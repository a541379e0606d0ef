import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import {
  ACCEPT,
  at,
  dataOf,
  entriesOf,
  holdsOf,
  iso,
  joinFor,
  LIST,
  NOW,
  waitlistPractice,
} from "./waitlist.fixture.js";

const CREATE_GROUP = `mutation($input: CreateGroupSessionInput!) { createGroupSession(input: $input) { id seatsLeft } }`;
const JOIN_GROUP = `mutation($id: ID!, $clientId: ID) { joinGroupSession(id: $id, clientId: $clientId) { id } }`;
const LEAVE_GROUP = `mutation($id: ID!, $clientId: ID) { leaveGroupSession(id: $id, clientId: $clientId) { id seatsLeft } }`;
const GROUP = `query($id: ID!) { groupSession(id: $id) { seatsTaken seatsLeft } }`;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
});
afterAll(() => t.close());

describe(`group seats on the waitlist (${engine})`, () => {
  it("a seat given up is offered to a fitting entry, and accepting takes the seat", async () => {
    const p = await waitlistPractice(t);
    // A full class of two at 15:00: the provider's time is the group's, so only a seat can fit.
    const group = dataOf(
      await t.gql(
        CREATE_GROUP,
        { input: { providerId: String(p.provider.id), startsAt: iso(15), durationMinutes: 60, capacity: 2 } },
        p.tokens.provider,
      ),
    ).createGroupSession;
    for (const client of [p.otherClient, p.third])
      dataOf(await t.gql(JOIN_GROUP, { id: group.id, clientId: String(client.id) }, p.tokens.provider));
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await t.app.waitlist.processRefills();
    expect((await entriesOf(t, p.tenant))[0].status).toBe("WAITING");

    dataOf(await t.gql(LEAVE_GROUP, { id: group.id, clientId: String(p.third.id) }, p.tokens.provider));
    await t.app.waitlist.processRefills();
    const [offered] = dataOf(await t.gql(LIST, {}, p.tokens.client)).waitlist;
    expect(offered).toMatchObject({ id: entry.id, status: "OFFERED", offer: { startsAt: iso(15), endsAt: iso(16) } });
    const holds = await holdsOf(t, p.tenant);
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ groupSessionId: Number(group.id), clientId: p.client.id });
    // The held seat is counted: nobody else can take it.
    expect(dataOf(await t.gql(GROUP, { id: group.id }, p.tokens.admin)).groupSession.seatsLeft).toBe(0);

    // Accepted by the provider for their client: a CLIENT's own join of a group with other seats
    // taken needs availability to leave the group's time out (excludeGroupSessionId, the holds branch's).
    const seat = dataOf(await t.gql(ACCEPT, { id: entry.id }, p.tokens.provider)).acceptWaitlistOffer;
    expect(seat).toMatchObject({
      startsAt: iso(15),
      endsAt: iso(16),
      status: "SCHEDULED",
      client: { id: String(p.client.id) },
    });
    const seatGroup = dataOf(
      await t.gql(`query($id: ID!) { session(id: $id) { groupSession { id } } }`, { id: seat.id }, p.tokens.client),
    ).session.groupSession;
    expect(seatGroup.id).toBe(group.id);
    expect(dataOf(await t.gql(GROUP, { id: group.id }, p.tokens.admin)).groupSession).toEqual({
      seatsTaken: 2,
      seatsLeft: 0,
    });
    expect(await holdsOf(t, p.tenant)).toEqual([]);
    expect((await entriesOf(t, p.tenant))[0]).toMatchObject({ status: "BOOKED", sessionId: Number(seat.id) });
  });
});
