import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, type SessionRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { at, dataOf, errorOf, eventsOf, iso, NOW, openAllWeek, SESSION, snapshot } from "./sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string, otherClient: string, otherProvider: string, foreigner: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  const secondProvider = await makeUser(t.database, p.tenant, "PROVIDER");
  [admin, provider, client, otherClient, otherProvider] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient, secondProvider].map((u) => t.token(u, p.tenant)),
  );
  foreigner = await t.token(other.admin, other.tenant);
  await openAllWeek(t, p.tenant, p.provider);
});
afterAll(() => t.close());

let day = 7;
/** A fresh SCHEDULED session of the provider and client on its own day. */
async function fresh(values: Partial<SessionRow> = {}): Promise<SessionRow> {
  day += 1;
  return makeSession(t.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    title: "Weekly",
    startsAt: at(9, 0, day),
    endsAt: at(10, 0, day),
    ...values,
  });
}
const rowOf = async (id: number) =>
  (await asTenant(t.database, p.tenant.id, (tx) => tx.select().from(sessions).where(eq(sessions.id, id))))[0];

const M = {
  confirm: `mutation($id: ID!) { confirmSession(id: $id) { ${SESSION} } }`,
  complete: `mutation($id: ID!, $input: CompleteSessionInput) { completeSession(id: $id, input: $input) { ${SESSION} } }`,
  noShow: `mutation($id: ID!) { markNoShow(id: $id) { ${SESSION} } }`,
  cancel: `mutation($id: ID!, $reason: String) { cancelSession(id: $id, reason: $reason) { ${SESSION} } }`,
  reschedule: `mutation($id: ID!, $startsAt: DateTime!, $endsAt: DateTime, $durationMinutes: Int, $reason: String) {
    rescheduleSession(id: $id, startsAt: $startsAt, endsAt: $endsAt, durationMinutes: $durationMinutes, reason: $reason) { ${SESSION} } }`,
  update: `mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { ${SESSION} } }`,
  delete: `mutation($id: ID!) { deleteSession(id: $id) }`,
};

/** A call that must fail, leaving every session and event of the tenant as it was. */
async function rejected(query: string, variables: Record<string, unknown>, token: string) {
  const before = await snapshot(t, p.tenant);
  const error = errorOf(await t.gql(query, variables, token));
  expect(await snapshot(t, p.tenant)).toEqual(before);
  return error;
}

