/** The environment, parsed once into a frozen object. Every setting is documented in README.md. */
export interface Config {
  readonly env: "development" | "production" | "test";
  readonly port: number;
  readonly host: string;
  /** undefined: embedded PGlite under dataDir. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly databasePoolMax: number;
  /** Seed the demo tenant when the database has no tenant at all. */
  readonly seedDemo: boolean;
  readonly jwt: {
    readonly secret?: string;
    readonly jwksUrl?: string;
    readonly issuer?: string;
    readonly audience?: string;
    readonly clockToleranceSeconds: number;
  };
  readonly twilio?: { readonly accountSid: string; readonly apiKeySid: string; readonly apiKeySecret: string };
  readonly publicBaseUrl: string;
  readonly introspection: boolean;
  /** Queries run through graphql-jit (src/graphql/jit-gateway.ts); false: graphql-js for everything. */
  readonly graphqlJit: boolean;
  readonly logLevel: string;
  /** Browser origins allowed by CORS (empty: no CORS headers at all). */
  readonly corsOrigins: readonly string[];
  /** PostgreSQL statement_timeout for request transactions. */
  readonly statementTimeoutMs: number;
  /** A request's transaction is rolled back after this long, whatever it is doing. */
  readonly requestTimeoutMs: number;
  /** Mutations and REST writes per minute, per user (token) and per IP. */
  readonly writesPerMinute: number;
  /** Outbox events older than this many days are pruned; an older subscription cursor is refused. */
  readonly eventRetentionDays: number;
  /** How often each instance prunes old events (0: never). */
  readonly eventPruneIntervalSeconds: number;
  /** Active subscriptions one WebSocket may hold. */
  readonly maxSubscriptionsPerSocket: number;
  /** WebSockets one user may hold open (per instance). */
  readonly maxSocketsPerUser: number;
  /** How often connected users are re-checked: a deactivated or deleted user's sockets are closed. */
  readonly subscriptionUserCheckSeconds: number;
}

/** Used only outside production, so that `npm start` works with no set-up. */
export const DEVELOPMENT_JWT_SECRET = "sessiongraph-development-secret-do-not-use-in-production";

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV === "production" ? "production" : env.NODE_ENV === "test" ? "test" : "development";
  const production = nodeEnv === "production";
  if (production && !env.JWT_SECRET && !env.JWT_JWKS_URL) {
    throw new ConfigError("JWT_SECRET or JWT_JWKS_URL must be set when NODE_ENV=production");
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  const embedded = !databaseUrl || databaseUrl === "memory://";
  const twilio =
    env.TWILIO_ACCOUNT_SID && env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET
      ? { accountSid: env.TWILIO_ACCOUNT_SID, apiKeySid: env.TWILIO_API_KEY_SID, apiKeySecret: env.TWILIO_API_KEY_SECRET }
      : undefined;
  const port = integer(env.PORT, 4000, "PORT");
  return Object.freeze({
    env: nodeEnv,
    port,
    host: env.HOST || "0.0.0.0",
    databaseUrl,
    dataDir: env.DATA_DIR || "./.data",
    databasePoolMax: integer(env.DATABASE_POOL_MAX, 10, "DATABASE_POOL_MAX"),
    seedDemo: env.SEED_DEMO ? env.SEED_DEMO === "true" : embedded,
    jwt: Object.freeze({
      secret: env.JWT_SECRET || (env.JWT_JWKS_URL || production ? undefined : DEVELOPMENT_JWT_SECRET),
      jwksUrl: env.JWT_JWKS_URL || undefined,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
      clockToleranceSeconds: integer(env.JWT_CLOCK_TOLERANCE_SECONDS, 30, "JWT_CLOCK_TOLERANCE_SECONDS"),
    }),
    twilio: twilio && Object.freeze(twilio),
    publicBaseUrl: (env.PUBLIC_BASE_URL || `http://localhost:${port}`).replace(/\/+$/, ""),
    introspection: env.GRAPHQL_INTROSPECTION ? env.GRAPHQL_INTROSPECTION === "true" : !production,
    graphqlJit: env.GRAPHQL_JIT !== "false",
    logLevel: env.LOG_LEVEL || (nodeEnv === "test" ? "silent" : "info"),
    corsOrigins: Object.freeze((env.CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean)),
    statementTimeoutMs: integer(env.STATEMENT_TIMEOUT_MS, 5_000, "STATEMENT_TIMEOUT_MS"),
    requestTimeoutMs: integer(env.REQUEST_TIMEOUT_MS, 15_000, "REQUEST_TIMEOUT_MS"),
    writesPerMinute: integer(env.RATE_LIMIT_WRITES_PER_MINUTE, 300, "RATE_LIMIT_WRITES_PER_MINUTE"),
    eventRetentionDays: positive(env.EVENT_RETENTION_DAYS, 30, "EVENT_RETENTION_DAYS"),
    eventPruneIntervalSeconds: integer(env.EVENT_PRUNE_INTERVAL_SECONDS, 3600, "EVENT_PRUNE_INTERVAL_SECONDS"),
    maxSubscriptionsPerSocket: positive(env.MAX_SUBSCRIPTIONS_PER_SOCKET, 25, "MAX_SUBSCRIPTIONS_PER_SOCKET"),
    maxSocketsPerUser: positive(env.MAX_SOCKETS_PER_USER, 10, "MAX_SOCKETS_PER_USER"),
    subscriptionUserCheckSeconds: positive(env.SUBSCRIPTION_USER_CHECK_SECONDS, 30, "SUBSCRIPTION_USER_CHECK_SECONDS"),
  });
}

/** A limit of 0 would refuse everything: at least 1. */
function positive(value: string | undefined, fallback: number, name: string): number {
  const n = integer(value, fallback, name);
  if (n < 1) throw new ConfigError(`${name} must be at least 1, got "${value}"`);
  return n;
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}
