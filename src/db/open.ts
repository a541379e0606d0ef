import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config.js";
import { Database } from "./client.js";

export class DatabaseBusyError extends Error {}

/**
 * Opens the configured database and applies pending migrations. The embedded database can be
 * held by one process only: a lock file in DATA_DIR names the holder, and a second opener
 * (the CLI while the server runs) is refused with a clear message.
 */
export async function openDatabase(
  config: Config,
  holder: string,
): Promise<{ database: Database; release: () => Promise<void> }> {
  const embeddedOnDisk = !config.databaseUrl;
  const lockFile = join(resolve(config.dataDir), "sessiongraph.lock");
  if (embeddedOnDisk) claimLock(lockFile, holder);
  try {
    const database = await Database.open({
      url: config.databaseUrl,
      dataDir: resolve(config.dataDir),
      poolMax: config.databasePoolMax,
      statementTimeoutMs: config.statementTimeoutMs,
    });
    await database.migrate();
    return {
      database,
      release: async () => {
        await database.close();
        if (embeddedOnDisk) rmSync(lockFile, { force: true });
      },
    };
  } catch (err) {
    if (embeddedOnDisk) rmSync(lockFile, { force: true });
    throw err;
  }
}

function claimLock(lockFile: string, holder: string): void {
  if (existsSync(lockFile)) {
    const [pid, who] = readFileSync(lockFile, "utf8").split("\n");
    if (pid && alive(Number(pid)) && Number(pid) !== process.pid) {
      throw new DatabaseBusyError(
        `The embedded database in ${resolve(lockFile, "..")} is in use by ${who || "another process"} (pid ${pid}). ` +
          "Stop it first, or point DATABASE_URL at a PostgreSQL server that both can share.",
      );
    }
  }
  mkdirSync(resolve(lockFile, ".."), { recursive: true });
  writeFileSync(lockFile, `${process.pid}\n${holder}\n`, { flag: "w" });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
