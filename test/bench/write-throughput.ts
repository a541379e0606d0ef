/**
 * Row W of `npm run bench` (`--only W`): bookSession by `connections` clients at once, each
 * booking its own provider's consecutive slots (no two bookings collide), over HTTP against the
 * server as a child process. Four cells: one tenant with `connections` providers versus
 * `connections` tenants of one provider each (what a tenant-wide lock costs), with the wake-up
 * signal on PostgreSQL's NOTIFY versus Redis pub/sub (NOTIFY serializes every notifying commit
 * of the cluster on one lock).
 *
 * It makes its own database (WRITE_BENCH_DATABASE, dropped and re-created on every run) on the
 * PostgreSQL server it is given: the read bench's loaded database is never written to.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { Database } from "../../src/db/client.js";
import type { TenantRow, UserRow } from "../../src/db/schema/index.js";
import { signToken } from "../../src/modules/tenants/jwt.js";
import { makeTenant, makeUser, relate } from "../helpers/factories.js";
import { redisUnreachable } from "../helpers/redis.js";
import { measureCpu, type CpuSplit } from "./cpu.js";
import { closedLoop, percentile, sortedOf, type BenchRow, type LoadResult } from "./load.js";
import { BOOK_SESSION, graphql } from "./requests.js";
import type { ServerProcess } from "./server.js";

export const WRITE_BENCH_DATABASE = "sessiongraph_write_bench";

export interface WriteThroughputOptions {
  /** A PostgreSQL server (any database on it): the bench's own database is made there. */
  serverUrl: string;
  /** Redis for the Redis cells; unset or unreachable: those cells are skipped (with the reason in the row). */
  redisUrl?: string;
  /** Concurrent clients, and so providers per cell (default 20). */
  connections?: number;
  /** Measured seconds per cell and round (default 10). */
  seconds?: number;
  /** Unmeasured seconds before each cell (default 2). */
  warmupSeconds?: number;
  /** Each round runs every cell once, alternating; a cell's figures are summed over the rounds (default 1). */
  rounds?: number;
  /** test/bench/server.ts's startServer. */
  startServer: (env: {
    databaseUrl: string;
    jwtSecret: string;
    env?: Record<string, string>;
  }) => Promise<ServerProcess>;
}

type Signal = "pg_notify" | "redis";
type Layout = "one tenant" | "tenants";

/** One booking client: a provider, their client, and the next free slot. */
interface Booker {
  token: string;
  clientId: number;
  next: number;
}

const SLOT_MINUTES = 30;
/** Far in the future, on a half hour: every booking is valid whatever day the bench runs. */
const FIRST_SLOT = Date.UTC(2031, 0, 6, 0, 0);

