import "reflect-metadata";
import { parseArgs } from "node:util";
import { and, eq, or } from "drizzle-orm";
import { ConfigError, loadConfig } from "./config.js";
import { DatabaseBusyError, openDatabase } from "./db/open.js";
import { enterTenant } from "./db/client.js";
import { tenants, users } from "./db/schema/index.js";
import { DomainError } from "./errors.js";
import { signToken } from "./modules/tenants/index.js";
import { createTenant } from "./modules/tenants/index.js";
import { seedDemo } from "./seed.js";

const USAGE = `usage: npm run --silent cli -- <command>
  tenant:create --code ACME --name "Acme Therapy" --time-zone America/New_York
  token --tenant ACME --user <username|id> [--ttl 8h]
  seed [--tenant DEMO]`;

/** stdout carries only the result (JSON or a token); messages go to stderr. */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      code: { type: "string" },
      name: { type: "string" },
      "time-zone": { type: "string" },
      tenant: { type: "string" },
      user: { type: "string" },
      ttl: { type: "string" },
    },
  });
  if (!command || !["tenant:create", "token", "seed"].includes(command)) throw new UsageError(USAGE);
  const config = loadConfig();
  // A per-process secret signs tokens no server will accept: say so rather than print a useless one.
  if (config.jwt.generatedSecret === "process" && command !== "seed") {
    console.error(
      "warning: JWT_SECRET is not set: this token is signed with a random secret of this process only; set the server's JWT_SECRET to get a usable one",
    );
  }
  const { database, release } = await openDatabase(config, `the sessiongraph CLI (${command})`);
  try {
    if (command === "tenant:create") {
      if (!values.code || !values.name) throw new UsageError(USAGE);
      const { tenant, admin } = await createTenant(database, {
        code: values.code,
        name: values.name,
        timeZone: values["time-zone"] ?? "UTC",
      });
      const token = await signToken(config.jwt, { sub: String(admin.id), tenant: tenant.code }, values.ttl ?? "8h");
      console.log(JSON.stringify({ tenant, admin, token }));
    } else if (command === "token") {
      if (!values.tenant || !values.user) throw new UsageError(USAGE);
      const [tenant] = await database.db.select().from(tenants).where(eq(tenants.code, values.tenant));
      if (!tenant) throw new UsageError(`Unknown tenant ${values.tenant}`);
      const user = await database.db.transaction(async (tx) => {
        await enterTenant(tx, tenant.id);
        const id = /^\d+$/.test(values.user!) ? Number(values.user) : -1;
        return (
          await tx
            .select()
            .from(users)
            .where(and(or(eq(users.username, values.user!), eq(users.id, id))))
        ).at(0);
      });
      if (!user) throw new UsageError(`Unknown user ${values.user} in tenant ${values.tenant}`);
      console.log(
        await signToken(
          config.jwt,
          { sub: user.externalSubject ?? String(user.id), tenant: tenant.code },
          values.ttl ?? "8h",
        ),
      );
    } else {
      const seeded = await seedDemo(database, new Date(), values.tenant ?? "DEMO");
      console.log(
        JSON.stringify({
          tenant: seeded.tenant,
          admin: seeded.admin,
          provider: seeded.provider,
          client: seeded.client,
        }),
      );
    }
  } finally {
    await release();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((err) => {
  const known =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    err instanceof DatabaseBusyError ||
    err instanceof DomainError;
  console.error(known ? err.message : err);
  process.exit(known && err instanceof UsageError ? 2 : 1);
});
