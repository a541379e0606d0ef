import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

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
    /**
     * Where the HS256 secret came from when JWT_SECRET was not set: "data-dir" (generated once
     * into DATA_DIR/jwt-secret, shared by the server and the CLI), "process" (random, lost on exit).
     */
    readonly generatedSecret?: "data-dir" | "process";
  };
  readonly twilio?: { readonly accountSid: string; readonly apiKeySid: string; readonly apiKeySecret: string };
  readonly publicBaseUrl: string;
  /**
   * Introspection, stack traces and unmasked error messages. Only when NODE_ENV is explicitly
   * development or test, or on the embedded default (no DATABASE_URL, NODE_ENV unset): a real
   * database with NODE_ENV forgotten is treated as production.
   */
  readonly exposeDetails: boolean;
  readonly introspection: boolean;
  /** Queries run through graphql-jit (src/graphql/jit-gateway.ts); false: graphql-js for everything. */
  readonly graphqlJit: boolean;
  /** A sessions page and its people, plan and details in one statement (session.planner.ts); false: DataLoaders only. */
  readonly sessionPlanner: boolean;
  readonly logLevel: string;
  /** Browser origins allowed by CORS (empty: no CORS headers at all). */
  readonly corsOrigins: readonly string[];
  /** PostgreSQL statement_timeout for request transactions. */
  readonly statementTimeoutMs: number;
  /** A request's transaction is rolled back after this long, whatever it is doing. */
  readonly requestTimeoutMs: number;
  /** Mutation fields and REST writes per minute, per authenticated user; 5× that per IP for unauthenticated writes. */
  readonly writesPerMinute: number;
  /** Fastify's trustProxy: which X-Forwarded-For hops to believe (false: none, the socket's address is the client). */
  readonly trustProxy: false | number | readonly string[];
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken?: string;
  /** A request whose lists would print more than this is refused as they are read (src/modules/response-budget.ts). */
  readonly maxResponseBytes: number;
  /** Outbox events older than this many days are pruned; an older subscription cursor is refused. */
  readonly eventRetentionDays: number;
  /** How often each instance prunes old events (0: never). */
  readonly eventPruneIntervalSeconds: number;
  /** Set: committed events are announced between instances on Redis pub/sub instead of PostgreSQL's NOTIFY. */
  readonly redisUrl?: string;
  /** With Redis: how often each instance reads its subscribed tenants' events anyway (a safety net for a lost message). */
  readonly eventCatchUpSeconds: number;
  /** Active subscriptions one WebSocket may hold. */
  readonly maxSubscriptionsPerSocket: number;
  /** WebSockets one user may hold open (per instance). */
  readonly maxSocketsPerUser: number;
  /** How often connected users are re-checked: a deactivated or deleted user's sockets are closed. */
  readonly subscriptionUserCheckSeconds: number;
  /**
   * How long a request's caller (the user row its token names) is kept without reading it again
   * (0: read on every request). A change of the user through the API forgets it at once, on
   * every instance; a change made straight in the database is seen after at most this long.
   */
  readonly viewerCacheSeconds: number;
  /** How often each instance processes waitlist refill requests and settles lapsed offers, in ms (0: never; tests call processRefills). */
  readonly waitlistPollIntervalMs: number;
  /** Requests per minute one calendar feed URL answers (per instance); more are 429. */
  readonly calendarFeedRequestsPerMinute: number;
  /** Reminder emails: the SMTP server (smtp:// or smtps:// URL) and the From address; unset: no emails. */
  readonly email?: { readonly smtpUrl: string; readonly from: string };
  /** Reminder SMS: the Twilio Messaging sender (a number or a messaging service sid), with the account credentials of config.twilio; unset: no SMS. */
  readonly smsFrom?: string;
  readonly webhooks: {
    /** Lifts the public-address rule for endpoint URLs and allows http (development and tests only). */
    readonly allowPrivateUrls: boolean;
    /** Waits before each retry of a failed delivery, in seconds; once they are used up the delivery is FAILED. */
    readonly retryScheduleSeconds: readonly number[];
    /** One delivery attempt's limit (connect, send, answer). */
    readonly timeoutMs: number;
    /** An endpoint is disabled after this many deliveries in a row ended FAILED. */
    readonly disableAfterFailures: number;
  };
  /** The job engine: how often each queue's worker asks for due jobs when nothing woke it, in ms. */
  readonly jobsPollIntervalMs: number;
  /** pg-boss's maintenance (expiring jobs whose worker died, archiving finished ones), in seconds. */
  readonly jobsMaintenanceIntervalSeconds: number;
  /** On shutdown, how long running jobs may still finish before they are handed back for a retry, in ms. */
  readonly jobsShutdownTimeoutMs: number;
}

