import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import helmet from "helmet";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from "fastify";
import type { Config } from "../config.js";
import type { RequestScope } from "../db/scope.js";
import type { Metrics } from "../http/metrics.js";
import { httpContext } from "../http/request-context.js";
import type { WriteLimit } from "../http/write-limit.js";
import type { AppDeps } from "../modules/context.js";
import type { AuthService } from "../modules/tenants/index.js";
import { getJitSchema, getSchema } from "./build-schema.js";
import { authError, formatError } from "./errors.js";
import { jitGateway } from "./jit-gateway.js";
import { graphqlLimits } from "./limits.js";
import { auditPlugin } from "./plugins/audit.js";
import { commitPlugin } from "./plugins/commit.js";
import type { GraphQLContext } from "./plugins/context.js";
import { metricsPlugin } from "./plugins/metrics.js";
import { requestLogPlugin } from "./plugins/request-log.js";
import { writeLimitPlugin } from "./plugins/write-limit.js";
import { subscriptionServer } from "./subscriptions-server.js";
import { graphqlTransportError } from "./transport-error.js";

export interface GraphQLServer {
  /** Stops Apollo and the subscription server's periodic re-check (after Fastify closed). */
  stop(): Promise<void>;
}

/**
 * GraphQL on /graphql: Apollo (queries and mutations over HTTP, each in its request
 * transaction) and graphql-ws (subscriptions) on one route, with their limits and plugins.
 */
export async function installGraphQL(
  server: FastifyInstance,
  options: {
    config: Config;
    deps: AppDeps;
    auth: AuthService;
    metrics: Metrics;
    checkWriteLimit: (request: FastifyRequest, writes: number) => Promise<WriteLimit>;
  },
): Promise<GraphQLServer> {
  const { config, deps, auth, metrics, checkWriteLimit } = options;
  // An unexpected error is logged with its request's logger (request id): requestLogPlugin
  // files each error under it before Apollo formats the errors.
  const requestLoggers = new WeakMap<object, FastifyBaseLogger>();
  const formatGraphQLError = formatError(!config.exposeDetails, (err, correlationId, error) =>
    (requestLoggers.get(error as object) ?? server.log).error({ err, correlationId }, "unexpected GraphQL error"),
  );
  const limits = graphqlLimits({ hideSuggestions: !config.introspection });

  const schema = await getSchema();
  const apollo = new ApolloServer<GraphQLContext>({
    ...(config.graphqlJit ? { gateway: jitGateway(schema, await getJitSchema()) } : { schema }),
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
      ...(limits.plugins as ApolloServerPlugin<GraphQLContext>[]),
      writeLimitPlugin(),
      metricsPlugin(metrics),
      auditPlugin(),
      commitPlugin(),
      requestLogPlugin(requestLoggers),
    ],
  });
  await apollo.start();

  const subscriptions = subscriptionServer({
    schema,
    deps,
    auth,
    config,
    limits,
    formatError: formatGraphQLError,
    log: server.log,
  });

  const graphqlHandler = fastifyApolloHandler(apollo, {
    context: async (request) => {
      const startedAt = performance.now();
      try {
        const tenantCode = request.headers["x-tenant-code"];
        const ctx = await httpContext(
          deps,
          auth,
          {
            authorization: request.headers.authorization,
            tenantCode: typeof tenantCode === "string" ? tenantCode : undefined,
          },
          request.id,
        );
        (request as { scope?: RequestScope }).scope = ctx.db;
        // The same object the loaders were bound to, completed (no copy per request).
        return Object.assign(ctx, {
          log: request.log,
          checkWriteLimit: (writes: number) => checkWriteLimit(request, writes),
          startedAt,
        });
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
    const securityHeaders = helmetHeaders({ contentSecurityPolicy: false });
    graphql.addHook("onRequest", (_request, reply, done) => {
      reply.headers(securityHeaders);
      done();
    });
    // One path for both: GET carries graphql-ws upgrades (and GET queries), POST the usual requests.
    graphql.route({
      method: "GET",
      url: "/graphql",
      handler: graphqlHandler,
      wsHandler: subscriptions.wsHandler,
      errorHandler: graphqlTransportError,
    });
    graphql.route({
      method: ["POST", "OPTIONS"],
      url: "/graphql",
      handler: graphqlHandler,
      errorHandler: graphqlTransportError,
    });
  });

  return {
    async stop() {
      await apollo.stop().catch(() => {});
      subscriptions.stop();
    },
  };
}

/**
 * The headers helmet sets with these options, computed once by helmet itself: without a CSP
 * (nonces) they are the same for every response, and @fastify/helmet would build helmet's
 * middleware again on each request.
 */
function helmetHeaders(options: Parameters<typeof helmet>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return headers;
}
