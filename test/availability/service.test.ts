import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UserRow } from "../../src/db/schema/index.js";
import { DomainError, renderFieldErrors } from "../../src/errors.js";
import { httpContext } from "../../src/http/request-context.js";
import {
  assertBookableForClient,
  createAvailabilityOverride,
  createAvailabilityRule,
  dayAvailability,
  slotsForProviders,
  updateAvailabilityRule,
} from "../../src/modules/availability/index.js";
import type { RequestContext } from "../../src/modules/context.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice, makeSession, makeUser } from "../helpers/factories.js";

// Sunday 2026-02-01, 12:00Z.
const NOW = new Date("2026-02-01T12:00:00Z");

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let ny: UserRow;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  ny = await makeUser(t.database, p.tenant, "PROVIDER", {
    timeZone: "America/New_York",
    bufferMinutes: 15,
    minNoticeMinutes: 60,
  });
  // Monday 09:00–17:00 and Sunday 09:00–17:00 New York time; Monday 2026-03-09 off.
  await as(p.admin, async (ctx) => {
    await createAvailabilityRule(ctx, { providerId: ny.id, dayOfWeek: 1, startTime: "09:00", endTime: "17:00" });
    await createAvailabilityRule(ctx, { providerId: ny.id, dayOfWeek: 0, startTime: "09:00", endTime: "17:00" });
    await createAvailabilityOverride(ctx, { providerId: ny.id, date: "2026-03-09", isAvailable: false });
  });
  // Monday 2026-03-02: the provider is busy 15:00–16:00Z; the client has another provider 19:00–20:00Z.
  await makeSession(t.database, p.tenant, {
    providerId: ny.id,
    clientId: p.otherClient.id,
    startsAt: new Date("2026-03-02T15:00:00Z"),
    endsAt: new Date("2026-03-02T16:00:00Z"),
  });
  await makeSession(t.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    startsAt: new Date("2026-03-02T19:00:00Z"),
    endsAt: new Date("2026-03-02T20:00:00Z"),
  });
});
afterAll(() => t.close());

/** Runs fn with a real request context (the caller's own transaction), committed afterwards. */
async function as<T>(user: UserRow, fn: (ctx: RequestContext) => Promise<T>): Promise<T> {
  const ctx = await httpContext(t.app.deps, t.app.auth, { authorization: `Bearer ${await t.token(user, p.tenant)}` });
  try {
    return await fn(ctx);
  } finally {
    await ctx.db.finish(true);
  }
}

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

/** Field errors as text, as GraphQL shows them. */
const renderedFieldErrors = (err: DomainError) => renderFieldErrors(err.details.fieldErrors ?? {});

const booking = (startsAt: string, endsAt: string, extra: { excludeSessionId?: number; clientId?: number } = {}) => ({
  providerId: ny.id,
  clientId: extra.clientId ?? p.client.id,
  startsAt: new Date(startsAt),
  endsAt: new Date(endsAt),
  excludeSessionId: extra.excludeSessionId,
});

