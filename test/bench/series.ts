/**
 * Scenario 5s (issue 17): a weekly course of 52 occurrences booked as one bookSeries, one
 * request after another (each its own transaction), against a 100 ms p50 target on PostgreSQL.
 * Statements per booking come from the server's own counter (GET /metrics), read between
 * requests while nothing else runs.
 */
import type postgres from "postgres";
import { percentile, sortedOf } from "./load.js";
import { graphql } from "./requests.js";
import { BENCH_TITLE_PREFIX } from "./booking.js";

export const BOOK_SERIES = `mutation BenchBookSeries($input: BookSeriesInput!) {
  bookSeries(input: $input) { series { id } sessions { id } skipped { reason } } }`;

export const SERIES_OCCURRENCES = 52;

export interface SeriesBookingResult {
  bookings: number;
  failures: string[];
  p50Ms: number;
  p99Ms: number;
  /** Statements per booking (BEGIN/COMMIT not counted), median; undefined without /metrics. */
  statementsPerBooking?: number;
}

/**
 * Books `rounds` weekly series of 52 (one per client, each an hour later on the same weekday as
 * `firstStart`, so none collides with another), then removes them (sessions by title, then the
 * series left without sessions).
 */
export async function seriesBookings(
  sql: postgres.Sql,
  baseUrl: string,
  adminToken: string,
  options: {
    providerId: number;
    clientIds: number[];
    firstStart: Date;
    statementsNow: () => Promise<number | undefined>;
  },
): Promise<SeriesBookingResult> {
  const latencies: number[] = [];
  const statements: number[] = [];
  const failures: string[] = [];
  for (const [i, clientId] of options.clientIds.entries()) {
    const input = {
      providerId: String(options.providerId),
      clientId: String(clientId),
      startsAt: new Date(options.firstStart.getTime() + i * 3_600_000).toISOString(),
      durationMinutes: 50,
      recurrence: `FREQ=WEEKLY;COUNT=${SERIES_OCCURRENCES}`,
      title: `${BENCH_TITLE_PREFIX}series ${i}`,
    };
    const before = await options.statementsNow();
    const t0 = performance.now();
    const response = await graphql<{ bookSeries: { sessions: { id: string }[] } }>(baseUrl, adminToken, BOOK_SERIES, {
      input,
    });
    latencies.push(performance.now() - t0);
    const after = await options.statementsNow();
    if (before !== undefined && after !== undefined) statements.push(after - before);
    if (response.data?.bookSeries?.sessions.length !== SERIES_OCCURRENCES)
      failures.push(`HTTP ${response.status}: ${response.text.slice(0, 200)}`);
  }
  await sql`delete from sessions where title like ${`${BENCH_TITLE_PREFIX}series %`}`;
  await sql`delete from session_series s where s.provider_id = ${options.providerId}
              and not exists (select 1 from sessions o where o.series_id = s.id)`;
  const sorted = sortedOf(latencies);
  return {
    bookings: latencies.length,
    failures,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    statementsPerBooking: statements.length ? percentile(sortedOf(statements), 50) : undefined,
  };
}
