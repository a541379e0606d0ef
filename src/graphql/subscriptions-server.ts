import { and, eq, isNull } from "drizzle-orm";
import {
  GraphQLError,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from "graphql";
import { makeHandler } from "graphql-ws/use/@fastify/websocket";
import type { WebSocket } from "ws";
import type { FastifyBaseLogger } from "fastify";
import type { Config } from "../config.js";
import { anyId } from "../db/any-id.js";
import { users } from "../db/schema/index.js";
import type { AppDeps, RequestContext } from "../modules/context.js";
import { fellBehind } from "../modules/events/index.js";
import type { AuthService } from "../modules/tenants/index.js";
import { autoCommitRunner, subscriptionContext } from "../http/request-context.js";
import type { graphqlLimits } from "./limits.js";
import { subscribeSharingResults } from "./shared-subscription.js";

/** What graphql-ws hands us per socket (@fastify/websocket's extra), and what we keep on it. */
interface Socket {
  socket: WebSocket;
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
/**
 * Bytes a socket may have waiting to be sent (its reader is slow) before its subscription is
 * ended (fellBehind): results are written as they come, so a slow socket holds up nobody, and
 * this bounds what it costs the server. About 2,000 slotsChanged results of a week.
 */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

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

  /**
   * Where each subscription's results go: written to its socket as they come (shared-subscription's
   * deliver) rather than through graphql-ws's loop, in graphql-ws's own "next" message.
   */
  const deliveries = new WeakMap<ExecutionArgs, (result: ExecutionResult) => void>();
  const messages = nextMessages();
  const deliverTo = (socket: WebSocket, id: string) => (result: ExecutionResult) => {
    if (socket.readyState !== socket.OPEN) return;
    const payload = result.errors ? { ...result, errors: formatWsErrors(result.errors, "BAD_USER_INPUT") } : result;
    socket.send(messages.next(id, payload), { binary: false });
    if (socket.bufferedAmount > MAX_UNSENT_BYTES) throw fellBehind();
  };

  const handler = makeHandler({
    schema,
    subscribe: (args) => subscribeSharingResults(args, deliveries.get(args)),
    onSubscribe: (ctx, id, payload) => {
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
      const prepared = limits.prepareSubscription(schema, payload);
      if (!Array.isArray(prepared)) deliveries.set(prepared as ExecutionArgs, deliverTo(extra.socket, id));
      return prepared;
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
    // Results graphql-ws sends itself (a subscription whose source cannot be pushed): the same errors as deliverTo's.
    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: formatWsErrors(result.errors, "BAD_USER_INPUT") } : result,
    onError: (_ctx, _id, _payload, errors) => formatWsErrors(errors, "GRAPHQL_VALIDATION_FAILED"),
  });

  /** One statement per tenant: which of its connected users are still active; the others' sockets close. */
  async function recheck(): Promise<void> {
    const byTenant = new Map<number, Socket[]>();
    for (const socket of open) {
      const tenantId = socket.context!.tenant.id;
      let sockets = byTenant.get(tenantId);
      if (!sockets) byTenant.set(tenantId, (sockets = []));
      sockets.push(socket);
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

  return { wsHandler: handler, stop: () => clearInterval(timer) };
}

/** A payload's JSON as bytes, and the last whole message built with it. */
interface EncodedPayload {
  /** `"payload":<JSON>}`: what follows a message's id and type. */
  tail: Buffer;
  /** The id of `message`. */
  id?: string;
  message?: Buffer;
}

/**
 * graphql-ws's "next" message, `{"id":…,"type":"next","payload":…}`, as bytes. A slotsChanged
 * result reaches thousands of sockets as one object (shared-subscription.ts executes it once per
 * event), so its JSON is made and encoded once (cached per result object), and messages, which
 * differ only by the subscription id, are made by putting that id's head before those bytes:
 * the last message built per payload is reused whole when the next subscription's id is the same
 * (clients that number their subscriptions per socket), else (graphql-ws's client: a UUID each)
 * the bytes are copied after the new head, never serialized again.
 */
function nextMessages() {
  const encoded = new WeakMap<object, EncodedPayload>();
  return {
    next(id: string, payload: object): Buffer {
      let bytes = encoded.get(payload);
      if (!bytes) encoded.set(payload, (bytes = { tail: Buffer.from(`"payload":${JSON.stringify(payload)}}`) }));
      if (bytes.id !== id) {
        bytes.id = id;
        bytes.message = Buffer.concat([Buffer.from(`{"id":${JSON.stringify(id)},"type":"next",`), bytes.tail]);
      }
      return bytes.message!;
    },
  };
}
