import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treatmentPlans } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import { at, BOOK, dataOf, errorOf, eventsOf, iso, NOW, openAllWeek, snapshot } from "./sessions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let other: Awaited<ReturnType<typeof makePractice>>;
let admin: string, provider: string, client: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  other = await makePractice(t.database);
  [admin, provider, client] = await Promise.all([p.admin, p.provider, p.client].map((u) => t.token(u, p.tenant)));
  await openAllWeek(t, p.tenant, p.provider);
});
afterAll(() => t.close());

const book = (input: Record<string, unknown>, token: string) => t.gql(BOOK, { input }, token);

/** Runs a call that must fail and shows that no session and no event was written. */
async function rejected(input: Record<string, unknown>, token: string) {
  const before = await snapshot(t, p.tenant);
  const error = errorOf(await book(input, token));
  expect(await snapshot(t, p.tenant)).toEqual(before);
  return error;
}

describe(`bookSession (${engine})`, () => {
  it("a provider books for a client: provider defaults to the caller, start + end; BOOKED event with the documented fields", async () => {
    const { bookSession: s } = dataOf(
      await book(
        {
          clientId: p.client.id,
          startsAt: iso(9),
          endsAt: iso(10),
          title: "Intake",
          description: "First talk",
          modality: "VIDEO",
          type: "CONSULTATION",
          location: "Room 2",
          notes: "n",
          providerNotes: "private",
        },
        provider,
      ),
    );
    expect(s).toMatchObject({
      title: "Intake",
      type: "CONSULTATION",
      modality: "VIDEO",
      startsAt: iso(9),
      endsAt: iso(10),
      durationMinutes: 60,
      status: "SCHEDULED",
      providerNotes: "private",
      provider: { id: String(p.provider.id) },
      client: { id: String(p.client.id) },
      treatmentPlan: null,
      cancellation: null,
      timing: { phase: "UPCOMING", timeUntilStartSeconds: 21 * 3600, timeRemainingSeconds: null, canJoin: false },
    });
    const [event] = await eventsOf(t, p.tenant, Number(s.id));
    expect(event).toMatchObject({
      type: "BOOKED",
      tenantId: p.tenant.id,
      sessionId: Number(s.id),
      providerId: p.provider.id,
      clientId: p.client.id,
    });
    expect(event.payload).toEqual({
      appointmentId: Number(s.id),
      clientId: p.client.id,
      therapistId: p.provider.id,
      status: "SCHEDULED",
      sessionType: "CONSULTATION",
      modality: "VIDEO",
      startTime: iso(9),
      meetingType: "video",
      duration: 60,
      // No title or description: an event carries no clinical text (issue 14).
      isInitialConsultation: true,
      startsAt: iso(9),
      endsAt: iso(10),
    });
    // The second non-cancelled session of the pair is no initial consultation.
    const second = dataOf(
      await book({ clientId: p.client.id, startsAt: iso(11), durationMinutes: 30 }, provider),
    ).bookSession;
    expect(second).toMatchObject({
      endsAt: iso(11, 30),
      durationMinutes: 30,
      type: "THERAPY",
      modality: "IN_PERSON",
      title: null,
    });
    const [event2] = await eventsOf(t, p.tenant, Number(second.id));
    expect(event2.payload).toMatchObject({ isInitialConsultation: false, duration: 30, meetingType: "in_person" });
  });

  it("a client books for themself with a provider they are in care with; providerNotes are hidden from them", async () => {
    const { bookSession: s } = dataOf(
      await book({ providerId: p.provider.id, startsAt: iso(9, 0, 8), durationMinutes: 45 }, client),
    );
    expect(s).toMatchObject({
      client: { id: String(p.client.id) },
      provider: { id: String(p.provider.id) },
      endsAt: iso(9, 45, 8),
      providerNotes: null,
    });
  });

  it("an admin books for any provider and client", async () => {
    const { bookSession: s } = dataOf(
      await book(
        { providerId: p.provider.id, clientId: p.otherClient.id, startsAt: iso(13, 0, 8), endsAt: iso(14, 0, 8) },
        admin,
      ),
    );
    expect(s.client.id).toBe(String(p.otherClient.id));
  });

  it("bad times: end not after start, start in the past, both end and duration, no end, a bad duration", async () => {
    expect(await rejected({ clientId: p.client.id, startsAt: iso(15), endsAt: iso(15) }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "ENDS_BEFORE_START",
      message: "endsAt must be after startsAt",
      fieldErrors: { endsAt: "endsAt must be after startsAt" },
    });
    expect(
      await rejected({ clientId: p.client.id, startsAt: iso(11, 0, 6), endsAt: iso(12, 0, 6) }, provider),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "IN_THE_PAST",
      message: "startsAt must not be in the past",
      fieldErrors: { startsAt: "startsAt must not be in the past" },
    });
    expect(
      await rejected({ clientId: p.client.id, startsAt: iso(15), endsAt: iso(16), durationMinutes: 60 }, provider),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { durationMinutes: "give either endsAt or durationMinutes, not both" },
    });
    expect(await rejected({ clientId: p.client.id, startsAt: iso(15) }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { endsAt: "endsAt or durationMinutes is required" },
    });
    expect(await rejected({ clientId: p.client.id, startsAt: iso(15), durationMinutes: 0 }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { durationMinutes: "durationMinutes must be a whole number from 1 to 1440" },
    });
    expect(await rejected({ clientId: p.client.id, startsAt: iso(15), endsAt: iso(16, 0, 8) }, provider)).toMatchObject(
      {
        code: "BAD_USER_INPUT",
        fieldErrors: { endsAt: "a session cannot last more than 24 hours" },
      },
    );
    // Every problem at once.
    expect(
      await rejected({ clientId: p.client.id, startsAt: iso(11, 0, 6), endsAt: iso(10, 0, 6) }, provider),
    ).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { endsAt: "endsAt must be after startsAt", startsAt: "startsAt must not be in the past" },
    });
  });

  it("missing people: no provider for an admin, no client for a provider", async () => {
    expect(await rejected({ clientId: p.client.id, startsAt: iso(15), durationMinutes: 60 }, admin)).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "providerId is required",
      fieldErrors: { providerId: "providerId is required" },
    });
    expect(await rejected({ startsAt: iso(15), durationMinutes: 60 }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { clientId: "clientId or treatmentPlanId is required" },
    });
    expect(await rejected({ clientId: "abc", startsAt: iso(15), durationMinutes: 60 }, provider)).toMatchObject({
      code: "BAD_USER_INPUT",
      fieldErrors: { clientId: 'clientId must be a numeric id, got "abc"' },
    });
  });

  it("unknown provider, client or plan is NOT_FOUND; so is another tenant's, and a user of the wrong role", async () => {
    const base = { startsAt: iso(15), durationMinutes: 60 };
    expect(await rejected({ ...base, providerId: 99999999, clientId: p.client.id }, admin)).toMatchObject({
      code: "NOT_FOUND",
      message: "Provider not found",
    });
    expect(await rejected({ ...base, providerId: other.provider.id, clientId: p.client.id }, admin)).toMatchObject({
      code: "NOT_FOUND",
      message: "Provider not found",
    });
    expect(await rejected({ ...base, providerId: p.client.id, clientId: p.client.id }, admin)).toMatchObject({
      code: "NOT_FOUND",
      message: "Provider not found",
    });
    expect(await rejected({ ...base, clientId: 99999999 }, provider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Client not found",
    });
    expect(await rejected({ ...base, clientId: other.client.id }, provider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Client not found",
    });
    expect(await rejected({ ...base, treatmentPlanId: 99999999 }, provider)).toMatchObject({
      code: "NOT_FOUND",
      message: "Treatment plan not found",
    });
  });

  it("a client books only for themself and only with a provider they are in care with; a provider only for themself", async () => {
    const base = { providerId: p.provider.id, startsAt: iso(16), durationMinutes: 60 };
    expect(await rejected({ ...base, clientId: p.otherClient.id }, client)).toMatchObject({
      code: "FORBIDDEN",
      message: "Clients can book sessions only for themselves",
    });
    // A client of the practice never booked by an admin (an admin's booking puts the client in care, issue 14).
    const outsider = await t.token(await makeUser(t.database, p.tenant, "CLIENT"), p.tenant);
    expect(await rejected(base, outsider)).toMatchObject({
      code: "FORBIDDEN",
      message: "You can only book sessions with a provider you are in care with",
    });
    const secondProvider = await makeUser(t.database, p.tenant, "PROVIDER");
    expect(await rejected({ ...base, providerId: secondProvider.id, clientId: p.client.id }, provider)).toMatchObject({
      code: "FORBIDDEN",
      message: "Providers can book sessions only for themselves",
    });
    expect(await rejected({ ...base, providerNotes: "mine" }, client)).toMatchObject({
      code: "FORBIDDEN",
      message: "Clients cannot write provider notes",
    });
  });

  it("a client books only within the provider's availability; the provider may book outside it", async () => {
    const closed = await makeUser(t.database, p.tenant, "PROVIDER");
    await relate(t.database, p.tenant, closed, p.client);
    const input = { providerId: closed.id, startsAt: iso(10, 0, 9), durationMinutes: 60 };
    expect(await rejected(input, client)).toMatchObject({
      code: "BAD_USER_INPUT",
      message: "the therapist is not available at the requested time",
    });
    const byProvider = await book(
      { ...input, providerId: undefined, clientId: p.client.id },
      await t.token(closed, p.tenant),
    );
    expect(dataOf(byProvider).bookSession.startsAt).toBe(iso(10, 0, 9));
  });

  it("with a treatment plan: the client comes from the plan; an unmatched plan is the documented BAD_USER_INPUT", async () => {
    const matched = await makeUser(t.database, p.tenant, "CLIENT", { username: "john.doe", name: "John Doe" });
    const [plan, unmatched, explicit] = await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .insert(treatmentPlans)
        .values([
          { tenantId: p.tenant.id, clientRef: "john.doe", clientName: "Somebody Else" },
          { tenantId: p.tenant.id, clientRef: "CLIENT999", clientName: "Nobody Known" },
          { tenantId: p.tenant.id, clientId: p.otherClient.id, clientRef: "john.doe" },
        ])
        .returning(),
    );
    const s = dataOf(
      await book({ treatmentPlanId: plan.id, startsAt: iso(9, 0, 10), durationMinutes: 60 }, provider),
    ).bookSession;
    expect(s).toMatchObject({ client: { id: String(matched.id) }, treatmentPlan: { id: String(plan.id) } });
    // The plan's explicit client wins over matching.
    const e = dataOf(
      await book({ treatmentPlanId: explicit.id, startsAt: iso(11, 0, 10), durationMinutes: 60 }, provider),
    ).bookSession;
    expect(e.client.id).toBe(String(p.otherClient.id));
    // A client given directly wins over the plan.
    const d = dataOf(
      await book(
        { treatmentPlanId: unmatched.id, clientId: p.client.id, startsAt: iso(13, 0, 10), durationMinutes: 60 },
        provider,
      ),
    ).bookSession;
    expect(d).toMatchObject({ client: { id: String(p.client.id) }, treatmentPlan: { id: String(unmatched.id) } });

    const message =
      'Could not find a client user matching treatment plan client_id "CLIENT999" or client_name "Nobody Known". Please specify client manually.';
    expect(
      await rejected({ treatmentPlanId: unmatched.id, startsAt: iso(15, 0, 10), durationMinutes: 60 }, provider),
    ).toEqual({
      code: "BAD_USER_INPUT",
      reason: "VALIDATION",
      message,
      fieldErrors: { treatmentPlanId: message },
    });
  });
});

