import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/**
 * What fails before Apollo sees the request (a body over the limit, malformed JSON, an unknown
 * content type) still answers in GraphQL's shape, with the HTTP status Fastify chose and a reason.
 */
export function graphqlTransportError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500;
  // An unauthenticated write over its IP's limit is refused before Apollo (http/write-limit.ts).
  if (status === 429) {
    return reply.code(429).send({
      errors: [
        {
          message: error.message,
          extensions: {
            code: "RATE_LIMITED",
            reason: "RATE_LIMITED",
            retryAfterSeconds: Number(reply.getHeader("retry-after")),
          },
        },
      ],
    });
  }
  // A body over the limit is more than one request may send; anything else is a malformed request.
  if (status < 500)
    return reply.code(status).send({
      errors: [
        {
          message: error.message,
          extensions: { code: "BAD_REQUEST", reason: status === 413 ? "TOO_MUCH_WORK" : "VALIDATION" },
        },
      ],
    });
  const correlationId = randomUUID();
  request.log.error({ err: error, correlationId }, "unexpected GraphQL transport error");
  return reply.code(500).send({
    errors: [
      {
        message: "Internal server error",
        extensions: { code: "INTERNAL_SERVER_ERROR", reason: "INTERNAL", correlationId },
      },
    ],
  });
}
