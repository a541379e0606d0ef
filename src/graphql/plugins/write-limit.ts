import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { getVariableValues, GraphQLError } from "graphql";
import { mutationFieldCount } from "../../http/write-limit.js";
import type { GraphQLContext } from "./context.js";

/** Each mutation field counts as one write against the caller's limit (429, extensions.code and reason RATE_LIMITED). */
export function writeLimitPlugin(): ApolloServerPlugin<GraphQLContext> {
  // One listener for all requests; a query returns at the first line.
  const listener: GraphQLRequestListener<GraphQLContext> = {
    async didResolveOperation({ operation, document, contextValue, request, schema }) {
      if (operation?.operation !== "mutation" || !contextValue.checkWriteLimit) return;
      // Variables that do not coerce run nothing; counted as written, every field is a write.
      const { coerced } = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, {
        maxErrors: 1,
      });
      const limit = await contextValue.checkWriteLimit(mutationFieldCount(operation, document, coerced));
      if (!limit.limited) return;
      throw new GraphQLError(`Too many requests: retry in ${limit.retryAfterSeconds} seconds`, {
        extensions: {
          code: "RATE_LIMITED",
          reason: "RATE_LIMITED",
          retryAfterSeconds: limit.retryAfterSeconds,
          http: { status: 429, headers: new Map([["retry-after", String(limit.retryAfterSeconds)]]) },
        },
      });
    },
  };
  return { requestDidStart: async () => listener };
}
