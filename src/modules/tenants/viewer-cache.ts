import { LRUCache } from "lru-cache";
import type { UserRow } from "../../db/schema/index.js";

/** What the cache needs of the event stream (the events module's EventDispatcher). */
export interface UserChanges {
  /** From now on, read the tenant's user changes, including on other instances, and report them. */
  watchUsers(tenantId: number): void;
  /** handler(tenantId) on each user change of a watched tenant (and after an outage of the stream: maybe missed). */
  onUserChanged(handler: (tenantId: number) => void): void;
}

/** Callers kept at once, across tenants: far more than are active within a few seconds. */
const MAX_VIEWERS = 10_000;

/**
 * The user a token's subject names, per tenant, kept for a few seconds (VIEWER_CACHE_SECONDS):
 * reading it is otherwise the one statement every request makes. Any change of a tenant's users
 * (role, status, deletion, settings, a new user) forgets all of that tenant's entries, on this
 * instance at its commit and on the others when they read the event back; user changes are
 * rare, and one rule for all of them leaves nothing to get wrong. Only found, active users are
 * kept: a refusal is read again every time.
 */
export class ViewerCache {
  private readonly viewers?: LRUCache<string, UserRow>;
  /** Per tenant, bumped by each change; part of every key, so a change forgets the tenant's entries at once. */
  private readonly generations = new Map<number, number>();

  constructor(
    ttlSeconds: number,
    private readonly changes: UserChanges,
  ) {
    if (ttlSeconds > 0) this.viewers = new LRUCache({ max: MAX_VIEWERS, ttl: ttlSeconds * 1000 });
    changes.onUserChanged((tenantId) => this.forgetTenant(tenantId));
  }

  /** The tenant's user for subject: kept, or read by load (and kept unless a change overlapped the read). */
  async get(tenantId: number, subject: string, load: () => Promise<UserRow>): Promise<UserRow> {
    if (!this.viewers) return load();
    const generation = this.generations.get(tenantId) ?? 0;
    const kept = this.viewers.get(keyOf(tenantId, generation, subject));
    if (kept) return kept;
    // Watched before the read: a change committed after it is then sure to be heard of.
    this.changes.watchUsers(tenantId);
    const user = Object.freeze(await load());
    // Kept under the generation it was read in: after an overlapping change nobody asks for that key again.
    this.viewers.set(keyOf(tenantId, generation, subject), user);
    return user;
  }

  /**
   * Forgets the tenant's entries by moving to its next generation: they are never looked up
   * again and age out of the LRU (no scan of every entry on each change).
   */
  private forgetTenant(tenantId: number): void {
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
  }
}

const keyOf = (tenantId: number, generation: number, subject: string) => `${tenantId}:${generation}:${subject}`;
