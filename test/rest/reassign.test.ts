/**
 * Issue 15, "Reassigning a session is one rule": the shims that document a change of a
 * session's people route it through reassignSession (src/modules/sessions), each in its
 * framework's way: a DRF PUT/PATCH on sapphire sessions changes `client`/`staff`; the booking
 * API's PUT changes `therapistId` ("Change therapist (if allowed)") after first refusing a
 * completed or cancelled meeting with the document's 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRow, UserRow } from "../../src/db/schema/index.js";
import { localDateTime } from "../../src/time.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { openAllWeek } from "../sessions/sessions.fixture.js";
import { expectNestError } from "./booking.fixture.js";

/** Sunday 2030-01-06 12:00 UTC; the practice is in America/New_York; sessions go on the following days. */
const NOW = new Date("2030-01-06T12:00:00Z");
const HOUR = 3_600_000;

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
/** A second provider of the practice: the covering therapist. */
let cover: UserRow;
const tokens = new Map<UserRow, string>();
const tokenOf = async (user: UserRow) => tokens.get(user) ?? tokens.set(user, await t.token(user, p.tenant)).get(user)!;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  cover = await makeUser(t.database, p.tenant, "PROVIDER");
  await relate(t.database, p.tenant, cover, p.otherClient);
  await relate(t.database, p.tenant, cover, p.client);
  await Promise.all([openAllWeek(t, p.tenant, p.provider), openAllWeek(t, p.tenant, cover)]);
});
afterAll(() => t?.close());

let nextSlot = 0;
/** A session of the practice's provider and client, an hour long, each on its own day so none collide. */
async function aSession(values: Partial<SessionRow> = {}): Promise<SessionRow> {
  const startsAt = new Date(Date.parse("2030-01-07T15:00:00Z") + nextSlot++ * 24 * HOUR);
  return makeSession(t.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    startsAt,
    endsAt: new Date(startsAt.getTime() + HOUR),
    ...values,
  });
}

describe(`reassigning through the shims (${engine})`, () => {
  it("sapphire: a PUT with another client and staff answers 200 and moves the session (an administrator)", async () => {
    const session = await aSession();
    const start = localDateTime(session.startsAt, cover.timeZone);
    const body = {
      client: p.otherClient.id,
      staff: cover.id,
      session_date: start.date,
      start_time: start.time,
      end_time: localDateTime(session.endsAt, cover.timeZone).time,
    };

    const put = await rest(t.url, "PUT", `/sapphire/scheduler/sessions/${session.id}/`, {
      token: await tokenOf(p.admin),
      body,
    });

    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      id: session.id,
      client: p.otherClient.id,
      staff: cover.id,
      session_date: start.date,
      start_time: start.time,
    });
    const read = await rest(t.url, "GET", `/sapphire/scheduler/sessions/${session.id}/`, {
      token: await tokenOf(p.admin),
    });
    expect(read.body).toMatchObject({ client: p.otherClient.id, staff: cover.id });
  });

  it("sapphire: a PATCH by the session's staff member moves it to another client of theirs", async () => {
    const session = await aSession({ clientId: p.otherClient.id, providerId: cover.id });

    const patch = await rest(t.url, "PATCH", `/sapphire/scheduler/sessions/${session.id}/`, {
      token: await tokenOf(cover),
      body: { client: p.client.id },
    });

    expect(patch.status, patch.text).toBe(200);
    expect(patch.body).toMatchObject({ id: session.id, client: p.client.id, staff: cover.id });
  });

  it("booking: PUT on a cancelled or completed meeting is 400 with the document's message, before the therapist is looked at", async () => {
    for (const status of ["CANCELLED", "COMPLETED"] as const) {
      const meeting = await aSession({ status });
      for (const body of [{ therapistId: String(cover.id) }, { therapistId: "not-a-therapist", title: "Later" }]) {
        const put = await rest(t.url, "PUT", `/booking/meetings/${meeting.id}`, {
          token: await tokenOf(p.provider),
          body,
        });
        expectNestError(put, 400, "Bad Request", "Cannot update completed/cancelled meetings");
      }
    }
  });

  it("booking: an administrator, or the meeting's therapist, changes its therapist with PUT (200)", async () => {
    const byAdmin = await aSession();
    const moved = await rest(t.url, "PUT", `/booking/meetings/${byAdmin.id}`, {
      token: await tokenOf(p.admin),
      body: { therapistId: String(cover.id), title: "Covered" },
    });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({
      id: String(byAdmin.id),
      therapistId: String(cover.id),
      clientId: String(p.client.id),
      title: "Covered",
    });

    const byTherapist = await aSession();
    const handedOver = await rest(t.url, "PUT", `/booking/meetings/${byTherapist.id}`, {
      token: await tokenOf(p.provider),
      body: { therapistId: String(cover.id) },
    });
    expect(handedOver.status, handedOver.text).toBe(200);
    expect(handedOver.body).toMatchObject({ id: String(byTherapist.id), therapistId: String(cover.id) });
    // The covering therapist has it now.
    const read = await rest(t.url, "GET", `/booking/meetings/${byTherapist.id}`, { token: await tokenOf(cover) });
    expect(read.body).toMatchObject({ therapistId: String(cover.id) });
  });
});
