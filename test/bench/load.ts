/** Load generators (autocannon for HTTP, a closed loop for anything else) and their statistics. */
import autocannon from "autocannon";
import type { CpuSplit } from "./cpu.js";

/** One row of the bench's table. */
export interface BenchRow {
  id: string;
  scenario: string;
  requestsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  errors?: number;
  /** CPU time per request of the server, the database's backends and the bench process (load generator). */
  cpu?: CpuSplit;
  /** SQL statements the database executes per request, BEGIN/COMMIT included (measured in-process). */
  statements?: number;
  notes: string;
  skipped?: string;
  details?: Record<string, unknown>;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The first few error descriptions. */
  errorSamples: string[];
}

export interface HttpLoad {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** Every response must be exactly this body (counted as an error otherwise). */
  expectBody: string;
  connections: number;
  seconds: number;
}

/** autocannon at a fixed number of connections; latencies recorded with sub-millisecond precision. */
export function httpLoad(load: HttpLoad): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const errorSamples: string[] = [];
    const started = performance.now();
    const instance = autocannon(
      {
        url: load.url,
        method: load.method,
        headers: load.headers,
        body: load.body,
        connections: load.connections,
        duration: load.seconds,
        expectBody: load.expectBody,
      },
      (err, result) => {
        if (err) return reject(err);
        const seconds = (performance.now() - started) / 1000;
        const errors = result.errors + result.timeouts + result.non2xx + result.mismatches;
        resolve({ ...summarize(latencies, seconds), errors, errorSamples });
      },
    );
    instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      if (statusCode >= 300 && errorSamples.length < 3) errorSamples.push(`HTTP ${statusCode}`);
    });
    instance.on("reqError", (err: Error) => {
      if (errorSamples.length < 3) errorSamples.push(err.message);
    });
    // Emitted by autocannon 9, missing from @types/autocannon.
    (instance as NodeJS.EventEmitter).on("reqMismatch", (body: unknown) => {
      if (errorSamples.length < 3) errorSamples.push(`unexpected body: ${String(body).slice(0, 200)}`);
    });
  });
}

/**
 * `concurrency` loops calling fn back to back for `seconds`: the same closed loop autocannon runs.
 * fn learns which loop calls it (0 to concurrency - 1), so that each loop can be its own client.
 * A call that throws counts as an error; the others' latencies come back too (to add up rounds).
 */
export async function closedLoop(
  fn: (loop: number) => Promise<void>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult & { latencies: number[] }> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await fn(loop);
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors += 1;
          if (errorSamples.length < 3) errorSamples.push((err as Error).message);
        }
      }
    }),
  );
  return { ...summarize(latencies, (performance.now() - started) / 1000), errors, errorSamples, latencies };
}

function summarize(latencies: number[], seconds: number) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

/** Nearest-rank percentile of ascending values (NaN when there are none). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function sortedOf(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}
