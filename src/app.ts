import { randomUUID } from "node:crypto";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import fastifyCookie from "@fastify/cookie";
import fastifyCors from "@fastify/cors";
import { installGraphQL } from "./graphql/http-server.js";
import { loggerOptions, type LogStream } from "./http/log.js";
import { installMetrics } from "./http/metrics.js";
import { installWriteLimit } from "./http/write-limit.js";
import { fastifyTrustProxy, type Config } from "./config.js";
import { Database } from "./db/client.js";
import { migrationsApplied } from "./db/migrate.js";
import { feedNotFound, installCalendarFeedRoute, isCalendarFeedPath } from "./modules/calendar-feeds/index.js";
import { EventDispatcher, PgNotifySignal, RedisSignal, scheduleEventRetention } from "./modules/events/index.js";
import { startHoldExpiry } from "./modules/holds/index.js";
import { JobEngine } from "./modules/jobs/index.js";
import type { AppDeps } from "./modules/context.js";
import { AuthService } from "./modules/tenants/index.js";
import { TokenVerifier } from "./modules/tenants/index.js";
import { TenantDirectory, ViewerCache } from "./modules/tenants/index.js";
import { createReminderTransports, startReminderDelivery, type ReminderTransports } from "./modules/reminders/index.js";
import type { SmsSender, VideoProvider } from "./modules/video/index.js";
import { createVideoProvider } from "./modules/video/index.js";
import { WaitlistRefills } from "./modules/waitlist/index.js";
import { WebhookDeliverer } from "./modules/webhooks/index.js";
import { registerRestShims } from "./rest/router.js";
import { frameworkErrors } from "./rest/shim.js";
import { installWebPage, type DemoSignIn } from "./web/page.js";

export interface AppOptions {
  config: Config;
  database: Database;
  now?: () => Date;
  /** Replaces the provider made from config.twilio (tests inject one that talks to a fake Twilio). */
  video?: VideoProvider;
  /** Replaces the SMS sender made from config (tests inject one that talks to a fake Twilio). */
  sms?: SmsSender;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: LogStream;
  /** The embedded demo tenant's people, offered as "sign in as" on the calendar page (only where `npm start` prints their tokens). */
  demo?: DemoSignIn;
}

export interface App {
  server: FastifyInstance;
  deps: AppDeps;
  auth: AuthService;
  /** The waitlist's refill processor (tests call processRefills() to run it now). */
  waitlist: WaitlistRefills;
  /** The reminder channels this instance can send on (SMTP, Twilio Messaging). */
  reminderTransports: ReminderTransports;
  /** Listens on config.port/host (port 0: any free port); resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;

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
    // A path the router cannot decode is "not found" in the format of the API it was meant for
    // (a calendar feed's: the one answer for every URL that is not a live feed).
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      isCalendarFeedPath(request.url) ? void feedNotFound(reply) : frameworkErrors(error, request, reply),
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
  const corsOrigin = (origin: string | undefined, done: (err: Error | null, allow: boolean) => void) =>
    done(null, origin !== undefined && config.corsOrigins.includes(origin));
  if (config.corsOrigins.length)
    await server.register(fastifyCors, { origin: corsOrigin, credentials: true, maxAge: 600 });

  const onEventError = (err: unknown) => server.log.error({ err }, "event dispatch failed");
  const signal = config.redisUrl
    ? await RedisSignal.open(config.redisUrl, database, {
        catchUpIntervalMs: config.eventCatchUpSeconds * 1000,
        onError: onEventError,
      })
    : new PgNotifySignal(database);
  const events = new EventDispatcher(database, signal, onEventError, {
    retentionDays: config.eventRetentionDays,
  });
  await events.start();
  const jobs = new JobEngine(database, config, (err, job) =>
    server.log.error({ err, ...job }, job?.queue ? "job failed" : "job engine error"),
  );
  await jobs.start();
  await scheduleEventRetention(events, jobs, config.eventPruneIntervalSeconds);
  // Every committed event, through any instance, may wake its tenant's event consumers: look now, not at the next poll.
  events.onAnnounced(() => jobs.eventsCommitted());
  const metrics = installMetrics(server, {
    database,
    events,
    poolMax: config.databasePoolMax,
    token: config.metricsToken,
  });
  const verifier = new TokenVerifier(config.jwt);
  const checkWriteLimit = await installWriteLimit(server, config.writesPerMinute, verifier);
  const deps: AppDeps = {
    config,
    database,
    events,
    jobs,
    now: options.now ?? (() => new Date()),
    video: options.video ?? createVideoProvider(config),
  };
  await startHoldExpiry(deps);
  const webhooks = new WebhookDeliverer(deps);
  webhooks.consumeEvents();
  await webhooks.start();
  const waitlist = new WaitlistRefills(deps, (err) => server.log.error({ err }, "waitlist refill failed"));
  const reminderTransports = createReminderTransports(config, options.sms);
  await startReminderDelivery(deps, jobs, reminderTransports);
  const auth = new AuthService(
    verifier,
    new TenantDirectory(database),
    new ViewerCache(config.viewerCacheSeconds, events),
  );
  const graphql = await installGraphQL(server, { config, deps, auth, metrics, checkWriteLimit });

  await registerRestShims(server, { deps, auth });
  await installCalendarFeedRoute(server, deps);
  await installWebPage(server, { jwt: config.jwt, demo: options.demo });
  await waitlist.start();
  // Every event consumer is registered by now (webhooks, reminders, waitlist).
  await jobs.consumeEvents();

  server.get("/healthz", async () => ({ status: "ok" }));
  server.get("/readyz", async (request, reply) => {
    try {
      const applied = await migrationsApplied(database);
      if (!applied.ok)
        return reply.code(503).send({
          status: "unavailable",
          reason: `migrations pending: ${applied.applied}/${applied.expected} applied`,
        });
      return {
        status: "ready",
        database: database.kind,
        migrations: applied.applied,
        jobs: jobs.status(),
        reminders: {
          email: reminderTransports.EMAIL ? "on" : "off (SMTP_URL and EMAIL_FROM are not set)",
          sms: reminderTransports.SMS ? "on" : "off (TWILIO_MESSAGING_FROM and the Twilio credentials are not set)",
        },
      };
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
    waitlist,
    reminderTransports,
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
      await graphql.stop();
      await waitlist.stop();
      await jobs.stop();
      await events.stop();
      reminderTransports.EMAIL?.close?.();
    },
  };
}
