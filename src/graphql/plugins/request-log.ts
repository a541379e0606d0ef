import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import type { FastifyBaseLogger } from "fastify";
import type { GraphQLContext } from "./context.js";

/** Files each error of a request under the request's logger, for formatError to log it with (no AsyncLocalStorage: its promise hooks cost every request). */
export function requestLogPlugin(loggers: WeakMap<object, FastifyBaseLogger>): ApolloServerPlugin<GraphQLContext> {
  // One listener for all requests; only a request with errors does anything.
  const listener: GraphQLRequestListener<GraphQLContext> = {
    async didEncounterErrors({ contextValue, errors }) {
      if (contextValue.log) for (const error of errors) loggers.set(error, contextValue.log);
    },
  };
  return { requestDidStart: async () => listener };
}
