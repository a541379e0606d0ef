/**
 * The server under test: `node --import tsx src/main.ts` as a child process, as in production.
 * For memory readings the bench switches the server's inspector on (SIGUSR1, on the port
 * --inspect-port names) and forces a full garbage collection first: retained memory, not
 * garbage that was not collected yet. Until then the inspector is off.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident set size of the server process, in MiB. */
  rssMiB(): number;
  /** Forces a full garbage collection in the server; resolves to its JS heap in use afterwards, in MiB. */
  collectGarbage(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServer(env: {
  databaseUrl: string;
  jwtSecret: string;
  cpuProfileDir?: string;
  /** More of the server's environment (settings of src/config.ts). */
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const profile = env.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${env.cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...profile, "--inspect-port=127.0.0.1:0", "--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      JWT_SECRET: env.jwtSecret,
      SEED_DEMO: "false",
      LOG_LEVEL: "warn",
      ...env.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = watchOutput(child);
  const url = await output.listening;
  const pid = child.pid!;
  let inspector: Promise<string> | undefined;
  return {
    url,
    pid,
    rssMiB: () => rssMiB(pid),
    collectGarbage() {
      if (!inspector) {
        inspector = output.inspector;
        child.kill("SIGUSR1");
      }
      return inspector.then(collectGarbage);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The server's output: the URL it prints once it listens, the inspector's address once it is
 * switched on; both reject with the output if the server exits first. Everything else is shown.
 */
function watchOutput(child: ChildProcess): { listening: Promise<string>; inspector: Promise<string> } {
  let output = "";
  let listening = false;
  let onListening!: (url: string) => void;
  let onInspector!: (url: string) => void;
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`the server exited (code ${code}):\n${output}`))),
  );
  child.stdout!.on("data", (chunk: Buffer) => {
    if (listening) return void process.stderr.write(`[server] ${chunk}`);
    output += chunk.toString();
    const url = output.match(/listening on (http:\/\/\S+?) /)?.[1];
    if (url) {
      listening = true;
      onListening(url);
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    const inspector = text.match(/Debugger listening on (ws:\/\/\S+)/)?.[1];
    if (inspector) onInspector(inspector);
    else if (!/inspector|Debugger (attached|ending)/i.test(text)) process.stderr.write(`[server] ${text}`);
  });
  const listeningUrl = Promise.race([new Promise<string>((resolve) => (onListening = resolve)), exited]);
  const inspector = Promise.race([new Promise<string>((resolve) => (onInspector = resolve)), exited]);
  // Rejected when the server stops, whether or not anyone still waits for them.
  for (const promise of [exited, listeningUrl, inspector]) promise.catch(() => {});
  return { listening: listeningUrl, inspector };
}

/** One inspector session: a full GC, then the heap in use; the session is closed again. */
async function collectGarbage(inspector: string): Promise<number> {
  const socket = new WebSocket(inspector);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 0;
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++nextId;
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(data.toString()) as {
          id?: number;
          result?: Record<string, unknown>;
          error?: { message: string };
        };
        if (message.id !== id) return;
        socket.off("message", onMessage);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      };
      socket.on("message", onMessage);
      socket.send(JSON.stringify({ id, method }));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    const usage = await call("Runtime.getHeapUsage");
    return Number(usage.usedSize) / 2 ** 20;
  } finally {
    socket.close();
  }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]);
  return kb / 1024;
}
