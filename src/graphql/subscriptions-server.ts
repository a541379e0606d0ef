import { and, eq, isNull } from "drizzle-orm";
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import { makeHandler } from "graphql-ws/use/@fastify/websocket";
import type { FastifyBaseLogger } from "fastify";
import type { Config } from "../config.js";
import { anyId } from "../db/any-id.js";
import { users } from "../db/schema/index.js";
import type { AppDeps, RequestContext } from "../modules/context.js";
import type { AuthService } from "../modules/tenants/index.js";
import { autoCommitRunner, subscriptionContext } from "../http/request-context.js";
import type { graphqlLimits } from "./limits.js";
import { subscribeSharingResults } from "./shared-subscription.js";

/** What graphql-ws hands us per socket (@fastify/websocket's extra), and what we keep on it. */
interface Socket {
  socket: { close(code: number, reason: string): void };
  context?: RequestContext;
  /** tenant:user, once authenticated. */
  userKey?: string;
  /** Over the user's socket limit: acknowledged, but every subscribe is refused and the socket soon closed. */
  overLimit?: boolean;
  timers: NodeJS.Timeout[];
}

/** Close codes: 4403 as graphql-ws uses it (Forbidden); 4429 (too many) for an over-limit socket. */
const FORBIDDEN = 4403;
const TOO_MANY = 4429;
/** How long an over-limit socket is kept to receive its refusals before it is closed. */
const OVER_LIMIT_GRACE_MS = 2_000;

export interface SubscriptionServer {
  wsHandler: ReturnType<typeof makeHandler>;
  /** Stops the periodic user re-check. */
  stop(): void;
}

/**
 * graphql-ws on /graphql: authenticates once per socket (connection_init), bounds the sockets
 * per user and the subscriptions per socket, and closes (4403) the sockets of a user who is
 * deactivated or deleted, at the next periodic re-check (one statement per tenant).
 */
export function subscriptionServer(options: {
  schema: GraphQLSchema;
  deps: AppDeps;
  auth: AuthService;
  config: Config;
  limits: ReturnType<typeof graphqlLimits>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  log: FastifyBaseLogger;
}): SubscriptionServer {
  const { schema, deps, auth, config, limits, log } = options;
  /** Authenticated sockets, and per tenant:user those counted against the socket limit. */
  const open = new Set<Socket>();
  const counted = new Map<string, Set<Socket>>();

  // graphql-ws leaves codes to us: errors without a path are the request's own (bad variables before
  // execution: BAD_USER_INPUT; a query that does not validate: GRAPHQL_VALIDATION_FAILED), as Apollo does.
  const formatWsErrors = (errors: readonly GraphQLError[], requestCode: string) =>
    errors.map((error) => {
      const json = error.toJSON();
      const coded =
        error.path || json.extensions?.code ? json : { ...json, extensions: { ...json.extensions, code: requestCode } };
      return options.formatError(coded, error);
    });
  const tooMany = (message: string) => [new GraphQLError(message, { extensions: { code: "RATE_LIMITED" } })];

  const sharedJson = sharedPayloads();
  const handler = makeHandler({
    schema,
    jsonMessageReplacer: sharedJson.replacer,
    subscribe: subscribeSharingResults,
    onSubscribe: (ctx, _id, payload) => {
      const extra = ctx.extra as unknown as Socket;
      if (extra.overLimit)
        return tooMany(
          `Too many open connections: a user may hold at most ${config.maxSocketsPerUser}; close another one first`,
        );
      // graphql-ws registers the subscription (this one included) before calling us, and removes it when it ends.
      if (Object.keys(ctx.subscriptions).length > config.maxSubscriptionsPerSocket) {
        return tooMany(
          `Too many subscriptions on this connection: at most ${config.maxSubscriptionsPerSocket}; complete one first`,
        );
      }
      return limits.prepareSubscription(schema, payload);
    },
    // Authenticate once per socket, in connection_init; false closes it with 4403.
    onConnect: async (ctx) => {
      const extra = ctx.extra as unknown as Socket;
      extra.timers = [];
      const authorization = (ctx.connectionParams as { authorization?: unknown } | undefined)?.authorization;
      try {
        const { tenant, subject, expiresAt } = await auth.authenticate(
          typeof authorization === "string" ? authorization : undefined,
        );
        const viewer = await auth.viewer(autoCommitRunner(deps.database, tenant.id), tenant.id, subject);
        extra.context = subscriptionContext(deps, tenant, viewer);
        // The token's lifetime is the socket's: it ends the moment the token expires.
        const remaining = expiresAt.getTime() + config.jwt.clockToleranceSeconds * 1000 - Date.now();
        extra.timers.push(
          setTimeout(() => extra.socket.close(FORBIDDEN, "Forbidden: token expired"), Math.min(remaining, 2 ** 31 - 1)),
        );
        extra.userKey = `${tenant.id}:${viewer.id}`;
        let mine = counted.get(extra.userKey);
        if (!mine) counted.set(extra.userKey, (mine = new Set()));
        if (mine.size >= config.maxSocketsPerUser) {
          // Acknowledged so that its subscribes get a GraphQL error with a code (not a bare close); not counted.
          extra.overLimit = true;
          extra.timers.push(
            setTimeout(() => extra.socket.close(TOO_MANY, "Too many open connections"), OVER_LIMIT_GRACE_MS),
          );
        } else mine.add(extra);
        open.add(extra);
        return true;
      } catch (err) {
        log.info({ reason: (err as Error).message }, "subscription connection refused");
        return false;
      }
    },
    onClose: (ctx) => {
      const extra = ctx.extra as unknown as Socket;
      for (const timer of extra.timers ?? []) clearTimeout(timer);
      open.delete(extra);
      const mine = extra.userKey ? counted.get(extra.userKey) : undefined;
      if (mine) {
        mine.delete(extra);
        if (!mine.size) counted.delete(extra.userKey!);
      }
    },
    context: (ctx) => (ctx.extra as unknown as Socket).context!,
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: formatWsErrors(result.errors, "BAD_USER_INPUT") } : result,
    onError: (_ctx, _id, _payload, errors) => formatWsErrors(errors, "GRAPHQL_VALIDATION_FAILED"),
  });

  const wsHandler: typeof handler = function (socket, request) {
    const send = socket.send.bind(socket) as (...args: unknown[]) => void;
    // graphql-ws sends only text (send(json, callback)); a shared message comes back as bytes, still a text frame.
    socket.send = ((data: unknown, callback?: (err?: Error) => void) =>
      send(sharedJson.expand(data), { binary: false }, callback)) as typeof socket.send;
    return handler.call(this, socket, request);
  };

  /** One statement per tenant: which of its connected users are still active; the others' sockets close. */
  async function recheck(): Promise<void> {
    const byTenant = new Map<number, Socket[]>();
    for (const socket of open) {
      const tenantId = socket.context!.tenant.id;
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), socket]);
    }
    for (const [tenantId, sockets] of byTenant) {
      const ids = [...new Set(sockets.map((s) => s.context!.viewer.id))];
      const active = await deps.database.withTenant(tenantId, (tx) =>
        tx
          .select({ id: users.id })
          .from(users)
          .where(and(anyId(users.id, ids), eq(users.status, "active"), isNull(users.deletedAt))),
      );
      const still = new Set(active.map((u) => u.id));
      for (const socket of sockets) {
        if (!still.has(socket.context!.viewer.id))
          socket.socket.close(FORBIDDEN, "Forbidden: user is no longer active");
      }
    }
  }
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    recheck()
      .catch((err) => log.error({ err }, "subscription user re-check failed"))
      .finally(() => (checking = false));
  }, config.subscriptionUserCheckSeconds * 1000);
  timer.unref();

  return { wsHandler, stop: () => clearInterval(timer) };
}

