import { eq, sql } from "drizzle-orm";
import { rowsOf } from "../../db/client.js";
import { tenants, users } from "../../db/schema/index.js";
import { backgroundContext } from "../../http/request-context.js";
import type { AppDeps } from "../context.js";
import { offerFreedTime } from "./waitlist.matcher.js";

/**
 * Processes the refill requests the database writes (drizzle/0011: a waitlist_refills row in
 * the transaction of every change that may free a provider's time, only while the provider has
 * WAITING entries), and settles lapsed offers and entries past their window.
 *
 * Each (tenant, provider) is processed in one tenant transaction (a background RequestScope, as
 * the app role with row-level security): its requests are claimed there with DELETE … FOR UPDATE
 * SKIP LOCKED, and the matcher runs in the same transaction. So a crash between claim and offer
 * rolls the claim back (nothing is lost), and two instances never process the same request: the
 * second skips the locked rows. Which tenants have work is found with one cheap query on the
 * owner connection (these tables are not FORCE RLS).
 *
 * Runs at once when this instance hears of a committed event (EventDispatcher.onAnnounced: every
 * change that writes a refill request also writes an event in its transaction), and every
 * WAITLIST_POLL_INTERVAL_MS as the safety net (a lost announcement, a lapsed offer); with 0,
 * neither (processRefills() alone runs it). One run at a time per instance; wakes during a run
 * collapse into one more run.
 */
export class WaitlistRefills {
  private timer?: NodeJS.Timeout;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = false;
  private stopped = false;
  /** Off (WAITLIST_POLL_INTERVAL_MS=0): neither polls nor wakes; only processRefills() runs it (tests). */
  private running = false;

  constructor(
    private readonly deps: AppDeps,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    const interval = this.deps.config.waitlistPollIntervalMs;
    if (interval <= 0) return;
    this.running = true;
    this.timer = setInterval(() => this.wake(), interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.chain;
  }

  /** Asks for a run soon; a run already queued covers it. */
  wake(): void {
    if (!this.running || this.queued || this.stopped) return;
    this.queued = true;
    void this.enqueue().catch(this.onError);
  }

  /**
   * One run now (after the one under way): every requested or settle-due provider of every
   * tenant. Resolves to the number of offers made. Tests call it directly.
   */
  processRefills(): Promise<number> {
    return this.enqueue();
  }

  private enqueue(): Promise<number> {
    const run = this.chain.then(() => {
      this.queued = false;
      return this.runOnce();
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private async runOnce(): Promise<number> {
    if (this.stopped) return 0;
    const { database } = this.deps;
    // Providers with requests, and providers whose entries are due to settle (an offer whose hold
    // has expired or is gone, a WAITING entry past its latest start).
    const due = rowsOf<{ tenant_id: number; provider_id: number; settle: boolean }>(
      await database.db.execute(sql`
        select tenant_id, provider_id, bool_or(settle) as settle from (
        select tenant_id, provider_id, false as settle from waitlist_refills
        union all
        select e.tenant_id, e.provider_id, true from waitlist_entries e
         where (e.status = 'WAITING' and e.latest < ${this.deps.now().toISOString()}::timestamptz)
            or (e.status = 'OFFERED' and not exists (
                  select 1 from slot_holds h
                   where h.tenant_id = e.tenant_id and h.waitlist_entry_id = e.id
                     and h.expires_at > clock_timestamp()))
        ) due group by tenant_id, provider_id limit 500`),
    );
    let offers = 0;
    for (const { tenant_id, provider_id, settle } of due) {
      if (this.stopped) break;
      try {
        offers += await this.processProvider(Number(tenant_id), Number(provider_id), settle);
      } catch (err) {
        // One provider's failure (a deleted user, a timeout) must not starve the others.
        this.onError(err);
      }
    }
    return offers;
  }

  /** Claims the provider's requests and runs the matcher, in one tenant transaction. */
  private async processProvider(tenantId: number, providerId: number, settleDue: boolean): Promise<number> {
    const { database } = this.deps;
    const [tenant] = await database.db.select().from(tenants).where(eq(tenants.id, tenantId));
    const [provider] = await database.withTenant(tenantId, (tx) =>
      tx.select().from(users).where(eq(users.id, providerId)),
    );
    // The work is done as the provider (each offer itself as its waiting client: see the matcher).
    if (!tenant || !provider) return 0;
    const ctx = backgroundContext(this.deps, tenant, provider);
    let commit = false;
    try {
      const claimed = rowsOf<{ id: number }>(
        await ctx.db.run((tx) =>
          tx.execute(sql`
            delete from waitlist_refills where id in (
              select id from waitlist_refills where provider_id = ${providerId}
               for update skip locked limit 1000)
            returning id`),
        ),
      );
      // Another instance holds these requests (or took them already): they are its to process.
      if (!claimed.length && !settleDue) return 0;
      const result = provider?.role === "PROVIDER" ? await offerFreedTime(ctx, providerId) : { offered: [] };
      commit = true;
      return result.offered.length;
    } finally {
      await ctx.db.finish(commit);
    }
  }
}
