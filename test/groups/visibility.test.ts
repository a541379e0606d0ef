import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { clientsInCare, CREATE, dataOf, errorOf, GET, groupsPractice, JOIN, LIST } from "./groups.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof groupsPractice>>["p"];
let admin: string, provider: string, client: string, otherClient: string;
let g: Record<string, any>;
let mySeat: string, theirSeat: string;

beforeAll(async () => {
  ({ t, p, admin, provider, client, otherClient } = await groupsPractice());
  g = dataOf(
    await t.gql(
      CREATE,
      { input: { startsAt: "2030-01-08T16:00:00Z", durationMinutes: 60, capacity: 6, title: "DBT skills" } },
      provider,
    ),
  ).createGroupSession;
  mySeat = dataOf(await t.gql(JOIN, { id: g.id }, client)).joinGroupSession.id;
  const [other] = await clientsInCare(t, p.tenant, p.provider, 1);
  theirSeat = dataOf(await t.gql(JOIN, { id: g.id, clientId: String(other.user.id) }, provider)).joinGroupSession.id;
});
afterAll(() => t.close());

const RANGE = { from: "2030-01-08T00:00:00Z", to: "2030-01-09T00:00:00Z" };

describe(`who sees a group and its seats (${engine})`, () => {
  it("a CLIENT sees only their own seat in attendees, and every count", async () => {
    const { groupSession } = dataOf(await t.gql(GET, { id: g.id }, client));
    expect(groupSession).toMatchObject({ seatsTaken: 2, seatsLeft: 4, status: "SCHEDULED" });
    expect(groupSession.attendees.map((a: { id: string }) => a.id)).toEqual([mySeat]);
    for (const token of [provider, admin]) {
      const seen = dataOf(await t.gql(GET, { id: g.id }, token)).groupSession.attendees;
      expect(seen.map((a: { id: string }) => a.id)).toEqual([mySeat, theirSeat]);
    }
  });

  it("a client not in care and another provider: NOT_FOUND; a client in care sees it to join it", async () => {
    const stranger = await makeUser(t.database, p.tenant, "PROVIDER");
    for (const token of [otherClient, await t.token(stranger, p.tenant)])
      expect(errorOf(await t.gql(GET, { id: g.id }, token))).toMatchObject({ code: "NOT_FOUND" });
    expect(errorOf(await t.gql(JOIN, { id: g.id }, otherClient))).toMatchObject({ code: "NOT_FOUND" });
    const [newcomer] = await clientsInCare(t, p.tenant, p.provider, 1);
    expect(dataOf(await t.gql(GET, { id: g.id }, newcomer.token)).groupSession.attendees).toEqual([]);
  });

  it("groupSessions lists the provider's classes to whoever may see them, in a bounded range", async () => {
    const ids = async (token: string, providerId?: string) =>
      dataOf(await t.gql(LIST, { ...RANGE, providerId }, token)).groupSessions.map((x: { id: string }) => x.id);
    expect(await ids(provider)).toEqual([g.id]);
    expect(await ids(admin, String(p.provider.id))).toEqual([g.id]);
    expect(await ids(admin)).toEqual([g.id]);
    expect(await ids(client, String(p.provider.id))).toEqual([g.id]);
    expect(await ids(client)).toEqual([g.id]);
    expect(await ids(otherClient, String(p.provider.id))).toEqual([]);
    expect(
      dataOf(await t.gql(LIST, { from: "2030-01-09T00:00:00Z", to: "2030-01-10T00:00:00Z" }, provider)).groupSessions,
    ).toEqual([]);
    const tooLong = await t.gql(LIST, { from: "2030-01-01T00:00:00Z", to: "2030-06-01T00:00:00Z" }, provider);
    expect(errorOf(tooLong)).toMatchObject({ code: "BAD_USER_INPUT", reason: "TOO_MUCH_WORK" });
    const backwards = await t.gql(LIST, { from: RANGE.to, to: RANGE.from }, provider);
    expect(errorOf(backwards)).toMatchObject({ reason: "VALIDATION" });
  });

  it("a seat is an ordinary session: in sessions(), node(), with Session.groupSession, and through the legacy REST API", async () => {
    const SESSIONS = `{ sessions(first: 50) { nodes { id type groupSession { id title } } } }`;
    const mine = dataOf(await t.gql(SESSIONS, {}, client)).sessions.nodes;
    expect(mine).toEqual([{ id: mySeat, type: "GROUP", groupSession: { id: g.id, title: "DBT skills" } }]);
    const NODE = `query($id: ID!) { node(id: $id) { __typename ... on GroupSession { id capacity } } }`;
    expect(dataOf(await t.gql(NODE, { id: g.id }, client)).node).toEqual({
      __typename: "GroupSession",
      id: g.id,
      capacity: 6,
    });
    expect(dataOf(await t.gql(NODE, { id: g.id }, otherClient)).node).toBeNull();

    const { status, body } = await rest(t.url, "GET", `/api/v1/sessions/${mySeat}`, { token: client });
    expect(status).toBe(200);
    expect(JSON.stringify(body)).toContain(mySeat);
    // Another client's seat: the fitness API's documented 403 for a session not the caller's, and no content.
    const hidden = await rest(t.url, "GET", `/api/v1/sessions/${theirSeat}`, { token: client });
    expect(hidden.status).toBe(403);
    expect(hidden.text).not.toContain("DBT");
  });
});
