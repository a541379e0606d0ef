/**
 * SIGTERM under load, against the real server process (`node --import tsx src/main.ts`): a
 * subscriber's socket closes with 1001, every write that was answered 2xx is in the database
 * afterwards, the process exits 0 and the port refuses new connections.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWT_SECRET_FILE, loadConfig } from "../../src/config.js";
import { Database } from "../../src/db/client.js";
import { TokenVerifier } from "../../src/modules/tenants/jwt.js";
import { availabilityOverrides, sessions, tenants } from "../../src/db/schema/index.js";
import { engine, openTestDatabase } from "../helpers/db.js";
import { asTenant } from "../helpers/factories.js";
import { subscribe } from "../helpers/ws.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Writes answered before SIGTERM is sent: the signal lands while more are under way. */
const WRITES_BEFORE_SIGTERM = 12;
const WORKERS = 4;

let dataDir: string;
let databaseUrl: string | undefined;
let child: ChildProcess;
let output = "";
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let url: string;
let providerToken: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "sessiongraph-shutdown-"));
  if (process.env.TEST_DATABASE_URL) {
    // A database of our own, migrated; the server seeds the demo into it.
    const opened = await openTestDatabase();
    await opened.database.close();
    databaseUrl = opened.url;
  }
  child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "development",
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      SEED_DEMO: "true",
      LOG_LEVEL: "warn",
      RATE_LIMIT_WRITES_PER_MINUTE: "1000000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // The banner: the listening URL, then one Bearer token per demo user.
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /sessiongraph listening on (http:\/\/\S+)/.exec(output);
      const provider = /provider \([^)]+\):\s+(\S+)/.exec(output);
      if (listening && provider) {
        url = listening[1];
        providerToken = provider[1];
        resolve();
      }
    });
    void exited.then(({ code }) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  });
}, 90_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${providerToken}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string }[] } };
}

const BOOK = `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`;
const TIME_OFF = `mutation($input: AvailabilityOverrideInput!) { createAvailabilityOverride(input: $input) { id } }`;

describe(`the server's secret without JWT_SECRET (${engine})`, () => {
  it("the printed demo tokens are signed with the secret generated into DATA_DIR (PGlite) or a per-process one that the log announces (PostgreSQL in development)", async () => {
    if (databaseUrl) {
      expect(output).toMatch(/random secret made for this process/);
      expect(existsSync(join(dataDir, JWT_SECRET_FILE))).toBe(false);
      return;
    }
    expect(statSync(join(dataDir, JWT_SECRET_FILE)).mode & 0o777).toBe(0o600);
    // What `npm run cli -- token` on this data directory signs with, after a restart too.
    const verifier = new TokenVerifier(loadConfig({ NODE_ENV: "development", DATA_DIR: dataDir }).jwt);
    expect(await verifier.verify(providerToken)).toMatchObject({ tenant: "DEMO" });
  });
});

describe(`SIGTERM drains the server (${engine})`, () => {
  it("sockets close with 1001, every answered write is kept, exit code 0, then connections are refused", async () => {
    const me = await gql(`{ me { id } users(role: CLIENT) { id username } }`);
    const clientId = me.body.data.users.find((u: { username: string }) => u.username === "john.doe").id as string;
    const subscriber = subscribe(url, providerToken, `subscription { sessionChanged { id type } }`);
    await subscriber.connected;

    // Workers write until the server stops answering; every answer is recorded.
    const booked: number[] = [];
    const overrides: number[] = [];
    /** Writes refused while draining (Fastify's 503 on a kept-alive connection): they must leave no trace. */
    const refused: string[] = [];
    const failures: string[] = [];
    let next = 0;
    let answered = 0;
    let sigtermSent!: () => void;
    const sigterm = new Promise<void>((resolve) => (sigtermSent = resolve));
    const worker = async () => {
      for (;;) {
        const i = next++;
        try {
          const result =
            i % 3 === 2
              ? await gql(TIME_OFF, {
                  input: {
                    date: new Date(Date.UTC(2032, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
                    isAvailable: false,
                    reason: `drain ${i}`,
                  },
                })
              : await gql(BOOK, {
                  input: {
                    clientId,
                    startsAt: new Date(Date.UTC(2031, 0, 1) + i * 3_600_000).toISOString(),
                    durationMinutes: 30,
                    title: `drain ${i}`,
                  },
                });
          if (result.status === 503) refused.push(`drain ${i}`);
          else if (result.status === 200 && !result.body.errors) {
            if (i % 3 === 2) overrides.push(Number(result.body.data.createAvailabilityOverride.id));
            else booked.push(Number(result.body.data.bookSession.id));
          } else failures.push(`${result.status}: ${JSON.stringify(result.body)}`);
        } catch {
          // Refused or reset: the server has stopped taking requests. Nothing was promised.
          return;
        }
        if (++answered === WRITES_BEFORE_SIGTERM) {
          child.kill("SIGTERM");
          sigtermSent();
        }
      }
    };
    const workers = Promise.all(Array.from({ length: WORKERS }, worker));
    await Promise.race([sigterm, workers]);
    expect(answered, `the server stopped answering before SIGTERM:\n${output}`).toBeGreaterThanOrEqual(
      WRITES_BEFORE_SIGTERM,
    );

    expect((await subscriber.closed).code).toBe(1001);
    expect(await exited, output).toEqual({ code: 0, signal: null });
    await workers;
    await subscriber.dispose();

    expect(failures, output).toEqual([]);
    expect(booked.length + overrides.length).toBeGreaterThanOrEqual(WRITES_BEFORE_SIGTERM);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    // Every write that was answered 2xx is in the database the server left behind; no refused one is.
    const database = await Database.open(databaseUrl ? { url: databaseUrl } : { dataDir });
    try {
      const [demo] = await database.db.select().from(tenants);
      const [storedSessions, storedOverrides] = await asTenant(database, demo.id, async (tx) => [
        await tx
          .select({ id: sessions.id, title: sessions.title })
          .from(sessions)
          .where(like(sessions.title, "drain %")),
        await tx
          .select({ id: availabilityOverrides.id, reason: availabilityOverrides.reason })
          .from(availabilityOverrides)
          .where(like(availabilityOverrides.reason, "drain %")),
      ]);
      const ids = (rows: { id: number }[]) => rows.map((row) => row.id).sort((a, b) => a - b);
      expect(ids(storedSessions)).toEqual(expect.arrayContaining(booked));
      expect(ids(storedOverrides)).toEqual(expect.arrayContaining(overrides));
      const stored = new Set([...storedSessions.map((row) => row.title), ...storedOverrides.map((row) => row.reason)]);
      expect(refused.filter((write) => stored.has(write))).toEqual([]);
    } finally {
      await database.close();
    }
  }, 60_000);
});