describe(`assertBookableForClient (${engine})`, () => {
  it("accepts a booking inside availability, off the 30-minute grid too", async () => {
    await as(p.client, async (ctx) => {
      await expect(
        assertBookableForClient(ctx, booking("2026-03-02T14:00:00Z", "2026-03-02T14:30:00Z")),
      ).resolves.toBeUndefined();
      await expect(
        assertBookableForClient(ctx, booking("2026-03-02T16:40:00Z", "2026-03-02T17:25:00Z")),
      ).resolves.toBeUndefined();
      // Up to the end of the working hours (17:00 EST = 22:00Z).
      await expect(
        assertBookableForClient(ctx, booking("2026-03-02T21:00:00Z", "2026-03-02T22:00:00Z")),
      ).resolves.toBeUndefined();
    });
  });

  it("rejects, with the exact message on startsAt, bookings outside hours, over busy times, in the past or too soon", async () => {
    const rejected = [
      [booking("2026-03-02T13:30:00Z", "2026-03-02T14:30:00Z"), "OUTSIDE_AVAILABILITY"], // starts before 09:00 local
      [booking("2026-03-02T21:30:00Z", "2026-03-02T22:30:00Z"), "OUTSIDE_AVAILABILITY"], // runs past 17:00 local
      [booking("2026-03-03T15:00:00Z", "2026-03-03T16:00:00Z"), "OUTSIDE_AVAILABILITY"], // Tuesday: no rule
      [booking("2026-03-09T14:00:00Z", "2026-03-09T15:00:00Z"), "OUTSIDE_AVAILABILITY"], // the day off
      [booking("2026-03-02T15:30:00Z", "2026-03-02T16:00:00Z"), "OUTSIDE_AVAILABILITY"], // the provider's session
      [booking("2026-03-02T16:00:00Z", "2026-03-02T16:30:00Z"), "OUTSIDE_AVAILABILITY"], // inside the 15-minute buffer after it
      [booking("2026-03-02T14:30:00Z", "2026-03-02T14:50:00Z"), "OUTSIDE_AVAILABILITY"], // inside the buffer before it
      [booking("2026-03-02T19:30:00Z", "2026-03-02T20:30:00Z"), "OUTSIDE_AVAILABILITY"], // the client's session with another provider
      [booking("2026-02-01T12:30:00Z", "2026-02-01T13:00:00Z"), "OUTSIDE_AVAILABILITY"], // Sunday, but before 09:00 local (and too soon)
      [booking("2026-02-01T14:30:00Z", "2026-02-01T14:00:00Z"), "OUTSIDE_AVAILABILITY"], // ends before it starts
      [booking("2026-01-25T14:00:00Z", "2026-01-25T15:00:00Z"), "IN_THE_PAST"], // last Sunday: the past
    ] as const;
    await as(p.client, async (ctx) => {
      for (const [input, reason] of rejected) {
        const err = await domainError(assertBookableForClient(ctx, input));
        expect({
          code: err.code,
          reason: err.reason,
          message: err.message,
          fieldErrors: renderedFieldErrors(err),
        }).toEqual({
          code: "BAD_USER_INPUT",
          reason,
          message: "the therapist is not available at the requested time",
          fieldErrors: { startsAt: "the therapist is not available at the requested time" },
        });
      }
    });
  });

  it("minimum notice: with 150 minutes and now 12:00Z, 14:00Z today is too soon and 14:30Z is fine", async () => {
    const sunday = await makeUser(t.database, p.tenant, "PROVIDER", { timeZone: "UTC", minNoticeMinutes: 150 });
    await as(p.admin, (ctx) =>
      createAvailabilityRule(ctx, { providerId: sunday.id, dayOfWeek: 0, startTime: "08:00", endTime: "20:00" }),
    );
    await as(p.client, async (ctx) => {
      const at = (h: string) => ({
        providerId: sunday.id,
        clientId: p.client.id,
        startsAt: new Date(`2026-02-01T${h}:00Z`),
        endsAt: new Date(`2026-02-01T${h.slice(0, 2)}:59Z`),
      });
      expect((await domainError(assertBookableForClient(ctx, at("14:00")))).code).toBe("BAD_USER_INPUT");
      expect((await domainError(assertBookableForClient(ctx, at("14:00")))).reason).toBe("MIN_NOTICE");
      await expect(assertBookableForClient(ctx, at("14:30"))).resolves.toBeUndefined();
    });
  });

  it("excludeSessionId: a session does not block its own reschedule", async () => {
    const own = await makeSession(t.database, p.tenant, {
      providerId: ny.id,
      clientId: p.client.id,
      startsAt: new Date("2026-03-16T14:00:00Z"),
      endsAt: new Date("2026-03-16T15:00:00Z"),
    });
    await as(p.client, async (ctx) => {
      const moved = booking("2026-03-16T14:30:00Z", "2026-03-16T15:30:00Z");
      expect((await domainError(assertBookableForClient(ctx, moved))).code).toBe("BAD_USER_INPUT");
      await expect(assertBookableForClient(ctx, { ...moved, excludeSessionId: own.id })).resolves.toBeUndefined();
    });
  });

  it("an unknown provider is NOT_FOUND", async () => {
    await as(p.client, async (ctx) => {
      expect(
        (
          await domainError(
            assertBookableForClient(ctx, {
              ...booking("2026-03-02T14:00:00Z", "2026-03-02T14:30:00Z"),
              providerId: p.client.id,
            }),
          )
        ).code,
      ).toBe("NOT_FOUND");
    });
  });
});

describe(`slotsForProviders (${engine})`, () => {
  it("answers many providers with one batched user lookup, one schedule query and one busy query", async () => {
    const zones = ["America/New_York", "Asia/Kolkata", "Europe/Berlin", "UTC", "Australia/Sydney"];
    const many = await Promise.all(zones.map((timeZone) => makeUser(t.database, p.tenant, "PROVIDER", { timeZone })));
    await as(p.admin, async (ctx) => {
      for (const u of many)
        await createAvailabilityRule(ctx, { providerId: u.id, dayOfWeek: 1, startTime: "09:00", endTime: "10:00" });
    });
    const result = await as(p.admin, async (ctx) => {
      await ctx.db.run(async () => undefined); // the request transaction is open before counting
      const before = t.database.statements;
      const answer = await slotsForProviders(ctx, [...many.map((u) => u.id), ny.id], "2026-03-02", "2026-03-08", {
        durations: [60],
      });
      expect(t.database.statements - before).toBe(3);
      return answer;
    });
    expect(result.map((r) => r.providerId)).toEqual([...many.map((u) => u.id), ny.id]);
    const firstStart = (i: number) => result[i].days[0].slots[0]?.startsAt.toISOString();
    expect([0, 1, 2, 3].map(firstStart)).toEqual([
      "2026-03-02T14:00:00.000Z",
      "2026-03-02T03:30:00.000Z",
      "2026-03-02T08:00:00.000Z",
      "2026-03-02T09:00:00.000Z",
    ]);
    expect(firstStart(4)).toBe("2026-03-01T22:00:00.000Z"); // Sydney is UTC+11 in March
    expect(result[0].days).toHaveLength(7);
    expect(result[0].days[0].slots.map((s) => s.availableDurations)).toEqual([[60]]);
    // ny: busy 15:00–16:00Z with a 15-minute buffer: 14:00 fits 30 minutes only, so not 60.
    expect(result[5].days[0].slots[0].startsAt.toISOString()).toBe("2026-03-02T16:30:00.000Z");
  });

  it("validates like availableSlots", async () => {
    await as(p.admin, async (ctx) => {
      expect(
        (await domainError(slotsForProviders(ctx, [ny.id], "2026-03-02", "2026-05-03"))).details.fieldErrors,
      ).toHaveProperty("to");
      expect((await domainError(slotsForProviders(ctx, [ny.id, 99_999_999], "2026-03-02"))).code).toBe("NOT_FOUND");
      expect(
        (await domainError(slotsForProviders(ctx, [ny.id], "2026-03-02", null, { durations: [481] }))).details
          .fieldErrors,
      ).toHaveProperty("durations");
    });
  });
});