export class ConfigError extends Error {}

/** HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
export const MIN_JWT_SECRET_BYTES = 32;
/** The generated secret's file inside DATA_DIR. */
export const JWT_SECRET_FILE = "jwt-secret";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV === "production" ? "production" : env.NODE_ENV === "test" ? "test" : "development";
  const production = nodeEnv === "production";
  // Only an explicit NODE_ENV counts: an unset one on a real database is a deploy that forgot it.
  const explicitDevelopment = env.NODE_ENV === "development" || env.NODE_ENV === "test";
  const databaseUrl = env.DATABASE_URL || undefined;
  const embedded = !databaseUrl || databaseUrl === "memory://";
  const dataDir = env.DATA_DIR || "./.data";
  const exposeDetails = explicitDevelopment || (!env.NODE_ENV && embedded);
  const jwtSecret = resolveJwtSecret(env, { production, explicitDevelopment, databaseUrl, dataDir });
  const twilio =
    env.TWILIO_ACCOUNT_SID && env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET
      ? {
          accountSid: env.TWILIO_ACCOUNT_SID,
          apiKeySid: env.TWILIO_API_KEY_SID,
          apiKeySecret: env.TWILIO_API_KEY_SECRET,
        }
      : undefined;
  const port = integer(env.PORT, 4000, "PORT");
  if (env.TWILIO_MESSAGING_FROM && !twilio)
    throw new ConfigError(
      "TWILIO_MESSAGING_FROM needs the Twilio account credentials (TWILIO_ACCOUNT_SID, TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET)",
    );
  return Object.freeze({
    env: nodeEnv,
    port,
    host: env.HOST || "0.0.0.0",
    databaseUrl,
    dataDir,
    databasePoolMax: integer(env.DATABASE_POOL_MAX, 10, "DATABASE_POOL_MAX"),
    seedDemo: env.SEED_DEMO ? env.SEED_DEMO === "true" : embedded,
    jwt: Object.freeze({
      secret: jwtSecret?.secret,
      jwksUrl: env.JWT_JWKS_URL || undefined,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
      clockToleranceSeconds: integer(env.JWT_CLOCK_TOLERANCE_SECONDS, 30, "JWT_CLOCK_TOLERANCE_SECONDS"),
      generatedSecret: jwtSecret?.generated,
    }),
    twilio: twilio && Object.freeze(twilio),
    publicBaseUrl: (env.PUBLIC_BASE_URL || `http://localhost:${port}`).replace(/\/+$/, ""),
    exposeDetails,
    introspection: env.GRAPHQL_INTROSPECTION ? env.GRAPHQL_INTROSPECTION === "true" : exposeDetails,
    graphqlJit: env.GRAPHQL_JIT !== "false",
    sessionPlanner: env.SESSION_PLANNER !== "false",
    logLevel: env.LOG_LEVEL || (nodeEnv === "test" ? "silent" : "info"),
    corsOrigins: Object.freeze(
      (env.CORS_ORIGINS ?? "")
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    ),
    statementTimeoutMs: integer(env.STATEMENT_TIMEOUT_MS, 5_000, "STATEMENT_TIMEOUT_MS"),
    requestTimeoutMs: integer(env.REQUEST_TIMEOUT_MS, 15_000, "REQUEST_TIMEOUT_MS"),
    writesPerMinute: integer(env.RATE_LIMIT_WRITES_PER_MINUTE, 300, "RATE_LIMIT_WRITES_PER_MINUTE"),
    trustProxy: trustProxy(env.TRUST_PROXY),
    metricsToken: env.METRICS_TOKEN || undefined,
    maxResponseBytes: integer(env.MAX_RESPONSE_BYTES, 5 * 1024 * 1024, "MAX_RESPONSE_BYTES"),
    eventRetentionDays: positive(env.EVENT_RETENTION_DAYS, 30, "EVENT_RETENTION_DAYS"),
    eventPruneIntervalSeconds: integer(env.EVENT_PRUNE_INTERVAL_SECONDS, 3600, "EVENT_PRUNE_INTERVAL_SECONDS"),
    redisUrl: redisUrl(env.REDIS_URL),
    eventCatchUpSeconds: positive(env.EVENT_CATCH_UP_SECONDS, 5, "EVENT_CATCH_UP_SECONDS"),
    maxSubscriptionsPerSocket: positive(env.MAX_SUBSCRIPTIONS_PER_SOCKET, 25, "MAX_SUBSCRIPTIONS_PER_SOCKET"),
    maxSocketsPerUser: positive(env.MAX_SOCKETS_PER_USER, 10, "MAX_SOCKETS_PER_USER"),
    subscriptionUserCheckSeconds: positive(env.SUBSCRIPTION_USER_CHECK_SECONDS, 30, "SUBSCRIPTION_USER_CHECK_SECONDS"),
    viewerCacheSeconds: integer(env.VIEWER_CACHE_SECONDS, 5, "VIEWER_CACHE_SECONDS"),
    waitlistPollIntervalMs: integer(env.WAITLIST_POLL_INTERVAL_MS, 1000, "WAITLIST_POLL_INTERVAL_MS"),
    calendarFeedRequestsPerMinute: positive(
      env.CALENDAR_FEED_REQUESTS_PER_MINUTE,
      10,
      "CALENDAR_FEED_REQUESTS_PER_MINUTE",
    ),
    email: email(env.SMTP_URL, env.EMAIL_FROM),
    smsFrom: env.TWILIO_MESSAGING_FROM || undefined,
    webhooks: Object.freeze({
      allowPrivateUrls: env.WEBHOOK_ALLOW_PRIVATE_URLS === "true",
      retryScheduleSeconds: Object.freeze(
        secondsList(
          env.WEBHOOK_RETRY_SCHEDULE_SECONDS,
          [10, 60, 600, 3600, 21600, 86400],
          "WEBHOOK_RETRY_SCHEDULE_SECONDS",
        ),
      ),
      timeoutMs: positive(env.WEBHOOK_TIMEOUT_MS, 10_000, "WEBHOOK_TIMEOUT_MS"),
      disableAfterFailures: positive(env.WEBHOOK_DISABLE_AFTER_FAILURES, 5, "WEBHOOK_DISABLE_AFTER_FAILURES"),
    }),
    jobsPollIntervalMs: atLeast(env.JOBS_POLL_INTERVAL_MS, 1000, 100, "JOBS_POLL_INTERVAL_MS"),
    jobsMaintenanceIntervalSeconds: atLeast(
      env.JOBS_MAINTENANCE_INTERVAL_SECONDS,
      60,
      1,
      "JOBS_MAINTENANCE_INTERVAL_SECONDS",
    ),
    jobsShutdownTimeoutMs: integer(env.JOBS_SHUTDOWN_TIMEOUT_MS, 10_000, "JOBS_SHUTDOWN_TIMEOUT_MS"),
  });
}

