import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makeSession, makeUser } from "../helpers/factories.js";
import { BOOK } from "../sessions/sessions.fixture.js";
import {
  CREATE,
  dataOf,
  errorOf,
  eventsOfTenant,
  groupRows,
  groupsPractice,
  JOIN,
  snapshot,
} from "./groups.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof groupsPractice>>["p"];
let admin: string, provider: string, client: string;

beforeAll(async () => ({ t, p, admin, provider, client } = await groupsPractice()));
afterAll(() => t.close());

const at = (day: number, h: number, m = 0) => new Date(Date.UTC(2030, 0, day, h, m)).toISOString();
const create = (input: Record<string, unknown>, token = provider) =>
  t.gql(CREATE, { input: { durationMinutes: 60, capacity: 5, ...input } }, token);

describe(`createGroupSession (${engine})`, () => {
  it("a provider's own group: defaults, an empty roster, one CREATED event without its text", async () => {
    const { createGroupSession: g } = dataOf(
      await create({ startsAt: at(8, 9), title: "Yoga for back pain", description: "Bring a mat" }),
    );
    expect(g).toMatchObject({
      title: "Yoga for back pain",
      type: "GROUP",
      modality: "IN_PERSON",
      startsAt: at(8, 9),
      endsAt: at(8, 10),
      capacity: 5,
      seatsTaken: 0,
      seatsLeft: 5,
      status: "SCHEDULED",
      provider: { id: String(p.provider.id) },
      attendees: [],
    });
    const events = (await eventsOfTenant(t, p.tenant)).filter((e) => e.type === "GROUP_SESSION_CHANGED");
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({
        groupSessionId: Number(g.id),
        change: "CREATED",
        startsAt: at(8, 9),
        endsAt: at(8, 10),
      }),
    ]);
    expect(JSON.stringify(events[0].payload)).not.toMatch(/Yoga|mat/);
  });

  it("capacity 1 or 201, a past start, a bad duration: VALIDATION / IN_THE_PAST, nothing written", async () => {
    const before = await snapshot(t, p.tenant);
    const groupsBefore = await groupRows(t, p.tenant);
    for (const capacity of [1, 201, 0, -3]) {
      const err = errorOf(await create({ startsAt: at(8, 12), capacity }));
      expect(err).toMatchObject({ code: "BAD_USER_INPUT", reason: "VALIDATION" });
      expect(err.fieldErrors).toHaveProperty("capacity");
    }
    expect(errorOf(await create({ startsAt: at(5, 12) }))).toMatchObject({ reason: "IN_THE_PAST" });
    expect(errorOf(await create({ startsAt: at(8, 12), durationMinutes: 0 }))).toMatchObject({ reason: "VALIDATION" });
    expect(await groupRows(t, p.tenant)).toEqual(groupsBefore);
    expect(await snapshot(t, p.tenant)).toEqual(before);
  });

  it("who: a CLIENT never; a PROVIDER only their own; an ADMIN for any provider", async () => {
    const other = await makeUser(t.database, p.tenant, "PROVIDER");
    expect(errorOf(await create({ startsAt: at(9, 9) }, client))).toMatchObject({ code: "FORBIDDEN" });
    expect(errorOf(await create({ startsAt: at(9, 9), providerId: String(other.id) }))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(errorOf(await create({ startsAt: at(9, 9) }, admin))).toMatchObject({ reason: "VALIDATION" });
    const { createGroupSession } = dataOf(await create({ startsAt: at(9, 9), providerId: String(other.id) }, admin));
    expect(createGroupSession.provider.id).toBe(String(other.id));
  });

  it("over a 1:1 session: CONFLICT SESSION_OVERLAP; a 1:1 over a group, with or without seats: SESSION_OVERLAP", async () => {
    const one = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      startsAt: new Date(at(10, 9)),
      endsAt: new Date(at(10, 10)),
      title: "Intake",
    });
    const refused = errorOf(await create({ startsAt: at(10, 9, 30) }));
    expect(refused).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP", conflictingSessionId: one.id });
    // Back to back is fine.
    const { createGroupSession: g } = dataOf(await create({ startsAt: at(10, 10) }));
    const book = (startsAt: string) =>
      t.gql(BOOK, { input: { clientId: String(p.client.id), startsAt, durationMinutes: 30 } }, provider);
    // No seat yet: the database's provider_time_is_free() refuses it.
    expect(errorOf(await book(at(10, 10, 15)))).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    dataOf(await t.gql(JOIN, { id: g.id, clientId: String(p.client.id) }, provider));
    expect(errorOf(await book(at(10, 10, 45)))).toMatchObject({ code: "CONFLICT", reason: "SESSION_OVERLAP" });
    // Another group over it: SESSION_OVERLAP too.
    expect(errorOf(await create({ startsAt: at(10, 10, 30) }))).toMatchObject({ reason: "SESSION_OVERLAP" });
    dataOf(await book(at(10, 11)));
  });
});
