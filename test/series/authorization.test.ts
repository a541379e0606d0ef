import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, treatmentPlans } from "../../src/db/schema/index.js";
import { eq } from "drizzle-orm";
import type { TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant } from "../helpers/factories.js";
import { seriesPractice, BOOK_SERIES, dataOf, errorOf, PREVIEW, seriesRows, snapshot } from "./series.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof seriesPractice>>["p"];
let provider: string;

beforeAll(async () => ({ t, p, provider } = await seriesPractice()));
afterAll(() => t.close());

/** Tuesday 2030-01-08 15:00 in New York (the practice's provider's zone). */
const TUESDAY_3PM = "2030-01-08T20:00:00.000Z";

async function plan(authorizedSessions: number | null, authorizedUntil: string | null = null) {
  const [row] = await asTenant(t.database, p.tenant.id, (tx) =>
    tx
      .insert(treatmentPlans)
      .values({ tenantId: p.tenant.id, title: "Course", clientId: p.client.id, authorizedSessions, authorizedUntil })
      .returning(),
  );
  return row;
}

const input = (planId: number, recurrence: string, conflictPolicy?: string, startsAt = TUESDAY_3PM) => ({
  input: {
    providerId: String(p.provider.id),
    treatmentPlanId: String(planId),
    startsAt,
    durationMinutes: 50,
    recurrence,
    ...(conflictPolicy ? { conflictPolicy } : {}),
  },
});

const countedOf = async (planId: number) =>
  (
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx.select().from(sessions).where(eq(sessions.treatmentPlanId, planId)),
    )
  ).filter((s) => s.status !== "CANCELLED").length;

describe(`series within a plan's authorization (${engine})`, () => {
  it("ALL_OR_NOTHING: more occurrences than authorized books nothing, PLAN_SESSION_LIMIT listing the excess ones", async () => {
    const limited = await plan(5);
    const before = { ...(await snapshot(t, p.tenant)), series: await seriesRows(t, p.tenant) };
    const error = errorOf(await t.gql(BOOK_SERIES, input(limited.id, "FREQ=WEEKLY;COUNT=8"), provider)) as ReturnType<
      typeof errorOf
    > & { reason: string; occurrences: { startsAt: string; reason: string }[] };
    expect(error.code).toBe("CONFLICT");
    expect(error.reason).toBe("PLAN_SESSION_LIMIT");
    expect(error.occurrences.map((o) => o.reason)).toEqual(Array(3).fill("PLAN_SESSION_LIMIT"));
    expect(new Date(error.occurrences[0].startsAt).toISOString()).toBe("2030-02-12T20:00:00.000Z");
    expect({ ...(await snapshot(t, p.tenant)), series: await seriesRows(t, p.tenant) }).toEqual(before);
  });

  it("SKIP_CONFLICTS books what is authorized, skips the rest with the reason and keeps them as exceptions; previewSeries agrees", async () => {
    const limited = await plan(5, "2030-02-12");
    const preview = dataOf(await t.gql(PREVIEW, input(limited.id, "FREQ=WEEKLY;COUNT=8"), provider)).previewSeries as {
      startsAt: string;
      bookable: boolean;
      reason: string | null;
    }[];
    // 2030-02-12 is the 6th Tuesday: five fit the count, the 6th is beyond it, the 7th and 8th after the last day.
    expect(preview.map((o) => o.reason)).toEqual([
      null,
      null,
      null,
      null,
      null,
      "PLAN_SESSION_LIMIT",
      "PLAN_EXPIRED",
      "PLAN_EXPIRED",
    ]);
    const booked = dataOf(
      await t.gql(BOOK_SERIES, input(limited.id, "FREQ=WEEKLY;COUNT=8", "SKIP_CONFLICTS"), provider),
    ).bookSeries as {
      series: { exceptions: string[] };
      sessions: { occurrenceIndex: number }[];
      skipped: { startsAt: string; reason: string }[];
    };
    expect(booked.sessions.map((s) => s.occurrenceIndex)).toEqual([1, 2, 3, 4, 5]);
    expect(booked.skipped.map((s) => s.reason)).toEqual(["PLAN_SESSION_LIMIT", "PLAN_EXPIRED", "PLAN_EXPIRED"]);
    expect(booked.series.exceptions.map((d) => new Date(d).toISOString())).toEqual(
      booked.skipped.map((s) => new Date(s.startsAt).toISOString()),
    );
    expect(await countedOf(limited.id)).toBe(5);
  });

  it("a plan with nothing left refuses the whole series even under SKIP_CONFLICTS", async () => {
    const full = await plan(0);
    const error = errorOf(
      await t.gql(
        BOOK_SERIES,
        input(full.id, "FREQ=WEEKLY;COUNT=3", "SKIP_CONFLICTS", "2030-01-09T20:00:00.000Z"),
        provider,
      ),
    );
    expect((error as { reason?: string }).reason).toBe("PLAN_SESSION_LIMIT");
    expect(await countedOf(full.id)).toBe(0);
  });
});