/** Runs the four cells; rows W1-W4, then the two ratios. */
export async function writeThroughput(options: WriteThroughputOptions): Promise<BenchRow[]> {
  const connections = options.connections ?? 20;
  const seconds = options.seconds ?? 10;
  const warmupSeconds = options.warmupSeconds ?? 2;
  const rounds = options.rounds ?? 1;
  const databaseUrl = await freshDatabase(options.serverUrl);
  const jwt = { secret: `bench-${randomBytes(16).toString("hex")}`, clockToleranceSeconds: 30 };
  const layouts = await seed(databaseUrl, jwt, connections);
  const redisProblem = await redisMissing(options.redisUrl);
  const signals: Signal[] = redisProblem ? ["pg_notify"] : ["pg_notify", "redis"];
  const totals = new Map<string, Total>();

  for (let round = 0; round < rounds; round++) {
    // Alternate the order every round, so neither signal always runs on a warmer (or busier) machine.
    for (const signal of round % 2 ? [...signals].reverse() : signals) {
      const server = await options.startServer({
        databaseUrl,
        jwtSecret: jwt.secret,
        env: {
          // Empty: NOTIFY, whatever this process's environment says.
          REDIS_URL: signal === "redis" ? options.redisUrl! : "",
          // One provider books far faster than a person: the write limit is not what is measured.
          RATE_LIMIT_WRITES_PER_MINUTE: "10000000",
        },
      });
      try {
        for (const layout of ["one tenant", "tenants"] as const) {
          const bookers = layouts[layout];
          if (warmupSeconds > 0) await bookingLoad(server.url, bookers, warmupSeconds);
          const waits = sampleLockWaits(options.serverUrl);
          const result = await measureCpu(WRITE_BENCH_DATABASE, server.pid, () =>
            bookingLoad(server.url, bookers, seconds),
          );
          accumulate(totals, `${signal}/${layout}`, { ...result, waits: await waits.stop() });
        }
      } finally {
        await server.stop();
      }
    }
  }

  const rows: BenchRow[] = [];
  const cellId: Record<string, string> = {
    "pg_notify/one tenant": "W1",
    "pg_notify/tenants": "W2",
    "redis/one tenant": "W3",
    "redis/tenants": "W4",
  };
  for (const signal of ["pg_notify", "redis"] as const) {
    for (const layout of ["one tenant", "tenants"] as const) {
      const key = `${signal}/${layout}`;
      const scenario = `bookSession, ${connections} connections on ${layout === "one tenant" ? `${connections} providers of one tenant` : `${connections} tenants (one provider each)`}, wake-up by ${signal === "redis" ? "Redis" : "NOTIFY"}`;
      const total = totals.get(key);
      if (!total) {
        rows.push({ id: cellId[key], scenario, notes: "", skipped: redisProblem ?? "not measured" });
        continue;
      }
      const sorted = sortedOf(total.latencies);
      const per = (ms: number | undefined) => (ms === undefined ? undefined : ms / Math.max(1, total.requests));
      rows.push({
        id: cellId[key],
        scenario,
        requestsPerSecond: total.requests / total.seconds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        errors: total.errors,
        cpu: {
          serverMs: per(total.cpuMs.serverMs),
          databaseMs: per(total.cpuMs.databaseMs)!,
          loadGeneratorMs: per(total.cpuMs.loadGeneratorMs)!,
        },
        notes:
          `${total.requests} bookings in ${total.seconds.toFixed(0)} s${rounds > 1 ? ` (${rounds} rounds)` : ""}; ` +
          `backends waiting (mean): ${waitingMean(total.waits, "tenantLock")} on the tenant event lock, ${waitingMean(total.waits, "notifyLock")} on NOTIFY's commit lock, ${waitingMean(total.waits, "otherLocks")} on other locks` +
          (total.errorSamples.length ? `; ${total.errorSamples.join(" | ")}` : ""),
        details: { requests: total.requests, seconds: total.seconds, lockWaits: total.waits },
      });
    }
    const [one, many] = ["one tenant", "tenants"].map((layout) =>
      rows.find((r) => r.id === cellId[`${signal}/${layout}`]),
    );
    if (one?.requestsPerSecond && many?.requestsPerSecond) {
      const ratio = one.requestsPerSecond / many.requestsPerSecond;
      one.notes += `; ${ratio.toFixed(2)} × ${many.id} (target ≥ 0.8)`;
      one.details = { ...one.details, ratioToTenants: ratio };
    }
  }
  return rows;
}

/** A cell's figures summed over the rounds. */
type Total = LoadResult & { cpuMs: CpuSplit; latencies: number[]; waits: LockWaits };

function accumulate(
  totals: Map<string, Total>,
  key: string,
  result: LoadResult & { cpu: CpuSplit; latencies: number[]; waits: LockWaits },
): void {
  const total = totals.get(key) ?? {
    waits: { samples: 0, tenantLock: 0, notifyLock: 0, otherLocks: 0 },
    requests: 0,
    seconds: 0,
    requestsPerSecond: 0,
    p50Ms: 0,
    p99Ms: 0,
    errors: 0,
    errorSamples: [],
    latencies: [],
    cpuMs: { serverMs: 0, databaseMs: 0, loadGeneratorMs: 0 },
  };
  // measureCpu reports per request: back to totals, so that rounds add up.
  const n = Math.max(1, result.requests);
  total.cpuMs.serverMs = (total.cpuMs.serverMs ?? 0) + (result.cpu.serverMs ?? 0) * n;
  total.cpuMs.databaseMs += result.cpu.databaseMs * n;
  total.cpuMs.loadGeneratorMs += result.cpu.loadGeneratorMs * n;
  total.requests += result.requests;
  total.seconds += result.seconds;
  total.errors += result.errors;
  total.errorSamples = [...total.errorSamples, ...result.errorSamples].slice(0, 3);
  total.latencies.push(...result.latencies);
  for (const k of ["samples", "tenantLock", "notifyLock", "otherLocks"] as const) total.waits[k] += result.waits[k];
  totals.set(key, total);
}