/** What a "next" message's payload is serialized as until the socket's send puts the shared JSON in. */
const PLACEHOLDER = "sessiongraph:shared-payload";
const PLACEHOLDER_TAIL = `"payload":${JSON.stringify(PLACEHOLDER)}}`;

/** A shared payload as bytes, and the last whole message built with it. */
interface SharedPayload {
  /** `"payload":<JSON>}`: what follows a message's id and type. */
  tail: Buffer;
  /** The message before the payload (`{"id":"…","type":"next",`) of `message`. */
  head?: string;
  message?: Buffer;
}

/**
 * graphql-ws serializes every message for every socket. A slotsChanged result reaches thousands
 * of sockets as one object (shared-subscription.ts executes it once per event), so its JSON is
 * made once, and encoded to bytes once: the message replacer leaves a placeholder for a payload
 * and remembers the payload's bytes (cached per result object), and the socket's send, which
 * graphql-ws calls right after serializing (synchronously), sends the message's head (the
 * subscription id and type) followed by those bytes as one text frame. Messages differ only by
 * the subscription id, so the last message built per payload is reused whole when the next
 * socket's id is the same, and otherwise made by copying the bytes after a new head (never by
 * serializing again). A "next" payload is always an object, so a string payload is never one of ours.
 */
function sharedPayloads() {
  const cache = new WeakMap<object, SharedPayload>();
  let pending: SharedPayload | undefined;
  /** The message being serialized (the replacer sees it first, under the key ""). */
  let message: unknown;
  return {
    replacer(this: unknown, key: string, value: unknown): unknown {
      if (key === "") message = value;
      if (key !== "payload" || this !== message || (this as { type?: unknown }).type !== "next") return value;
      if (typeof value !== "object" || !value) return value;
      let shared = cache.get(value);
      if (!shared) cache.set(value, (shared = { tail: Buffer.from(`"payload":${JSON.stringify(value)}}`) }));
      pending = shared;
      return PLACEHOLDER;
    },
    /** The message to send for what graphql-ws serialized: a Buffer (sent as text) when it carries a shared payload. */
    expand(data: unknown): unknown {
      if (pending === undefined || typeof data !== "string" || !data.endsWith(PLACEHOLDER_TAIL)) return data;
      const shared = pending;
      pending = undefined;
      const head = data.slice(0, -PLACEHOLDER_TAIL.length);
      if (shared.head !== head) {
        shared.head = head;
        shared.message = Buffer.concat([Buffer.from(head), shared.tail]);
      }
      return shared.message;
    },
  };
}
