import type { ApolloServerPlugin } from "@apollo/server";
import type { Metrics } from "../../http/metrics.js";
import type { GraphQLContext } from "./context.js";

/** Each operation's type, first root field, duration and outcome, for /metrics. */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, response }) {
          const field = operation?.selectionSet.selections.find((s) => s.kind === "Field");
          const failed = response.body.kind === "single" && !!response.body.singleResult.errors?.length;
          metrics.graphqlOperation(
            operation?.operation ?? "invalid",
            field?.kind === "Field" ? field.name.value : "",
            (performance.now() - started) / 1000,
            failed,
          );
        },
      };
    },
  };
}
