import type { FastifyBaseLogger } from "fastify";
import type { RequestScope } from "../../db/scope.js";
import type { WriteLimit } from "../../http/write-limit.js";
import type { RequestContext } from "../../modules/context.js";
import type { AuditedContext } from "./audit.js";

/** The context of a GraphQL request over HTTP, as its plugins see it. */
export type GraphQLContext = RequestContext &
  AuditedContext & {
    db: RequestScope;
    log?: FastifyBaseLogger;
    checkWriteLimit?: (writes: number) => Promise<WriteLimit>;
    /** performance.now() when the context was made (metricsPlugin's durations). */
    startedAt: number;
  };
