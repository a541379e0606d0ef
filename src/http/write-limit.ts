import { createHash } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { bearerToken } from "../modules/tenants/auth.service.js";

export interface WriteLimit {
  limited: boolean;
  retryAfterSeconds: number;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A request that changes something: a write method, or a legacy GET that writes (config.countsAsWrite). */
export function isWriteRequest(request: FastifyRequest): boolean {
  return WRITE_METHODS.has(request.method) || request.routeOptions.config.countsAsWrite === true;
}

/** A REST route that writes through a GET (a legacy API's design) declares `config: { countsAsWrite: true }`. */
declare module "fastify" {
  interface FastifyContextConfig {
    countsAsWrite?: boolean;
  }
}

/**
 * Limits writes (GraphQL mutations, REST POST/PUT/PATCH/DELETE) per minute, per caller token
 * and per IP (@fastify/rate-limit's store). REST routes answer 429 in their own API's error
 * format (the error reaches each API's error handler); GraphQL answers extensions.code RATE_LIMITED.
 */
export async function installWriteLimit(server: FastifyInstance, perMinute: number): Promise<(request: FastifyRequest) => Promise<WriteLimit>> {
  await server.register(rateLimit, { global: false, max: perMinute, timeWindow: 60_000 });
  const perUser = server.createRateLimit({ keyGenerator: (request) => `user:${credentialOf(request) ?? request.ip}` });
  // A NAT or proxy puts many people behind one address: the IP limit is more generous.
  const perIp = server.createRateLimit({ max: perMinute * 5, keyGenerator: (request) => `ip:${request.ip}` });

  const check = async (request: FastifyRequest): Promise<WriteLimit> => {
    for (const limiter of [perUser, perIp]) {
      const limit = await limiter(request);
      if (!limit.isAllowed && limit.isExceeded) return { limited: true, retryAfterSeconds: limit.ttlInSeconds };
    }
    return { limited: false, retryAfterSeconds: 0 };
  };

  server.addHook("onRequest", async (request, reply) => {
    if (!isWriteRequest(request) || request.url.startsWith("/graphql")) return;
    const limit = await check(request);
    if (!limit.limited) return;
    reply.header("retry-after", String(limit.retryAfterSeconds));
    throw Object.assign(new Error(`Too many requests: retry in ${limit.retryAfterSeconds} seconds`), { statusCode: 429 });
  });
  return check;
}

/**
 * The caller's token, hashed: the key never holds a credential. A Bearer header and the fitness
 * API's cookie carrying the same token are one caller.
 */
function credentialOf(request: FastifyRequest): string | undefined {
  const cookie = (request as { cookies?: Record<string, string | undefined> }).cookies?.session;
  const token = bearerToken(request.headers.authorization) ?? request.headers.authorization ?? cookie;
  return token ? createHash("sha256").update(token).digest("base64url") : undefined;
}
