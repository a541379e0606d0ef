import { randomUUID } from "node:crypto";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { GraphQLError } from "graphql";
import fastifyCookie from "@fastify/cookie";
import fastifyCors from "@fastify/cors";
import fastifyHelmet from "@fastify/helmet";
import { auditEntries, auditPlugin, type AuditedContext } from "./graphql/audit-plugin.js";
import { graphqlLimits } from "./graphql/limits.js";
import { subscriptionServer } from "./graphql/subscriptions-server.js";
import { loggerOptions, type LogStream } from "./http/log.js";
import { installMetrics, type Metrics } from "./http/metrics.js";
import { installWriteLimit, mutationFieldCount, type WriteLimit } from "./http/write-limit.js";
import { fastifyTrustProxy, type Config } from "./config.js";
import { Database } from "./db/client.js";
import { DomainError } from "./errors.js";
import type { RequestScope } from "./db/scope.js";
import { getSchema } from "./graphql/build-schema.js";
import { jitGateway } from "./graphql/jit-gateway.js";
import { authError, httpContext } from "./graphql/context.js";
import { formatError } from "./graphql/errors.js";
import { migrationsApplied } from "./db/migrate.js";
import { EventDispatcher } from "./modules/events/dispatcher.js";
import { finishAudited } from "./modules/audit/audit.service.js";
import type { AppDeps, RequestContext } from "./modules/context.js";
import { AuthService } from "./modules/tenants/auth.service.js";
import { TokenVerifier } from "./modules/tenants/jwt.js";
import { TenantDirectory } from "./modules/tenants/tenant.service.js";
import type { VideoProvider } from "./modules/video/video.provider.js";
import { createVideoProvider } from "./modules/video/create-video-provider.js";
import { registerRestShims } from "./rest/router.js";
import { frameworkErrors } from "./rest/shim.js";

export interface AppOptions {
  config: Config;
  database: Database;
  now?: () => Date;
  /** Replaces the provider made from config.twilio (tests inject one that talks to a fake Twilio). */
  video?: VideoProvider;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: LogStream;
}