describe(`service validation with raw strings (REST shims) (${engine})`, () => {
  it("re-validates HH:MM and day of week, whatever the transport let through", async () => {
    await as(p.admin, async (ctx) => {
      const bad = [
        [{ startTime: "9:00" }, "startTime"],
        [{ endTime: "17:00:00" }, "endTime"],
        [{ startTime: "24:00" }, "startTime"],
        [{ dayOfWeek: 1.5 }, "dayOfWeek"],
        [{ dayOfWeek: "1" }, "dayOfWeek"],
      ] as const;
      for (const [patch, field] of bad) {
        const input = { providerId: ny.id, dayOfWeek: 3, startTime: "09:00", endTime: "17:00", ...patch } as Parameters<
          typeof createAvailabilityRule
        >[1];
        const err = await domainError(createAvailabilityRule(ctx, input));
        expect(err.code).toBe("BAD_USER_INPUT");
        expect(err.details.fieldErrors).toHaveProperty(field);
      }
      const rule = await createAvailabilityRule(ctx, {
        providerId: ny.id,
        dayOfWeek: 3,
        startTime: "09:00",
        endTime: "17:00",
      });
      expect(
        (await domainError(updateAvailabilityRule(ctx, rule.id, { startTime: "9am" }))).details.fieldErrors,
      ).toHaveProperty("startTime");
      expect(
        (
          await domainError(
            createAvailabilityOverride(ctx, { providerId: ny.id, date: "2026-02-30", isAvailable: false }),
          )
        ).details.fieldErrors,
      ).toHaveProperty("date");
    });
  });
});

describe(`dayAvailability (the fitness API's view) (${engine})`, () => {
  it("returns the free intervals and the day's booked sessions with titles for those who may see them", async () => {
    const trainer = await makeUser(t.database, p.tenant, "PROVIDER", { timeZone: "America/New_York" });
    const s1 = await makeSession(t.database, p.tenant, {
      providerId: trainer.id,
      clientId: p.client.id,
      title: "Personal Training - John Doe",
      startsAt: new Date("2026-03-11T14:00:00Z"),
      endsAt: new Date("2026-03-11T15:00:00Z"),
    });
    const s2 = await makeSession(t.database, p.tenant, {
      providerId: trainer.id,
      clientId: p.otherClient.id,
      title: "Group Class - HIIT",
      startsAt: new Date("2026-03-11T18:00:00Z"),
      endsAt: new Date("2026-03-11T19:30:00Z"),
    });
    const asTrainer = await as(trainer, (ctx) =>
      dayAvailability(ctx, { providerId: trainer.id, date: "2026-03-11", minDurationMinutes: 90 }),
    );
    expect(asTrainer).toEqual({
      date: "2026-03-11",
      timeZone: "America/New_York",
      defaultHours: true,
      free: [
        { startsAt: new Date("2026-03-11T12:00:00Z"), endsAt: new Date("2026-03-11T14:00:00Z"), durationMinutes: 120 },
        { startsAt: new Date("2026-03-11T15:00:00Z"), endsAt: new Date("2026-03-11T18:00:00Z"), durationMinutes: 180 },
        { startsAt: new Date("2026-03-11T19:30:00Z"), endsAt: new Date("2026-03-12T00:00:00Z"), durationMinutes: 270 },
      ],
      booked: [
        { sessionId: s1.id, startsAt: s1.startsAt, endsAt: s1.endsAt, title: "Personal Training - John Doe" },
        { sessionId: s2.id, startsAt: s2.startsAt, endsAt: s2.endsAt, title: "Group Class - HIIT" },
      ],
    });
    const asClient = await as(p.client, (ctx) => dayAvailability(ctx, { providerId: trainer.id, date: "2026-03-11" }));
    expect(asClient.booked.map((b) => b.title)).toEqual(["Personal Training - John Doe", null]);
  });
});