describe(`lifecycle (${engine})`, () => {
  it("confirm, then complete with actual times and notes: COMPLETED event with the documented fields", async () => {
    const s = await fresh();
    expect(dataOf(await t.gql(M.confirm, { id: s.id }, provider)).confirmSession.status).toBe("CONFIRMED");
    const done = dataOf(
      await t.gql(
        M.complete,
        {
          id: s.id,
          input: {
            actualStart: iso(9, 5, day),
            actualEnd: iso(9, 55, day),
            notes: "went well",
            clientFeedback: "great",
            exercisesPerformed: "squats",
            providerNotes: "progressing",
          },
        },
        provider,
      ),
    ).completeSession;
    expect(done).toMatchObject({
      status: "COMPLETED",
      actualStart: iso(9, 5, day),
      actualEnd: iso(9, 55, day),
      notes: "went well",
      clientFeedback: "great",
      exercisesPerformed: "squats",
      providerNotes: "progressing",
    });
    const events = await eventsOf(t, p.tenant, s.id);
    expect(events.map((e) => e.type)).toEqual(["UPDATED", "COMPLETED"]);
    expect(events[0].payload).toMatchObject({ status: "CONFIRMED", changed: ["status"] });
    expect(events[1].payload).toEqual({
      appointmentId: s.id,
      clientId: p.client.id,
      therapistId: p.provider.id,
      status: "COMPLETED",
      sessionType: "THERAPY",
      modality: "IN_PERSON",
      completedAt: NOW.toISOString(),
      duration: 50,
      // No sessionNotes: an event carries no clinical text (issue 14).
      attendanceStatus: "ATTENDED",
      startsAt: iso(9, 0, day),
      endsAt: iso(10, 0, day),
    });
  });

  it("a scheduled session can be completed directly (the fitness API has no confirmation step)", async () => {
    const s = await fresh();
    expect(dataOf(await t.gql(M.complete, { id: s.id }, admin)).completeSession.status).toBe("COMPLETED");
  });

  it("no-show: NO_SHOW event with attendanceStatus NO_SHOW; it cannot be completed or rescheduled afterwards", async () => {
    const s = await fresh();
    expect(dataOf(await t.gql(M.noShow, { id: s.id }, provider)).markNoShow.status).toBe("NO_SHOW");
    const [event] = await eventsOf(t, p.tenant, s.id);
    expect(event).toMatchObject({
      type: "NO_SHOW",
      payload: { attendanceStatus: "NO_SHOW", duration: 60, status: "NO_SHOW" },
    });
    expect(event.payload).not.toHaveProperty("sessionNotes");
    expect(await rejected(M.complete, { id: s.id }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message:
        "Cannot complete this session: it is marked as a no-show; only scheduled or confirmed sessions can become completed",
      fieldErrors: {
        status:
          "Cannot complete this session: it is marked as a no-show; only scheduled or confirmed sessions can become completed",
      },
    });
    expect(await rejected(M.reschedule, { id: s.id, startsAt: iso(9, 0, 28) }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message:
        "Cannot reschedule this session: it is marked as a no-show; only scheduled or confirmed sessions can be rescheduled",
    });
    // Its notes can still be written.
    expect(
      dataOf(await t.gql(M.update, { id: s.id, input: { notes: "called twice" } }, provider)).updateSession.notes,
    ).toBe("called twice");
  });

  it("confirming twice is refused with the reason", async () => {
    const s = await fresh({ status: "CONFIRMED" });
    expect(await rejected(M.confirm, { id: s.id }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: "Cannot confirm this session: it is already confirmed; only scheduled sessions can become confirmed",
    });
  });

  it("the client cancels: who, when, reason and notice are recorded, the event written, and the slot is free again", async () => {
    const s = await fresh();
    const cancelled = dataOf(await t.gql(M.cancel, { id: s.id, reason: "  sick  " }, client)).cancelSession;
    const notice = (at(9, 0, day).getTime() - NOW.getTime()) / 3_600_000;
    expect(cancelled).toMatchObject({
      status: "CANCELLED",
      cancellation: {
        cancelledAt: NOW.toISOString(),
        reason: "sick",
        noticeHours: notice,
        cancelledBy: { id: String(p.client.id) },
      },
    });
    expect(await rowOf(s.id)).toMatchObject({
      status: "CANCELLED",
      cancelledAt: NOW,
      cancelledBy: p.client.id,
      cancellationReason: "sick",
    });
    const [event] = await eventsOf(t, p.tenant, s.id);
    expect(event.payload).toEqual({
      appointmentId: s.id,
      clientId: p.client.id,
      therapistId: p.provider.id,
      status: "CANCELLED",
      sessionType: "THERAPY",
      modality: "IN_PERSON",
      cancelledBy: p.client.id,
      // No cancellationReason: free text stays in the session row, out of the event (issue 14).
      originalStartTime: iso(9, 0, day),
      cancelledAt: NOW.toISOString(),
      cancellationNotice: notice,
      startsAt: iso(9, 0, day),
      endsAt: iso(10, 0, day),
    });
    const again = `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`;
    dataOf(
      await t.gql(again, { input: { clientId: p.client.id, startsAt: iso(9, 0, day), durationMinutes: 60 } }, provider),
    );
  });

  it("completed and cancelled sessions are final: update, reschedule, cancel and complete say why", async () => {
    const done = await fresh({ status: "COMPLETED" });
    const gone = await fresh({ status: "CANCELLED", cancelledAt: NOW });
    const final = (status: string, action: string) =>
      `Cannot ${action} this session: it is already ${status}, and ${status} sessions are final`;
    expect(await rejected(M.update, { id: done.id, input: { title: "x" } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: final("completed", "update"),
    });
    expect(await rejected(M.reschedule, { id: done.id, startsAt: iso(9, 0, 28) }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: final("completed", "reschedule"),
    });
    expect(await rejected(M.cancel, { id: done.id }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: final("completed", "cancel"),
    });
    expect(await rejected(M.update, { id: gone.id, input: { notes: "x" } }, admin)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: final("cancelled", "update"),
    });
    expect(await rejected(M.cancel, { id: gone.id }, client)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: final("cancelled", "cancel"),
    });
    expect(await rejected(M.complete, { id: gone.id }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: final("cancelled", "complete"),
    });
    expect(await rejected(M.update, { id: gone.id, input: { status: "SCHEDULED" } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: final("cancelled", "update"),
    });
  });

  it("complete rejects actualEnd before actualStart", async () => {
    const s = await fresh();
    expect(
      await rejected(
        M.complete,
        { id: s.id, input: { actualStart: iso(10, 0, day), actualEnd: iso(9, 0, day) } },
        provider,
      ),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "ENDS_BEFORE_START",
      fieldErrors: { actualEnd: "actualEnd must be after actualStart" },
    });
  });
});

