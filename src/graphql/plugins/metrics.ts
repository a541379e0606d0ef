import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import type { Metrics } from "../../http/metrics.js";
import type { GraphQLContext } from "./context.js";

/**
 * Each operation's type, first root field, duration and outcome, for /metrics. The duration
 * runs from the request's context (authentication included) to the response: the start is
 * the context's, so one listener serves every request.
 */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  const listener: GraphQLRequestListener<GraphQLContext> = {
    async willSendResponse({ operation, response, contextValue }) {
      const field = operation?.selectionSet.selections.find((s) => s.kind === "Field");
      const failed = response.body.kind === "single" && !!response.body.singleResult.errors?.length;
      metrics.graphqlOperation(
        operation?.operation ?? "invalid",
        field?.kind === "Field" ? field.name.value : "",
        (performance.now() - contextValue.startedAt) / 1000,
        failed,
      );
    },
  };
  return { requestDidStart: async () => listener };
}
