import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { DomainError } from "../../errors.js";
import { finishAudited } from "../../modules/audit/index.js";
import { auditEntries } from "./audit.js";
import type { GraphQLContext } from "./context.js";

/**
 * Ends the request's transaction before the response leaves, so a client never sees success
 * for work that did not commit. An unexpected error (a bug, a failed statement) rolls it back.
 * The request's audit entries (auditPlugin) are written with it.
 */
export function commitPlugin(): ApolloServerPlugin<GraphQLContext> {
  // One listener for every request (it keeps nothing of its own): no objects made per request.
  const listener: GraphQLRequestListener<GraphQLContext> = {
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
            pastDeadline
              ? { message: err.message, extensions: { code: err.code, reason: err.reason } }
              : {
                  message: "The request could not be committed; nothing was saved",
                  extensions: { code: "INTERNAL_SERVER_ERROR", reason: "INTERNAL" },
                },
          ];
        }
        response.http.status = pastDeadline ? 503 : 500;
        if (!pastDeadline) throw err;
      }
    },
  };
  return { requestDidStart: async () => listener };
}