export interface App {
  server: FastifyInstance;
  deps: AppDeps;
  auth: AuthService;
  /** Listens on config.port/host (port 0: any free port); resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;

type ScopedContext = RequestContext & AuditedContext & { db: RequestScope; log?: FastifyBaseLogger; checkWriteLimit?: (writes: number) => Promise<WriteLimit> };

export async function createApp(options: AppOptions): Promise<App> {
  const { config, database } = options;
  const server = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream),
    // request.ip: the socket's address unless TRUST_PROXY names the proxies whose X-Forwarded-For to believe.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    genReqId: () => randomUUID(),
    bodyLimit: BODY_LIMIT,
    // A long path segment reaches its route (whose schema refuses it in the API's own format)
    // instead of the router's bare 414; the request line's own limit (16 KB) still bounds it.
    routerOptions: { maxParamLength: 16_384 },
    // A path the router cannot decode is "not found" in the format of the API it was meant for.
    frameworkErrors,
    // Report every bad field at once: the legacy APIs list them all.
    // `example` documents a field in /openapi.json (and the Postman sample bodies); it validates nothing.
    ajv: { customOptions: { allErrors: true, keywords: ["example"] } },
  });
  await server.register(fastifyWebsocket, {
    // A WebSocket message is bounded like a request body (ws allows 100 MB by default).
    options: { maxPayload: BODY_LIMIT },
    // On shutdown every subscriber is told to reconnect elsewhere: 1001 Going Away.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(1001, "Server shutting down");
      this.websocketServer.close(() => done());
    },
  });
  await server.register(fastifyCookie);
  // Browser frontends: only the configured origins, credentials allowed (the fitness cookie).
  // Another origin gets no CORS header at all (a list would still send allow-credentials).
  const corsOrigin = (origin: string | undefined, done: (err: Error | null, allow: boolean) => void) => done(null, origin !== undefined && config.corsOrigins.includes(origin));
  if (config.corsOrigins.length) await server.register(fastifyCors, { origin: corsOrigin, credentials: true, maxAge: 600 });

  const events = new EventDispatcher(database, (err) => server.log.error({ err }, "event dispatch failed"), {
    retentionDays: config.eventRetentionDays,
    pruneIntervalMs: config.eventPruneIntervalSeconds * 1000,
  });
  await events.start();
  const metrics = installMetrics(server, { database, events, poolMax: config.databasePoolMax, token: config.metricsToken });
  const verifier = new TokenVerifier(config.jwt);
  const checkWriteLimit = await installWriteLimit(server, config.writesPerMinute, verifier);
  const deps: AppDeps = { config, database, events, now: options.now ?? (() => new Date()), video: options.video ?? createVideoProvider(config) };
  const auth = new AuthService(verifier, new TenantDirectory(database));
  // An unexpected error is logged with its request's logger (request id): requestLogPlugin
  // files each error under it before Apollo formats the errors.
  const requestLoggers = new WeakMap<object, FastifyBaseLogger>();
  const formatGraphQLError = formatError(!config.exposeDetails, (err, correlationId, error) =>
    (requestLoggers.get(error as object) ?? server.log).error({ err, correlationId }, "unexpected GraphQL error"),
  );
  const limits = graphqlLimits({ hideSuggestions: !config.introspection });

  const schema = await getSchema();
  const apollo = new ApolloServer<ScopedContext>({
    ...(config.graphqlJit ? { gateway: jitGateway(schema) } : { schema }),
    introspection: config.introspection,
    csrfPrevention: true,
    // main.ts drains on SIGTERM; Apollo's own handler would stop it early and re-kill the process.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: config.exposeDetails,
    formatError: formatGraphQLError,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      fastifyApolloDrainPlugin(server),
      // No HTTP cache hints are sent: without this Apollo's default plugin hooks every field resolution.
      ApolloServerPluginCacheControlDisabled(),
      ...(limits.plugins as ApolloServerPlugin<ScopedContext>[]),
      writeLimitPlugin(),
      metricsPlugin(metrics),
      auditPlugin(),
      commitPlugin(),
      requestLogPlugin(requestLoggers),
    ],
  });
  await apollo.start();

  const subscriptions = subscriptionServer({ schema, deps, auth, config, limits, formatError: formatGraphQLError, log: server.log });
  const wsHandler = subscriptions.wsHandler;

  const graphqlHandler = fastifyApolloHandler(apollo, {
    context: async (request) => {
      try {
        const tenantCode = request.headers["x-tenant-code"];
        const ctx = await httpContext(deps, auth, { authorization: request.headers.authorization, tenantCode: typeof tenantCode === "string" ? tenantCode : undefined }, request.id);
        (request as { scope?: RequestScope }).scope = ctx.db;
        return { ...ctx, log: request.log, checkWriteLimit: (writes: number) => checkWriteLimit(request, writes) };
      } catch (err) {
        throw authError(err);
      }
    },
  });
  // Safety net: a request that ended without Apollo finishing its scope must not hold a transaction.
  // (Added before the /graphql plugin below: a child context inherits only the hooks it sees.)
  server.addHook("onResponse", async (request) => {
    await (request as { scope?: RequestScope }).scope?.finish(false);
  });

  await server.register(async (graphql) => {
    // The shims' security headers on /graphql too, except the content security policy: /graphql
    // answers JSON, and its one HTML page (Apollo's landing page) runs inline scripts from
    // Apollo's CDN, which a locked-down CSP would break. Frame denial, nosniff and HSTS stay.
    await graphql.register(fastifyHelmet, { contentSecurityPolicy: false });
    // One path for both: GET carries graphql-ws upgrades (and GET queries), POST the usual requests.
    graphql.route({ method: "GET", url: "/graphql", handler: graphqlHandler, wsHandler, errorHandler: graphqlTransportError });
    graphql.route({ method: ["POST", "OPTIONS"], url: "/graphql", handler: graphqlHandler, errorHandler: graphqlTransportError });
  });

  await registerRestShims(server, { deps, auth });

  server.get("/healthz", async () => ({ status: "ok" }));
  server.get("/readyz", async (request, reply) => {
    try {
      const applied = await migrationsApplied(database);
      if (!applied.ok) return reply.code(503).send({ status: "unavailable", reason: `migrations pending: ${applied.applied}/${applied.expected} applied` });
      return { status: "ready", database: database.kind, migrations: applied.applied };
    } catch (err) {
      // The driver's text can name hosts, roles and SQL: it goes to the log, the probe gets a fixed reason.
      request.log.error({ err }, "readiness check: the database did not answer");
      return reply.code(503).send({ status: "unavailable", reason: "database unavailable" });
    }
  });

  return {
    server,
    deps,
    auth,
    async listen() {
      await server.listen({ port: config.port, host: config.host });
      const address = server.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      return `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
    },
    async close() {
      // Fastify closes idle keep-alive connections once; one kept alive by a request that was
      // still running goes idle later and would hold the close until its keep-alive timeout.
      const closeIdle = setInterval(() => server.server.closeIdleConnections(), 100);
      await server.close().finally(() => clearInterval(closeIdle));
      await apollo.stop().catch(() => {});
      subscriptions.stop();
      await events.stop();
    },
  };
}

/**
 * What fails before Apollo sees the request (a body over the limit, malformed JSON, an unknown
 * content type) still answers in GraphQL's shape, with the HTTP status Fastify chose.
 */
function graphqlTransportError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500;
  // An unauthenticated write over its IP's limit is refused before Apollo (http/write-limit.ts).
  if (status === 429) return reply.code(429).send({ errors: [{ message: error.message, extensions: { code: "RATE_LIMITED", retryAfterSeconds: Number(reply.getHeader("retry-after")) } }] });
  if (status < 500) return reply.code(status).send({ errors: [{ message: error.message, extensions: { code: "BAD_REQUEST" } }] });
  const correlationId = randomUUID();
  request.log.error({ err: error, correlationId }, "unexpected GraphQL transport error");
  return reply.code(500).send({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR", correlationId } }] });
}

/** Files each error of a request under the request's logger, for formatError to log it with (no AsyncLocalStorage: its promise hooks cost every request). */
function requestLogPlugin(loggers: WeakMap<object, FastifyBaseLogger>): ApolloServerPlugin<ScopedContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async didEncounterErrors({ errors }) {
          if (contextValue.log) for (const error of errors) loggers.set(error, contextValue.log);
        },
      };
    },
  };
}

