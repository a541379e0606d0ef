import { eq, sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../../db/client.js";
import { tenants, users, type DomainEventRow } from "../../db/schema/index.js";
import { backgroundContext } from "../../http/request-context.js";
import type { AppDeps } from "../context.js";
import { offerFreedTime } from "./waitlist.matcher.js";

/** One provider's waitlist to process: its refill requests claimed, lapsed offers and expired entries settled, freed time offered. */
export const WAITLIST_QUEUE = "waitlist-refill";

interface ProviderRun {
  tenantId: number;
  providerId: number;
}

/**
 * Processes the refill requests the database writes (drizzle/0011: a waitlist_refills row in
 * the transaction of every change that may free a provider's time, only while the provider has
 * WAITING entries), and settles lapsed offers and entries past their window.
 *
 * Driven by the job engine. Its event consumer ("waitlist") reads each committed batch of a
 * tenant's events (every change that writes a refill request writes an event in the same
 * transaction) and queues, in the consumer's transaction, one job per provider with requests or
 * entries to settle (policy short: one waiting job per provider), plus a job at the latest
 * start of every entry that is WAITING, to expire it on time. A lapsed offer rides on its hold:
 * the hold's expiry job removes it, and that event brings the provider here.
 *
 * Each provider's job runs in one tenant transaction (a background RequestScope, as the app role
 * with row-level security): its requests are claimed there with DELETE … FOR UPDATE SKIP LOCKED,
 * and the matcher runs in the same transaction. So a crash between claim and offer rolls the
 * claim back (nothing is lost; the job is retried), and two instances never process the same
 * request: the second skips the locked rows.
 *
 * WAITLIST_POLL_INTERVAL_MS=0 leaves all of it off on this instance (only processRefills()
 * runs it: tests); otherwise it is how often an idle waitlist worker looks for due jobs.
 */
export class WaitlistRefills {
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: AppDeps,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    const interval = this.deps.config.waitlistPollIntervalMs;
    if (interval <= 0) return;
    const { jobs } = this.deps;
    await jobs.defineQueue(WAITLIST_QUEUE, { policy: "short", retryLimit: 8, retryDelay: 1, retryBackoff: true });
    await jobs.work<ProviderRun>(
      WAITLIST_QUEUE,
      async ({ tenantId, providerId }) => void (await this.processProvider(tenantId, providerId, true)),
      { pollIntervalMs: interval },
    );
    jobs.onEvents("waitlist", (tx, events) => this.queueRuns(tx, events));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
  }

  /**
   * One run now (after the one under way): every requested or settle-due provider of every
   * tenant. Resolves to the number of offers made. Tests call it directly.
   */
  processRefills(): Promise<number> {
    const run = this.chain.then(() => this.runOnce());
    this.chain = run.catch(() => {});
    return run;
  }

  /** The consumer: a job per provider of the tenant with work now, and one at each WAITING entry's latest start. */
  private async queueRuns(tx: Tx, events: DomainEventRow[]): Promise<void> {
    const tenantId = events[0].tenantId;
    const { jobs } = this.deps;
    for (const { provider_id } of await this.due(tx, tenantId)) {
      const providerId = Number(provider_id);
      await jobs.send(tx, WAITLIST_QUEUE, { tenantId, providerId }, { singletonKey: `${tenantId}:${providerId}` });
    }
    for (const event of events) {
      const { status, latest, waitlistEntryId } = event.payload as {
        status?: string;
        latest?: string;
        waitlistEntryId?: number;
      };
      if (!event.type.startsWith("WAITLIST_") || status !== "WAITING" || !latest || event.providerId === null) continue;
      await jobs.send(
        tx,
        WAITLIST_QUEUE,
        { tenantId, providerId: event.providerId },
        { singletonKey: `${tenantId}:${event.providerId}:entry:${waitlistEntryId}`, startAfter: new Date(latest) },
      );
    }
  }

  /**
   * Providers with requests, and providers whose entries are due to settle (an offer whose hold
   * has expired or is gone, a WAITING entry past its latest start): of one tenant, or of all.
   */
  private async due(
    db: Pick<Tx, "execute">,
    tenantId?: number,
  ): Promise<{ tenant_id: number; provider_id: number; settle: boolean }[]> {
    const ofTenant = tenantId === undefined ? sql`true` : sql`tenant_id = ${tenantId}`;
    return rowsOf(
      await db.execute(sql`
        select tenant_id, provider_id, bool_or(settle) as settle from (
        select tenant_id, provider_id, false as settle from waitlist_refills where ${ofTenant}
        union all
        select e.tenant_id, e.provider_id, true from waitlist_entries e
         where ${ofTenant} and (
               (e.status = 'WAITING' and e.latest < ${this.deps.now().toISOString()}::timestamptz)
            or (e.status = 'OFFERED' and not exists (
                  select 1 from slot_holds h
                   where h.tenant_id = e.tenant_id and h.waitlist_entry_id = e.id
                     and h.expires_at > clock_timestamp())))
        ) due group by tenant_id, provider_id limit 500`),
    );
  }

  private async runOnce(): Promise<number> {
    if (this.stopped) return 0;
    const due = await this.due(this.deps.database.db);
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
