import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { classifyFailure } from "../../db/client.js";
import { DomainError } from "../../errors.js";
import { MINUTE } from "../../time.js";
import type { AppDeps } from "../context.js";
import { etagOf, matchesEtag, renderFeed } from "./feed.ics.js";
import { findLiveFeed, readFeed } from "./feed.read.js";
import { hashToken } from "./feed.service.js";

export const FEED_PREFIX = "/calendar/";

/** Whether a request's path is a calendar feed's (its log line and every failure are the feed's own). */
export const isCalendarFeedPath = (url: string): boolean => url.startsWith(FEED_PREFIX);

/**
 * The one answer for every URL that is not a live feed: unknown, revoked, its user inactive,
 * malformed, or not even a decodable path. The same status, headers and bytes, so nobody can
 * tell whether a token ever existed.
 */
export function feedNotFound(reply: FastifyReply): FastifyReply {
  return plain(reply.code(404), "Calendar feed not found\n");
}

/**
 * GET /calendar/<token>.ics: a user's sessions as text/calendar (RFC 5545), for calendar apps to
 * subscribe to. The token is the credential: looked up by its hash on the owner connection,
 * then the sessions are read as that user in their tenant. Rate-limited per token (every path
 * below /calendar/ is one key, by its hash) before anything is read.
 */
export async function installCalendarFeedRoute(server: FastifyInstance, deps: AppDeps): Promise<void> {
  await server.register(async (feeds) => {
    feeds.setErrorHandler((error: { statusCode?: number }, request, reply) => {
      // @fastify/rate-limit set Retry-After before refusing.
      if (error.statusCode === 429) return plain(reply.code(429), "Too many requests for this calendar feed\n");
      const failure = classifyFailure(error);
      request.log.error({ err: error }, "calendar feed failed");
      const timedOut = failure instanceof DomainError && failure.code === "UNAVAILABLE";
      return plain(reply.code(timedOut ? 503 : 500), timedOut ? "Try again later\n" : "Internal error\n");
    });
    feeds.get(
      `${FEED_PREFIX}*`,
      {
        config: {
          rateLimit: {
            max: deps.config.calendarFeedRequestsPerMinute,
            timeWindow: MINUTE,
            keyGenerator: (request: FastifyRequest) => `calendar:${hashToken(pathOf(request))}`,
          },
        },
      },
      async (request, reply) => {
        const path = pathOf(request);
        const token = path.endsWith(".ics") ? path.slice(0, -".ics".length) : "";
        const feed = await findLiveFeed(deps.database, token);
        const content = feed && (await readFeed(deps.database, feed, deps.now()));
        if (!content) return feedNotFound(reply);
        const body = renderFeed(content);
        const etag = etagOf(body);
        reply.header("etag", etag).header("cache-control", "private, no-cache");
        if (matchesEtag(request.headers["if-none-match"], etag)) return reply.code(304).send();
        return reply
          .type("text/calendar; charset=utf-8")
          .header("content-disposition", 'inline; filename="sessions.ics"')
          .send(body);
      },
    );
  });
}

const pathOf = (request: FastifyRequest): string => (request.params as { "*": string })["*"];

function plain(reply: FastifyReply, text: string): FastifyReply {
  return reply
    .type("text/plain; charset=utf-8")
    .header("cache-control", "no-store")
    .header("x-content-type-options", "nosniff")
    .send(text);
}
