import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Database, Tx } from "../db/client.js";
import { RequestScope } from "../db/scope.js";
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
    const viewer = await auth.viewer(scope, subject);
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

/** The afterCommit callbacks of the autoCommitRunner call under way (calls may overlap). */
const committing = new AsyncLocalStorage<(() => void)[]>();

/** Subscriptions: one context serves many events, so each call gets its own short transaction. */
export function autoCommitRunner(database: Database, tenantId: number): Runner {
  const run = async <T>(fn: (tx: Tx) => Promise<T>) => {
    const after: (() => void)[] = [];
    const result = await committing.run(after, () => database.withTenant(tenantId, fn));
    for (const callback of after) callback();
    return result;
  };
  return {
    run,
    atomic: run,
    // Between calls nothing is held.
    outside: <T>(fn: () => Promise<T>) => fn(),
    // Outside a call everything is committed already.
    afterCommit: (fn) => void (committing.getStore()?.push(fn) ?? fn()),
  };
}

export function subscriptionContext(
  deps: AppDeps,
  tenant: RequestContext["tenant"],
  viewer: RequestContext["viewer"],
): RequestContext {
  return contextOf(randomUUID(), deps, tenant, viewer, autoCommitRunner(deps.database, tenant.id), new Loaders(false));
}
