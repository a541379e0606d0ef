import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

/** The Redis the tests use: TEST_REDIS_URL, else the one every machine of this project runs. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";

/**
 * Whether tests that need Redis can run. Outside CI an unreachable Redis skips them with the
 * reason printed; in CI (CI=true) Redis is always up, so there it fails the run instead.
 */
export async function redisAvailable(url = TEST_REDIS_URL): Promise<boolean> {
  const problem = await redisUnreachable(url);
  if (problem === undefined) return true;
  const reason = `Redis at ${url} is unreachable (${problem})`;
  if (process.env.CI) throw new Error(`${reason}: CI runs the Redis tests, so Redis must be up`);
  console.warn(`SKIPPED: the tests that need Redis: ${reason}`);
  return false;
}

/** Why Redis at `url` does not answer a PING within about 2 s, or undefined when it does. */
export async function redisUnreachable(url: string): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    client.disconnect();
  }
}

/** Hears a Redis channel: every message's payload, in order. */
export async function hearRedis(url: string, channel: string): Promise<{ heard: string[]; close(): Promise<void> }> {
  const client = new Redis(url);
  const heard: string[] = [];
  client.on("message", (ch: string, payload: string) => ch === channel && heard.push(payload));
  await client.subscribe(channel);
  return { heard, close: async () => void (await client.quit()) };
}

/**
 * A Redis server of the test's own on a free port, which the test may stop and start again
 * (the machine's shared one is never restarted). Nothing is kept on disk.
 */
export async function privateRedis(): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void> }> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const probe = new Redis(port, "127.0.0.1", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => {});
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    probe.disconnect();
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