describe(`rescheduling (${engine})`, () => {
  it("moves the session, keeps its length when only the start is given, and records where it was", async () => {
    const s = await fresh({ status: "CONFIRMED" });
    const moved = dataOf(
      await t.gql(M.reschedule, { id: s.id, startsAt: iso(14, 0, day), reason: "traffic" }, provider),
    ).rescheduleSession;
    expect(moved).toMatchObject({ startsAt: iso(14, 0, day), endsAt: iso(15, 0, day), status: "CONFIRMED" });
    const [event] = await eventsOf(t, p.tenant, s.id);
    expect(event).toMatchObject({ type: "RESCHEDULED" });
    expect(event.payload).toEqual({
      appointmentId: s.id,
      clientId: p.client.id,
      therapistId: p.provider.id,
      status: "CONFIRMED",
      sessionType: "THERAPY",
      modality: "IN_PERSON",
      rescheduledBy: p.provider.id,
      originalStartTime: iso(9, 0, day),
      newStartTime: iso(14, 0, day),
      // No rescheduleReason: an event carries no free text (issue 14).
      previousStartsAt: iso(9, 0, day),
      previousEndsAt: iso(10, 0, day),
      startsAt: iso(14, 0, day),
      endsAt: iso(15, 0, day),
    });
    const longer = dataOf(
      await t.gql(M.reschedule, { id: s.id, startsAt: iso(14, 0, day), durationMinutes: 90 }, provider),
    ).rescheduleSession;
    expect(longer.endsAt).toBe(iso(15, 30, day));
  });

  it("the client reschedules their own session (within the provider's hours)", async () => {
    const s = await fresh();
    expect(
      dataOf(await t.gql(M.reschedule, { id: s.id, startsAt: iso(16, 0, day), endsAt: iso(16, 30, day) }, client))
        .rescheduleSession.endsAt,
    ).toBe(iso(16, 30, day));
  });

  it("re-validates the new time: past, end before start, conflicts (the session itself is no conflict)", async () => {
    const s = await fresh();
    const blocker = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.otherClient.id,
      title: "Blocker",
      startsAt: at(12, 0, day),
      endsAt: at(13, 0, day),
    });
    expect(await rejected(M.reschedule, { id: s.id, startsAt: iso(9, 0, 5) }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "IN_THE_PAST",
      fieldErrors: { startsAt: "startsAt must not be in the past" },
    });
    expect(
      await rejected(M.reschedule, { id: s.id, startsAt: iso(11, 0, day), endsAt: iso(10, 0, day) }, provider),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "ENDS_BEFORE_START",
      fieldErrors: { endsAt: "endsAt must be after startsAt" },
    });
    expect(await rejected(M.reschedule, { id: s.id, startsAt: iso(12, 30, day) }, provider)).toEqual({
      code: "CONFLICT",
      reason: "SESSION_OVERLAP",
      message: `Scheduling conflict detected with session "Blocker" at ${iso(12, 0, day)}`,
      conflictingSessionId: blocker.id,
    });
    // Overlapping its own old interval is fine.
    expect(
      dataOf(await t.gql(M.reschedule, { id: s.id, startsAt: iso(9, 30, day) }, provider)).rescheduleSession.startsAt,
    ).toBe(iso(9, 30, day));
  });
});

