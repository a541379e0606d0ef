import "reflect-metadata";
import { createApp } from "./app.js";
import { join, resolve } from "node:path";
import { ConfigError, JWT_SECRET_FILE, loadConfig } from "./config.js";
import { DatabaseBusyError, openDatabase } from "./db/open.js";
import { signToken } from "./modules/tenants/index.js";
import { isEmpty, seedDemo } from "./seed.js";

/** Reads config, opens the database, starts the server; nothing else. */
async function main(): Promise<void> {
  const config = loadConfig();
  const { database, release } = await openDatabase(config, "the sessiongraph server");
  const seeded = config.seedDemo && (await isEmpty(database)) ? await seedDemo(database) : undefined;
  // Demo tokens only where details are shown anyway (development, the embedded default): never into a production log.
  const demo = seeded && config.exposeDetails && config.jwt.secret ? seeded : undefined;
  const app = await createApp({
    config,
    database,
    // The page's "sign in as" list: on the embedded database only, never on a PostgreSQL server.
    demo:
      demo && database.kind === "pglite"
        ? { tenantCode: demo.tenant.code, users: [demo.admin, demo.provider, demo.client] }
        : undefined,
  });
  if (config.jwt.generatedSecret === "process") {
    app.server.log.warn(
      "JWT_SECRET is not set: tokens are signed with a random secret made for this process; they stop working when it exits",
    );
  } else if (config.jwt.generatedSecret === "data-dir") {
    app.server.log.info(
      { file: join(resolve(config.dataDir), JWT_SECRET_FILE) },
      "JWT_SECRET is not set: tokens are signed with the secret generated into DATA_DIR",
    );
  }
  // Drain: stop accepting, let in-flight requests finish (and commit), close sockets with 1001,
  // then the database. A drain that hangs is cut short rather than blocking a deploy.
  const shutdown = async (signal: string) => {
    app.server.log.info({ signal }, "shutting down");
    setTimeout(() => process.exit(1), 15_000).unref();
    await app.close();
    await release();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  const url = await app.listen();
  const where =
    database.kind === "pglite"
      ? config.databaseUrl === "memory://"
        ? "in-memory PGlite"
        : `embedded PGlite in ${config.dataDir}`
      : "PostgreSQL";
  console.log(`sessiongraph listening on ${url} (GraphQL ${url}/graphql, ${where})`);
  if (demo) {
    const token = (sub: number) => signToken(config.jwt, { sub: String(sub), tenant: demo.tenant.code }, "7d");
    console.log(
      `\nDemo tenant ${demo.tenant.code} seeded. The calendar page: ${url}/ (sign in as one of these there).`,
    );
    console.log(`Bearer tokens (7 days):`);
    console.log(`  admin    (${demo.admin.username}):  ${await token(demo.admin.id)}`);
    console.log(`  provider (${demo.provider.username}): ${await token(demo.provider.id)}`);
    console.log(`  client   (${demo.client.username}): ${await token(demo.client.id)}`);
    console.log(
      `\nTry:\n  curl -s ${url}/graphql -H 'content-type: application/json' \\\n    -H "authorization: Bearer ${await token(demo.provider.id)}" \\\n    -d '{"query":"{ me { id name role } sessions(first: 5) { totalCount nodes { id title startsAt client { name } } } }"}'\n`,
    );
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof DatabaseBusyError ? err.message : err);
  process.exit(1);
});
