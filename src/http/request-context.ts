import { randomUUID } from "node:crypto";
import type { Database, Tx } from "../db/client.js";
import { RequestScope, runAll } from "../db/scope.js";
import { Loaders, serviceDeps, type AppDeps, type RequestContext, type Runner } from "../modules/context.js";
import { startResponseBudget } from "../modules/response-budget.js";
import type { AuthService } from "../modules/tenants/index.js";

/**
 * The request context every service call gets, built the same way for every transport: GraphQL
 * over HTTP, the REST shims (src/rest/shim.ts) and graphql-ws. Nothing here knows GraphQL.
 */

/** The context of one HTTP request: its own transaction (RequestScope), committed by the caller. */
export async function httpContext(
  deps: AppDeps,
  auth: AuthService,
  headers: { authorization?: string; tenantCode?: string },
  requestId: string = randomUUID(),
): Promise<RequestContext & { db: RequestScope }> {
  const { tenant, subject } = await auth.authenticate(headers.authorization, headers.tenantCode);
  const scope = new RequestScope(deps.database, tenant.id, deps.config.requestTimeoutMs);
  try {
    const viewer = await auth.viewer(scope, tenant.id, subject);
    const ctx = contextOf(requestId, deps, tenant, viewer, scope, new Loaders());
    startResponseBudget(ctx, deps.config.maxResponseBytes);
    return ctx;
  } catch (err) {
    await scope.finish(false);
    throw err;
  }
}

function contextOf<R extends Runner>(
  requestId: string,
  deps: AppDeps,
  tenant: RequestContext["tenant"],
  viewer: RequestContext["viewer"],
  db: R,
  loaders: Loaders,
) {
  // Services get the deps without the owner connection (which bypasses row-level security).
  const ctx = { requestId, deps: serviceDeps(deps), tenant, viewer, db, loaders };
  loaders.bind(ctx);
  return ctx;
}

/**
 * Subscriptions: one context serves many events, so each call gets its own short transaction.
 * afterCommit() called during a run waits for that run's commit; a run cannot tell its own
 * callbacks apart from those of runs under way beside it (there is no per-call context), so
 * with several at once a callback waits for all of them to end and runs only if all committed.
 * Called between runs, it runs at once (nothing is open).
 */
export function autoCommitRunner(database: Database, tenantId: number): Runner {
  let active = 0;
  let failed = false;
  let waiting: (() => void)[] = [];
  const run = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    active += 1;
    try {
      return await database.withTenant(tenantId, fn);
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      active -= 1;
      if (active === 0) {
        const committed = failed ? [] : waiting;
        waiting = [];
        failed = false;
        runAll(committed);
      }
    }
  };
  return {
    run,
    atomic: run,
    // Between calls nothing is held.
    outside: <T>(fn: () => Promise<T>) => fn(),
    afterCommit: (fn) => (active > 0 ? void waiting.push(fn) : fn()),
  };
}

export function subscriptionContext(
  deps: AppDeps,
  tenant: RequestContext["tenant"],
  viewer: RequestContext["viewer"],
): RequestContext {
  return contextOf(randomUUID(), deps, tenant, viewer, autoCommitRunner(deps.database, tenant.id), new Loaders(false));
}

/**
 * Work the server does by itself in a tenant (a hold's expiry, a waitlist offer), as `actor`
 * (whose rules apply: a waitlist offer is checked as the waiting client's own booking): one
 * transaction like an HTTP request's, which the caller ends with ctx.db.finish(commit).
 */
export function backgroundContext(
  deps: AppDeps,
  tenant: RequestContext["tenant"],
  actor: RequestContext["viewer"],
): RequestContext & { db: RequestScope } {
  const scope = new RequestScope(deps.database, tenant.id, deps.config.requestTimeoutMs);
  return contextOf(`background-${randomUUID()}`, deps, tenant, actor, scope, new Loaders());
}