/**
 * The HS256 secret: JWT_SECRET (at least 32 bytes), else none with JWT_JWKS_URL, else one made
 * here. No secret is ever written in the code: a published one would sign anyone's tokens.
 * A real PostgreSQL without a secret is refused unless NODE_ENV says development or test.
 */
function resolveJwtSecret(
  env: NodeJS.ProcessEnv,
  where: { production: boolean; explicitDevelopment: boolean; databaseUrl?: string; dataDir: string },
): { secret: string; generated?: "data-dir" | "process" } | undefined {
  if (env.JWT_SECRET) {
    const bytes = Buffer.byteLength(env.JWT_SECRET, "utf8");
    if (bytes < MIN_JWT_SECRET_BYTES) {
      throw new ConfigError(
        `JWT_SECRET is ${bytes} bytes; it must be at least ${MIN_JWT_SECRET_BYTES} (generate one with: openssl rand -base64 48)`,
      );
    }
    return { secret: env.JWT_SECRET };
  }
  if (env.JWT_JWKS_URL) return undefined;
  if (where.production) throw new ConfigError("JWT_SECRET or JWT_JWKS_URL must be set when NODE_ENV=production");
  if (!where.databaseUrl) return { secret: dataDirSecret(where.dataDir), generated: "data-dir" };
  if (where.databaseUrl !== "memory://" && !where.explicitDevelopment) {
    throw new ConfigError(
      "JWT_SECRET or JWT_JWKS_URL must be set with a PostgreSQL DATABASE_URL (or set NODE_ENV=development to run with a random secret for this process only)",
    );
  }
  // memory://, or PostgreSQL in development/test: nothing outlives the process, nor do its tokens.
  return { secret: randomSecret(), generated: "process" };
}

/**
 * The embedded database's secret, made once into DATA_DIR (mode 0600) and read back after that,
 * so the server's printed demo tokens and `npm run cli -- token` agree across restarts.
 */