describe(`booking conflicts (${engine})`, () => {
  it("an overlap with the provider's or the client's active session is CONFLICT naming it; back-to-back is fine", async () => {
    const c2 = await makeUser(t.database, p.tenant, "CLIENT");
    const taken = await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: c2.id,
      title: "Personal Training Session",
      startsAt: at(9, 0, 14),
      endsAt: at(10, 0, 14),
    });
    const conflict = await rejected({ clientId: p.client.id, startsAt: iso(9, 30, 14), durationMinutes: 60 }, provider);
    expect(conflict).toEqual({
      code: "CONFLICT",
      reason: "SESSION_OVERLAP",
      message: `Scheduling conflict detected with session "Personal Training Session" at ${iso(9, 0, 14)}`,
      conflictingSessionId: taken.id,
    });
    // The same client with another provider.
    const p2 = await makeUser(t.database, p.tenant, "PROVIDER");
    const clientBusy = await rejected(
      { providerId: p2.id, clientId: c2.id, startsAt: iso(8, 30, 14), durationMinutes: 60 },
      admin,
    );
    expect(clientBusy).toMatchObject({ code: "CONFLICT", conflictingSessionId: taken.id });
    expect(
      dataOf(await book({ clientId: p.client.id, startsAt: iso(10, 0, 14), durationMinutes: 60 }, provider)).bookSession
        .startsAt,
    ).toBe(iso(10, 0, 14));
    expect(
      dataOf(await book({ clientId: p.client.id, startsAt: iso(8, 0, 14), durationMinutes: 60 }, provider)).bookSession
        .endsAt,
    ).toBe(iso(9, 0, 14));
  });

  // Issue 14: a client learns nothing of the other session (it had its time and id).
  it("a client is told only that the time is taken: no title, time or id of the provider's session with someone else", async () => {
    const c2 = await makeUser(t.database, p.tenant, "CLIENT");
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: c2.id,
      title: "Private matter",
      startsAt: at(9, 0, 15),
      endsAt: at(10, 0, 15),
    });
    expect(await rejected({ providerId: p.provider.id, startsAt: iso(9, 0, 15), durationMinutes: 30 }, client)).toEqual(
      {
        code: "CONFLICT",
        reason: "SESSION_OVERLAP",
        message: "That time is no longer available",
      },
    );
  });

  it("cancelled and completed sessions do not hold their slot", async () => {
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      status: "CANCELLED",
      startsAt: at(9, 0, 16),
      endsAt: at(10, 0, 16),
    });
    await makeSession(t.database, p.tenant, {
      providerId: p.provider.id,
      clientId: p.client.id,
      status: "COMPLETED",
      startsAt: at(11, 0, 16),
      endsAt: at(12, 0, 16),
    });
    dataOf(await book({ clientId: p.client.id, startsAt: iso(9, 0, 16), durationMinutes: 60 }, provider));
    dataOf(await book({ clientId: p.client.id, startsAt: iso(11, 0, 16), durationMinutes: 60 }, provider));
  });
});
