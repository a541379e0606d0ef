import { createApp, type App, type AppOptions } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import { Database } from "../../src/db/client.js";
import type { TenantRow, UserRow } from "../../src/db/schema/index.js";
import { RequestScope } from "../../src/db/scope.js";
import { Loaders, type RequestContext } from "../../src/modules/context.js";
import { signToken } from "../../src/modules/tenants/jwt.js";
import { openTestDatabase } from "./db.js";

export interface TestApp {
  app: App;
  url: string;
  database: Database;
  /** The database URL when on PostgreSQL (a second instance can share it). */
  databaseUrl?: string;
  config: Config;
  token(
    user: Pick<UserRow, "id" | "externalSubject">,
    tenant: Pick<TenantRow, "code">,
    ttl?: string | number,
  ): Promise<string>;
  /** POST /graphql; returns the parsed body and the HTTP status. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions: Record<string, any> }[];
}

/**
 * The tests' HS256 secret (src has none: a secret in the code would be public). Explicit, so that
 * no test server writes a secret file into ./.data, and tests can sign their own tokens.
 */
export const TEST_JWT_SECRET = "sessiongraph-tests-only-secret-0123456789";

/** A real server on a free port, over a fresh test database (or the one given). */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    now?: () => Date;
    video?: AppOptions["video"];
    database?: Database;
    databaseUrl?: string;
  } = {},
): Promise<TestApp> {
  const opened = options.database ? { database: options.database, url: options.databaseUrl } : await openTestDatabase();
  // Tests write far faster than people: the write limit has its own test (test/http/limits.test.ts).
  const config = loadConfig({
    NODE_ENV: "test",
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    RATE_LIMIT_WRITES_PER_MINUTE: "1000000",
    // No background waitlist runs (their statements would land in other tests' statement counts):
    // waitlist tests turn it on, or call processRefills().
    WAITLIST_POLL_INTERVAL_MS: "0",
    ...options.env,
  });
  const app = await createApp({ config, database: opened.database, now: options.now, video: options.video });
  const url = await app.listen();
  return {
    app,
    url,
    database: opened.database,
    databaseUrl: opened.url,
    config,
    token: (user, tenant, ttl = "1h") =>
      signToken(config.jwt, { sub: user.externalSubject ?? String(user.id), tenant: tenant.code }, ttl),
    async gql(query, variables, token) {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GqlResult<never>, "status">;
      // Issue 15: every GraphQL error carries a stable reason. Asserted here, on every error of the suite.
      const unreasoned = body.errors?.filter((e) => typeof e.extensions?.reason !== "string") ?? [];
      if (unreasoned.length) throw new Error(`GraphQL error without extensions.reason: ${JSON.stringify(unreasoned)}`);
      return { status: response.status, ...body };
    },
    async close() {
      await app.close();
      if (!options.database) await opened.database.close();
    },
  };
}

/**
 * A second server instance on the first one's database, as another process would be: on
 * PostgreSQL with a connection pool of its own; embedded PGlite has one database per process,
 * so there both instances share it. close() also closes the pool it opened.
 */
export async function startSecondInstance(
  first: TestApp,
  options: { env?: Record<string, string>; now?: () => Date } = {},
): Promise<TestApp> {
  const own = first.databaseUrl ? await Database.open({ url: first.databaseUrl, poolMax: 4 }) : undefined;
  try {
    const second = await startTestApp({ ...options, database: own ?? first.database, databaseUrl: first.databaseUrl });
    return {
      ...second,
      async close() {
        await second.close();
        await own?.close();
      },
    };
  } catch (err) {
    await own?.close();
    throw err;
  }
}

/**
 * A request's context as the server builds it, for calling services directly: its own
 * transaction, opened by its first statement and ended by ctx.db.finish(commit).
 */
export function requestContext(
  t: TestApp,
  tenant: TenantRow,
  viewer: UserRow,
  requestId = "test",
): RequestContext & { db: RequestScope } {
  const ctx = {
    requestId,
    deps: t.app.deps,
    tenant,
    viewer,
    db: new RequestScope(t.database, tenant.id),
    loaders: new Loaders(),
  };
  ctx.loaders.bind(ctx);
  return ctx;
}
