import DataLoader from "dataloader";
import type { Config } from "../config.js";
import type { Database, Tx } from "../db/client.js";
import type { TenantRow, UserRow } from "../db/schema/index.js";
import type { EventDispatcher } from "./events/index.js";
import type { Jobs } from "./jobs/index.js";
import type { VideoProvider } from "./video/index.js";

/**
 * What services get from the process: settings, the clock and collaborators; never the owner
 * connection, which bypasses row-level security. A service reaches the database only through
 * its request's Runner (ctx.db); the audit's write after a rollback through the request scope's
 * own narrow runner (RequestScope.afterwards).
 */
export interface ServiceDeps {
  config: Config;
  /** The clock: tests freeze it. */
  now: () => Date;
  /** Committed outbox events of this database, for subscriptions. */
  events: EventDispatcher;
  /** The durable job engine: background work queued in the transaction of the change that causes it. */
  jobs: Jobs;
  /** Absent when Twilio is not configured: video operations answer UNAVAILABLE. */
  video?: VideoProvider;
}

/**
 * Process-wide dependencies, built once by createApp: the services' and the owner connection,
 * which only the transports use (to open each request's scope; the CLI and the outbox dispatcher
 * hold it themselves).
 */
export interface AppDeps extends ServiceDeps {
  database: Database;
}

/** The app's deps without the owner connection: what a RequestContext carries (transports build contexts with it). */
export function serviceDeps(deps: AppDeps): ServiceDeps {
  let services = SERVICE_DEPS.get(deps);
  if (!services) {
    const { database: _ownerConnection, ...rest } = deps;
    services = rest;
    SERVICE_DEPS.set(deps, services);
  }
  return services;
}
/** One ServiceDeps per app (deps never change after createApp), not one object per request. */
const SERVICE_DEPS = new WeakMap<AppDeps, ServiceDeps>();

/** Where a request's statements run: its own transaction (HTTP) or one per call (subscriptions). */
export interface Runner {
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** All of fn or none of it (a savepoint inside the request transaction). */
  atomic<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs fn (a slow call to another service) while no transaction of the request is open. */
  outside<T>(fn: () => Promise<T>): Promise<T>;
  /** fn runs once the work so far is committed, never when it is rolled back (announcing what was written). */
  afterCommit(fn: () => void): void;
}

/** What every service call gets: who asks, in which tenant, and where to run SQL. */
export interface RequestContext {
  requestId: string;
  deps: ServiceDeps;
  tenant: TenantRow;
  viewer: UserRow;
  db: Runner;
  loaders: Loaders;
}

export type LoaderFactory<K, V> = (ctx: RequestContext, options: { cache: boolean }) => DataLoader<K, V>;

/** Per-request DataLoaders, created on first use; each module defines its own factories. */
export class Loaders {
  private readonly byFactory = new Map<LoaderFactory<unknown, unknown>, DataLoader<unknown, unknown>>();
  private ctx!: RequestContext;

  /** cache=false for subscriptions: one context serves many events, so nothing may go stale. */
  constructor(private readonly cache = true) {}

  bind(ctx: RequestContext): this {
    this.ctx = ctx;
    return this;
  }

  get<K, V>(factory: LoaderFactory<K, V>): DataLoader<K, V> {
    let loader = this.byFactory.get(factory as LoaderFactory<unknown, unknown>);
    if (!loader) {
      loader = (factory as LoaderFactory<unknown, unknown>)(this.ctx, { cache: this.cache });
      this.byFactory.set(factory as LoaderFactory<unknown, unknown>, loader);
    }
    return loader as DataLoader<K, V>;
  }
}

/** A batch function's answer in key order: one row (or undefined) per key. */
export function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | undefined)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}

/** A batch function's answer in key order: all rows per key. */
export function groupByKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const map = new Map<K, V[]>(keys.map((key) => [key, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((key) => map.get(key) ?? []);
}
