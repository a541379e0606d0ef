/**
 * CPU time from /proc (Linux): of one process, and of the PostgreSQL backends serving one
 * database (their process titles name it). Per request, these split a scenario's cost between
 * the server, the database and the load generator, whatever else the machine is doing.
 */
import { readdirSync, readFileSync } from "node:fs";

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat, in USER_HZ = 100 ticks per second), in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time of each backend connected to `database` right now, in ms, by pid. */
function databaseCpuMs(database: string): Map<number, number> {
  const backends = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (title.startsWith("postgres:") && title.includes(` ${database} `))
        backends.set(Number(entry), processCpuMs(Number(entry)));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return backends;
}

/**
 * What the backends spent between two readings: per backend, so that one which left in between
 * (its time is no longer readable) does not make the sum negative; one that came counts whole.
 */
function databaseCpuDeltaMs(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** CPU per call of fn's work: this process, the server and the database, each in ms per request. */
export interface CpuSplit {
  serverMs?: number;
  databaseMs: number;
  loadGeneratorMs: number;
}

export async function measureCpu<T extends { requests: number }>(
  database: string,
  serverPid: number | undefined,
  run: () => Promise<T>,
): Promise<T & { cpu: CpuSplit }> {
  const server0 = serverPid === undefined ? 0 : processCpuMs(serverPid);
  const database0 = databaseCpuMs(database);
  const self0 = process.cpuUsage();
  const result = await run();
  const self = process.cpuUsage(self0);
  const per = (ms: number) => ms / Math.max(1, result.requests);
  return {
    ...result,
    cpu: {
      serverMs: serverPid === undefined ? undefined : per(processCpuMs(serverPid) - server0),
      databaseMs: per(databaseCpuDeltaMs(database0, databaseCpuMs(database))),
      loadGeneratorMs: per((self.user + self.system) / 1000),
    },
  };
}

/** How busy all CPUs were over the next `ms` milliseconds, in percent (/proc/stat). */
export async function machineBusyPercent(ms = 1000): Promise<number> {
  const sample = () => {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
    const idle = ticks[3] + ticks[4];
    return { idle, total: ticks.reduce((a, b) => a + b, 0) };
  };
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sample();
  return 100 * (1 - (after.idle - before.idle) / Math.max(1, after.total - before.total));
}
