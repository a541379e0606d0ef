/**
 * Durable across a crash: a real server process (`node --import tsx src/main.ts`) schedules a
 * job (a hold's expiry, due when the hold expires), is killed with SIGKILL before the job is due,
 * and a new process on the same database runs it. On PGlite the database is an on-disk DATA_DIR.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database, rowsOf } from "../../src/db/client.js";
import { HOLD_EXPIRY_QUEUE } from "../../src/modules/holds/index.js";
import { TEST_JWT_SECRET } from "../helpers/app.js";
import { engine, openTestDatabase } from "../helpers/db.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let dataDir: string;
let databaseUrl: string | undefined;
const children: ChildProcess[] = [];

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServer(seeds: boolean): Promise<Server> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "development",
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      JWT_SECRET: TEST_JWT_SECRET,
      SEED_DEMO: "true",
      LOG_LEVEL: "warn",
      JOBS_POLL_INTERVAL_MS: "200",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /sessiongraph listening on (http:\/\/\S+)/.exec(output);
      // The first start seeds the demo and prints its tokens after the banner: wait for them too.
      if (listening && (!seeds || /provider \([^)]+\):\s+\S+/.test(output))) resolve(listening[1]);
    });
    void exited.then(({ code }) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  });
  return { child, url, output: () => output, exited };
}

/** The database, opened by the test while no server holds it (PGlite's DATA_DIR is one process's at a time). */
async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await Database.open({ url: databaseUrl, dataDir });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

const expiryJobs = (database: Database) =>
  database.db
    .execute(sql`select state, data->>'holdId' as hold_id from pgboss.job where name = ${HOLD_EXPIRY_QUEUE}`)
    .then((result) => rowsOf<{ state: string; hold_id: string }>(result));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "sessiongraph-jobs-restart-"));
  if (process.env.TEST_DATABASE_URL) {
    const opened = await openTestDatabase();
    await opened.database.close();
    databaseUrl = opened.url;
  }
}, 60_000);

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`a job survives SIGKILL (${engine})`, () => {
  it("a hold's expiry queued, the server killed before it is due, a restarted server expires the hold on time", async () => {
    const first = await startServer(true);
    const providerToken = /provider \([^)]+\):\s+(\S+)/.exec(first.output())![1];
    const gql = async (url: string, query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${providerToken}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: any; errors?: { extensions: { reason: string } }[] };
    };
    const me = await gql(first.url, `{ me { id } }`);
    const held = await gql(first.url, `mutation($input: HoldSlotInput!) { holdSlot(input: $input) { id expiresAt } }`, {
      input: { providerId: me.data.me.id, startsAt: "2031-03-04T15:00:00Z", durationMinutes: 60, ttlSeconds: 30 },
    });
    const hold = held.data.holdSlot as { id: string; expiresAt: string };

    first.child.kill("SIGKILL");
    expect(await first.exited).toMatchObject({ signal: "SIGKILL" });
    // What the killed process left: the job, waiting for the hold's expiry.
    expect(await withDatabase(expiryJobs)).toEqual([{ state: "created", hold_id: hold.id }]);

    const second = await startServer(false);
    const slotHold = () => gql(second.url, `query($id: ID!) { slotHold(id: $id) { id } }`, { id: hold.id });
    expect((await slotHold()).data.slotHold.id).toBe(hold.id);
    // Due at expiresAt (30 s after it was placed): removed by the restarted server's worker.
    const deadline = new Date(hold.expiresAt).getTime() + 15_000;
    let gone = false;
    while (!gone && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      gone = (await slotHold()).errors?.[0]?.extensions.reason === "NOT_FOUND";
    }
    expect(gone).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(hold.expiresAt).getTime());

    second.child.kill("SIGTERM");
    expect(await second.exited).toMatchObject({ code: 0 });
    await withDatabase(async (database) => {
      expect(await expiryJobs(database)).toEqual([{ state: "completed", hold_id: hold.id }]);
      const changes = rowsOf<{ change: string }>(
        await database.db.execute(
          sql`select payload->>'change' as change from domain_events where type = 'SLOT_HOLD_CHANGED'
                and (payload->>'holdId')::int = ${Number(hold.id)} order by id`,
        ),
      );
      // Placed by the killed process, expired by the restarted one: announced once each.
      expect(changes.map((c) => c.change)).toEqual(["PLACED", "EXPIRED"]);
    });
  }, 120_000);
});