/**
 * Every booker books its next slot, back to back, for `seconds`: one closed loop per booker,
 * one request at a time each (so `bookers.length` connections).
 */
function bookingLoad(baseUrl: string, bookers: Booker[], seconds: number) {
  return closedLoop(
    async (loop) => {
      const booker = bookers[loop];
      const startsAt = new Date(FIRST_SLOT + booker.next++ * SLOT_MINUTES * 60_000);
      const input = { clientId: String(booker.clientId), startsAt: startsAt.toISOString(), durationMinutes: 30 };
      const response = await graphql<{ bookSession: { id: string } }>(baseUrl, booker.token, BOOK_SESSION, { input });
      if (!response.data?.bookSession?.id) throw new Error(`HTTP ${response.status}: ${response.text.slice(0, 160)}`);
    },
    bookers.length,
    seconds,
  );
}

/** Why the Redis cells cannot run (no URL, or Redis does not answer), or undefined when they can. */
async function redisMissing(url: string | undefined): Promise<string | undefined> {
  if (!url) return "no Redis URL given";
  const problem = await redisUnreachable(url);
  return problem === undefined ? undefined : `Redis at ${new URL(url).host} does not answer (${problem})`;
}

/** Sums over samples of pg_stat_activity: how many of the bench database's backends were waiting, on what. */
interface LockWaits {
  samples: number;
  /** pg_advisory_xact_lock: the outbox's per-tenant event lock. */
  tenantLock: number;
  /** The lock NOTIFY takes at commit (on the database object, one for the whole cluster). */
  notifyLock: number;
  otherLocks: number;
}

const waitingMean = (waits: LockWaits, what: "tenantLock" | "notifyLock" | "otherLocks") =>
  (waits[what] / Math.max(1, waits.samples)).toFixed(1);

/**
 * Samples every 50 ms, until stop(), what the bench database's backends wait for. Throughput
 * alone cannot tell a lock's price on a machine whose CPUs are shared; the waiting backends can.
 */
function sampleLockWaits(serverUrl: string): { stop(): Promise<LockWaits> } {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const waits: LockWaits = { samples: 0, tenantLock: 0, notifyLock: 0, otherLocks: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql<{ event: string; n: number }[]>`
        select wait_event as event, count(*)::int as n from pg_stat_activity
         where datname = ${WRITE_BENCH_DATABASE} and wait_event_type = 'Lock' group by wait_event`;
      waits.samples += 1;
      for (const { event, n } of rows) {
        if (event === "advisory") waits.tenantLock += n;
        else if (event === "object") waits.notifyLock += n;
        else waits.otherLocks += n;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await sql.end();
      return waits;
    },
  };
}

/** Drops and re-creates a bench's own database (row W's by default), migrated. */
export async function freshDatabase(serverUrl: string, name = WRITE_BENCH_DATABASE): Promise<string> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await Database.open({ url: url.toString(), poolMax: 2 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  return url.toString();
}

/** One tenant with n providers, and n tenants with one provider each; every provider with a client in care. */
async function seed(
  databaseUrl: string,
  jwt: { secret: string; clockToleranceSeconds: number },
  n: number,
): Promise<Record<Layout, Booker[]>> {
  const database = await Database.open({ url: databaseUrl, poolMax: 2 });
  try {
    const booker = async (tenant: TenantRow): Promise<Booker> => {
      const provider: UserRow = await makeUser(database, tenant, "PROVIDER");
      const client = await makeUser(database, tenant, "CLIENT");
      await relate(database, tenant, provider, client);
      const token = await signToken(jwt, { sub: String(provider.id), tenant: tenant.code }, "2h");
      return { token, clientId: client.id, next: 0 };
    };
    const shared = await makeTenant(database, { name: "Write bench: one tenant" });
    const oneTenant: Booker[] = [];
    for (let i = 0; i < n; i++) oneTenant.push(await booker(shared));
    const tenants: Booker[] = [];
    for (let i = 0; i < n; i++) tenants.push(await booker(await makeTenant(database, { name: `Write bench ${i}` })));
    return { "one tenant": oneTenant, tenants };
  } finally {
    await database.close();
  }
}