describe(`updateSession (${engine})`, () => {
  it("changes only the fields given; an UPDATED event lists them", async () => {
    const s = await fresh({ notes: "keep", location: "Room 1" });
    const updated = dataOf(
      await t.gql(M.update, { id: s.id, input: { title: "Renamed", location: null } }, provider),
    ).updateSession;
    expect(updated).toMatchObject({
      title: "Renamed",
      location: null,
      notes: "keep",
      startsAt: iso(9, 0, day),
      status: "SCHEDULED",
    });
    const [event] = await eventsOf(t, p.tenant, s.id);
    expect(event).toMatchObject({ type: "UPDATED", payload: { changed: ["title", "location"] } });
  });

  it("the fitness-style PATCH: status COMPLETED with actual times; echoed times are no reschedule", async () => {
    const s = await fresh();
    const done = dataOf(
      await t.gql(
        M.update,
        {
          id: s.id,
          input: {
            status: "COMPLETED",
            startsAt: iso(9, 0, day),
            endsAt: iso(10, 0, day),
            actualStart: iso(9, 5, day),
            actualEnd: iso(10, 2, day),
            exercisesPerformed: "Sprints",
          },
        },
        provider,
      ),
    ).updateSession;
    expect(done).toMatchObject({ status: "COMPLETED", actualStart: iso(9, 5, day), exercisesPerformed: "Sprints" });
    expect((await eventsOf(t, p.tenant, s.id)).map((e) => e.type)).toEqual(["COMPLETED"]);
    expect((await eventsOf(t, p.tenant, s.id))[0].payload).toMatchObject({
      duration: 57,
      attendanceStatus: "ATTENDED",
    });
  });

  it("new times follow the reschedule rules; status CANCELLED records the cancellation", async () => {
    const s = await fresh();
    const moved = dataOf(
      await t.gql(M.update, { id: s.id, input: { startsAt: iso(15, 0, day), endsAt: iso(15, 45, day) } }, provider),
    ).updateSession;
    expect(moved).toMatchObject({ startsAt: iso(15, 0, day), endsAt: iso(15, 45, day) });
    const cancelled = dataOf(await t.gql(M.update, { id: s.id, input: { status: "CANCELLED" } }, client)).updateSession;
    expect(cancelled.cancellation).toMatchObject({
      cancelledAt: NOW.toISOString(),
      cancelledBy: { id: String(p.client.id) },
      reason: null,
    });
    expect((await eventsOf(t, p.tenant, s.id)).map((e) => e.type)).toEqual(["RESCHEDULED", "CANCELLED"]);
  });

  it("bad values: a status the state machine refuses, null type, an unknown plan", async () => {
    const s = await fresh({ status: "CONFIRMED" });
    expect(await rejected(M.update, { id: s.id, input: { status: "SCHEDULED" } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "INVALID_TRANSITION",
      message: "Cannot update this session: it is already confirmed; no session can go back to scheduled",
    });
    expect(await rejected(M.update, { id: s.id, input: { type: null } }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { type: "type cannot be null" },
    });
    expect(await rejected(M.update, { id: s.id, input: { treatmentPlanId: "99999999" } }, provider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Treatment plan not found",
    });
  });
});

describe(`who may change a session (${engine})`, () => {
  it("its client may not confirm, complete, mark no-show, delete, nor edit anything but time and status", async () => {
    const s = await fresh();
    for (const [query, action] of [
      [M.confirm, "confirm"],
      [M.complete, "complete"],
      [M.noShow, "mark as a no-show"],
      [M.delete, "delete"],
    ]) {
      expect(await rejected(query, { id: s.id }, client)).toMatchObject({
        code: "FORBIDDEN",
        message: `Only the session's provider or an administrator can ${action} it`,
      });
    }
    for (const input of [{ providerNotes: "x" }, { title: "x" }, { status: "CONFIRMED" }]) {
      expect(await rejected(M.update, { id: s.id, input }, client)).toMatchObject({
        code: "FORBIDDEN",
        message: "Clients can only reschedule or cancel their sessions",
      });
    }
  });

  // Issue 14: someone else's session is NOT_FOUND, exactly like another tenant's (it was FORBIDDEN).
  it("another client or another provider of the tenant, or another tenant: NOT_FOUND", async () => {
    const s = await fresh();
    expect(await rejected(M.cancel, { id: s.id }, otherClient)).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    expect(await rejected(M.confirm, { id: s.id }, otherProvider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    expect(await rejected(M.reschedule, { id: s.id, startsAt: iso(9, 0, 28) }, otherProvider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    expect(await rejected(M.cancel, { id: s.id }, foreigner)).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    expect(await rejected(M.delete, { id: s.id }, foreigner)).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
  });

  it("deleteSession is permanent: its provider or an admin; the outbox hears of it", async () => {
    const s = await fresh();
    expect(dataOf(await t.gql(M.delete, { id: s.id }, provider)).deleteSession).toBe(true);
    expect(await rowOf(s.id)).toBeUndefined();
    const [event] = await eventsOf(t, p.tenant, s.id);
    expect(event).toMatchObject({ type: "UPDATED", payload: { deleted: true, startsAt: iso(9, 0, day) } });
    expect(await rejected(M.delete, { id: s.id }, admin)).toMatchObject({
      code: "NOT_FOUND",
      message: "Session not found",
    });
    const s2 = await fresh();
    expect(dataOf(await t.gql(M.delete, { id: s2.id }, admin)).deleteSession).toBe(true);
  });
});
