/** Scenario 5: many clients race for one provider's slot; the database lets exactly one win. */
import type postgres from "postgres";
import { percentile, sortedOf } from "./load.js";
import { BOOK_SESSION, graphql } from "./requests.js";

export const BENCH_TITLE_PREFIX = "Bench ";

export interface ContentionResult {
  successes: number;
  conflicts: number;
  others: number;
  otherSamples: string[];
  p50Ms: number;
  p99Ms: number;
  /** Active sessions the database holds in the slot afterwards (must be 1). */
  activeInSlot: number;
}

/** Removes what earlier runs of scenarios 5 and 6 booked (a kept database starts clean). */
export async function removeBenchBookings(sql: postgres.Sql): Promise<void> {
  await sql`delete from sessions where title like ${`${BENCH_TITLE_PREFIX}%`}`;
}

export async function bookingContention(
  sql: postgres.Sql,
  baseUrl: string,
  adminToken: string,
  slot: { providerId: number; clientIds: number[]; startsAt: Date; durationMinutes: number },
): Promise<ContentionResult> {
  const latencies: number[] = [];
  const outcomes = await Promise.all(
    slot.clientIds.map(async (clientId, i) => {
      const input = {
        providerId: String(slot.providerId),
        clientId: String(clientId),
        startsAt: slot.startsAt.toISOString(),
        durationMinutes: slot.durationMinutes,
        title: `${BENCH_TITLE_PREFIX}contention ${i}`,
      };
      const t0 = performance.now();
      const response = await graphql<{ bookSession: { id: string } }>(baseUrl, adminToken, BOOK_SESSION, { input });
      latencies.push(performance.now() - t0);
      if (response.data?.bookSession?.id) return "success";
      if (response.errors?.[0]?.extensions?.code === "CONFLICT") return "conflict";
      return `HTTP ${response.status}: ${response.text.slice(0, 200)}`;
    }),
  );
  const others = outcomes.filter((o) => o !== "success" && o !== "conflict");
  const [{ active }] = await sql<{ active: number }[]>`
    select count(*)::int as active from sessions
     where provider_id = ${slot.providerId} and status in ('SCHEDULED', 'CONFIRMED')
       and tstzrange(starts_at, ends_at, '[)') && tstzrange(${slot.startsAt.toISOString()}::timestamptz, ${new Date(slot.startsAt.getTime() + slot.durationMinutes * 60_000).toISOString()}::timestamptz, '[)')`;
  const sorted = sortedOf(latencies);
  return {
    successes: outcomes.filter((o) => o === "success").length,
    conflicts: outcomes.filter((o) => o === "conflict").length,
    others: others.length,
    otherSamples: [...new Set(others)].slice(0, 3),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    activeInSlot: active,
  };
}
