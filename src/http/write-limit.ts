import rateLimit from "@fastify/rate-limit";
import { MINUTE } from "../time.js";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { DocumentNode, OperationDefinitionNode } from "graphql";
import { fragmentsOf, selectedFields } from "../graphql/operation-fields.js";
import { bearerToken } from "../modules/tenants/index.js";
import type { TokenVerifier } from "../modules/tenants/index.js";

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

/** Who a write counts against: the verified token's user, or (no valid token) the client's address. */
type WriteKey = { user: true; key: string } | { user: false; key: string };

/**
 * Limits writes per minute: GraphQL mutation fields (each field one write) and REST
 * POST/PUT/PATCH/DELETE (and GETs that write), with @fastify/rate-limit's store.
 *
 * A write counts after authentication: a request whose token verifies counts against that
 * token's user (tenant and subject) and nothing else, so no one can use up a user's budget
 * without that user's credentials, and many users behind one NAT do not share one. A request
 * without a valid token counts against its IP (request.ip: TRUST_PROXY decides which
 * X-Forwarded-For to believe), with a budget 5× larger since a NAT puts many people behind one
 * address; it is refused anyway, and the limit bounds the work junk tokens can cause.
 *
 * REST routes answer 429 in their own API's error format (the error reaches each API's error
 * handler); GraphQL answers extensions.code RATE_LIMITED: an unauthenticated POST /graphql is
 * counted here as one write, an authenticated mutation by writeLimitPlugin (src/graphql/plugins/write-limit.ts) once it
 * knows how many mutation fields the operation has.
 */
export async function installWriteLimit(
  server: FastifyInstance,
  perMinute: number,
  verifier: Pick<TokenVerifier, "verify">,
): Promise<(request: FastifyRequest, writes: number) => Promise<WriteLimit>> {
  await server.register(rateLimit, { global: false, max: perMinute, timeWindow: MINUTE });
  const keys = new WeakMap<FastifyRequest, WriteKey>();
  const keyOf = async (request: FastifyRequest): Promise<WriteKey> => {
    let key = keys.get(request);
    if (!key) {
      key = await writeKeyOf(request, verifier);
      keys.set(request, key);
    }
    return key;
  };
  const keyGenerator = (request: FastifyRequest) => keys.get(request)!.key;
  const perUser = server.createRateLimit({ keyGenerator });
  const perIp = server.createRateLimit({ max: perMinute * 5, keyGenerator });

  const check = async (request: FastifyRequest, writes: number): Promise<WriteLimit> => {
    const limiter = (await keyOf(request)).user ? perUser : perIp;
    // The store counts one at a time: a document of n mutation fields is n writes. Counting
    // stops at the first refusal, so a refused document costs what was left of the budget.
    for (let i = 0; i < writes; i++) {
      const limit = await limiter(request);
      if (!limit.isAllowed && limit.isExceeded) return { limited: true, retryAfterSeconds: limit.ttlInSeconds };
    }
    return { limited: false, retryAfterSeconds: 0 };
  };

  server.addHook("onRequest", async (request, reply) => {
    if (!isWriteRequest(request)) return;
    const key = await keyOf(request);
    // An authenticated GraphQL request is counted by its mutation fields, once parsed.
    if (request.url.startsWith("/graphql") && key.user) return;
    const limit = await check(request, 1);
    if (!limit.limited) return;
    reply.header("retry-after", String(limit.retryAfterSeconds));
    throw Object.assign(new Error(`Too many requests: retry in ${limit.retryAfterSeconds} seconds`), {
      statusCode: 429,
    });
  });
  return check;
}

/**
 * The verified token's user, else the client's IP. Only the signature, expiry and claims are
 * checked (no database): whoever holds a validly signed token for a user is that user. A Bearer
 * header and the fitness API's cookie carrying the same token are one caller.
 */
async function writeKeyOf(request: FastifyRequest, verifier: Pick<TokenVerifier, "verify">): Promise<WriteKey> {
  const cookie = (request as { cookies?: Record<string, string | undefined> }).cookies?.session;
  const token = bearerToken(request.headers.authorization) ?? cookie;
  if (token) {
    try {
      const claims = await verifier.verify(token);
      return { user: true, key: `user:${JSON.stringify([claims.tenant, claims.sub])}` };
    } catch {
      // Not a credential: counted against the address it came from.
    }
  }
  return { user: false, key: `ip:${request.ip}` };
}

/**
 * How many writes a mutation operation is: its distinct root fields (by response name, as
 * graphql executes them), through inline fragments and fragment spreads, so 15 aliases of one
 * mutation are 15 writes. With the request's coerced variables a field @skip/@include leaves
 * out is not one; without them (they did not coerce: nothing runs) every field counts.
 */
export function mutationFieldCount(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  variables?: Record<string, unknown>,
): number {
  const fields = selectedFields({ fragments: fragmentsOf(document), variables }, operation.selectionSet);
  return new Set(fields.filter((f) => !f.node.name.value.startsWith("__")).map((f) => f.responseKey)).size;
}