function dataDirSecret(dataDir: string): string {
  const file = join(resolve(dataDir), JWT_SECRET_FILE);
  mkdirSync(resolve(dataDir), { recursive: true });
  try {
    // "wx": of two processes starting at once, one creates it and the other reads it.
    writeFileSync(file, `${randomSecret()}\n`, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST")
      throw new ConfigError(`Cannot create ${file}: ${(err as Error).message}`);
  }
  const secret = readFileSync(file, "utf8").trim();
  if (Buffer.byteLength(secret, "utf8") < MIN_JWT_SECRET_BYTES) {
    throw new ConfigError(
      `${file} holds a secret shorter than ${MIN_JWT_SECRET_BYTES} bytes; delete it to have a new one generated`,
    );
  }
  return secret;
}

function randomSecret(): string {
  return randomBytes(48).toString("base64url");
}

/**
 * Fastify's trustProxy for config.trustProxy. Fastify 5.12 treats a bare number as "trust
 * nothing" (it cannot check the peer), so a hop count becomes the function that trusts that many
 * hops nearest the server: right only when the server cannot be reached except through them.
 */
export function fastifyTrustProxy(
  trust: Config["trustProxy"],
): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return [...trust];
}

/** TRUST_PROXY: a hop count ("1") or a comma-separated list of proxy addresses/CIDRs; unset: trust no X-Forwarded-For. */
function trustProxy(value: string | undefined): Config["trustProxy"] {
  if (value === undefined || value.trim() === "") return false;
  if (/^\d+$/.test(value.trim())) return integer(value.trim(), 0, "TRUST_PROXY") || false;
  const entries = value
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  // proxy-addr's names for the reserved ranges, or an address with an optional prefix length.
  const named = new Set(["loopback", "linklocal", "uniquelocal"]);
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split("/");
    const family = isIP(address ?? "");
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!named.has(entry) && (!family || !prefixOk || extra !== undefined)) {
      throw new ConfigError(
        `TRUST_PROXY must be a hop count or a comma-separated list of addresses/CIDRs (or loopback, linklocal, uniquelocal), got "${entry}"`,
      );
    }
  }
  return Object.freeze(entries);
}

/** REDIS_URL: redis:// or rediss:// (TLS) with a host; unset or empty: no Redis. */
function redisUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // Reported below without echoing the value, which may hold a password.
  }
  if (!url || (url.protocol !== "redis:" && url.protocol !== "rediss:") || !url.hostname)
    throw new ConfigError(
      "REDIS_URL must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379 (or unset, for PostgreSQL's NOTIFY)",
    );
  return value;
}

/** SMTP_URL (smtp:// or smtps:// with a host) and EMAIL_FROM, both or neither. */
function email(smtpUrl: string | undefined, from: string | undefined): Config["email"] {
  if (!smtpUrl) {
    if (from) throw new ConfigError("EMAIL_FROM is set but SMTP_URL is not: set both to send reminder emails");
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(smtpUrl);
  } catch {
    // Reported below without echoing the value, which may hold a password.
  }
  if (!url || (url.protocol !== "smtp:" && url.protocol !== "smtps:") || !url.hostname)
    throw new ConfigError("SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://user:pass@host:587");
  if (!from || !/^[^@\s]+@[^@\s]+$/.test(from.replace(/^.*<(.*)>\s*$/, "$1")))
    throw new ConfigError(
      'EMAIL_FROM must be an address, e.g. reminders@example.com or "Practice <reminders@example.com>"',
    );
  return Object.freeze({ smtpUrl, from });
}

/** A limit of 0 would refuse everything: at least 1. */
/** "10,60,600": positive numbers of seconds (fractions allowed: tests wait milliseconds), at least one. */
function secondsList(value: string | undefined, fallback: number[], name: string): number[] {
  if (value === undefined || value === "") return fallback;
  const list = value.split(",").map((part) => Number(part.trim()));
  if (!list.every((n) => Number.isFinite(n) && n > 0))
    throw new ConfigError(`${name} must be comma-separated positive numbers of seconds, got "${value}"`);
  return list;
}

function positive(value: string | undefined, fallback: number, name: string): number {
  const n = integer(value, fallback, name);
  if (n < 1) throw new ConfigError(`${name} must be at least 1, got "${value}"`);
  return n;
}

function atLeast(value: string | undefined, fallback: number, min: number, name: string): number {
  const n = integer(value, fallback, name);
  if (n < min) throw new ConfigError(`${name} must be at least ${min}, got "${value}"`);
  return n;
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}