/** Each mutation field counts as one write against the caller's limit (429, extensions.code RATE_LIMITED). */
function writeLimitPlugin(): ApolloServerPlugin<ScopedContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (operation?.operation !== "mutation" || !contextValue.checkWriteLimit) return;
          const limit = await contextValue.checkWriteLimit(mutationFieldCount(operation, document));
          if (!limit.limited) return;
          throw new GraphQLError(`Too many requests: retry in ${limit.retryAfterSeconds} seconds`, {
            extensions: { code: "RATE_LIMITED", retryAfterSeconds: limit.retryAfterSeconds, http: { status: 429, headers: new Map([["retry-after", String(limit.retryAfterSeconds)]]) } },
          });
        },
      };
    },
  };
}

/** Each operation's type, first root field, duration and outcome, for /metrics. */
function metricsPlugin(metrics: Metrics): ApolloServerPlugin<ScopedContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, response }) {
          const field = operation?.selectionSet.selections.find((s) => s.kind === "Field");
          const failed = response.body.kind === "single" && !!response.body.singleResult.errors?.length;
          metrics.graphqlOperation(operation?.operation ?? "invalid", field?.kind === "Field" ? field.name.value : "", (performance.now() - started) / 1000, failed);
        },
      };
    },
  };
}

/**
 * Ends the request's transaction before the response leaves, so a client never sees success
 * for work that did not commit. An unexpected error (a bug, a failed statement) rolls it back.
 * The request's audit entries (auditPlugin) are written with it.
 */
function commitPlugin(): ApolloServerPlugin<ScopedContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
          const unexpected = errors.some((e) => e.extensions?.code === "INTERNAL_SERVER_ERROR");
          try {
            await finishAudited(contextValue, auditEntries(contextValue, errors), !unexpected);
          } catch (err) {
            // Past its deadline the request was rolled back: the server is busy (UNAVAILABLE), not a bug.
            const pastDeadline = err instanceof DomainError;
            if (response.body.kind === "single") {
              response.body.singleResult.data = null;
              response.body.singleResult.errors = [
                pastDeadline ? { message: err.message, extensions: { code: err.code } } : { message: "The request could not be committed; nothing was saved", extensions: { code: "INTERNAL_SERVER_ERROR" } },
              ];
            }
            response.http.status = pastDeadline ? 503 : 500;
            if (!pastDeadline) throw err;
          }
        },
      };
    },
  };
}
