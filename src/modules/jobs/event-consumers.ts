import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.js";
import { domainEvents, eventConsumerCursors } from "../../db/schema/index.js";
import type { EventConsumer, QueueOptions } from "./types.js";

/**
 * The queue whose job wakes a tenant's event consumers. The outbox sends one in every
 * transaction that records events (policy short, keyed by tenant: while one waits, another send
 * is dropped — the waiting one reads every event committed by the time it runs).
 */
export const EVENT_CONSUMERS_QUEUE = "event-consumers";

/** Events one consumer reads per transaction; it loops while a batch comes back full. */
const BATCH = 200;

/**
 * The consumers of committed domain events. A run for a tenant gives each consumer, in turn,
 * its events after its cursor, one batch per owner transaction: the cursor row is locked (so
 * runs of the same consumer and tenant on two instances take turns), the consumer writes what
 * the events cause, the cursor advances, all committed together. So each event is consumed
 * exactly once and in id order (a tenant's events commit in id order: the outbox's tenant lock).
 * A consumer that throws rolls back its own batch only; the others go on, and the run fails
 * afterwards so that pg-boss retries it (with backoff) for the one that failed.
 */
export class EventConsumers {
  static readonly QUEUE_OPTIONS: QueueOptions = {
    policy: "short",
    retryLimit: 12,
    retryDelay: 1,
    retryBackoff: true,
    expireInSeconds: 600,
  };

  private readonly consumers = new Map<string, EventConsumer>();

  constructor(
    private readonly database: Database,
    /** Wakes this instance's workers: what a consumer queued is committed. */
    private readonly committed: () => void,
  ) {}

  add(name: string, handler: EventConsumer): void {
    if (this.consumers.has(name)) throw new Error(`event consumer "${name}" is registered twice`);
    this.consumers.set(name, handler);
  }

  get size(): number {
    return this.consumers.size;
  }

  async run(tenantId: number): Promise<void> {
    const failures: unknown[] = [];
    for (const [name, handler] of this.consumers) {
      try {
        while ((await this.batch(name, handler, tenantId)) === BATCH);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length) throw new AggregateError(failures, `${failures.length} event consumers failed`);
  }

  /** One batch of one consumer in one owner transaction; returns how many events it consumed. */
  private async batch(name: string, handler: EventConsumer, tenantId: number): Promise<number> {
    const consumed = await this.database.db.transaction(async (tx) => {
      // domain_events forces row-level security: the owner too sees only the tenant it sets.
      await tx.execute(sql`select set_config('app.tenant_id', ${String(tenantId)}, true)`);
      const cursor = await lockCursor(tx, name, tenantId);
      const events = await tx
        .select()
        .from(domainEvents)
        .where(and(eq(domainEvents.tenantId, tenantId), gt(domainEvents.id, cursor)))
        .orderBy(asc(domainEvents.id))
        .limit(BATCH);
      if (!events.length) return 0;
      await handler(tx, events);
      await tx
        .update(eventConsumerCursors)
        .set({ lastEventId: events[events.length - 1].id, updatedAt: sql`now()` })
        .where(and(eq(eventConsumerCursors.consumer, name), eq(eventConsumerCursors.tenantId, tenantId)));
      return events.length;
    });
    // What the consumer queued is committed now: this instance's workers pick it up at once.
    if (consumed) this.committed();
    return consumed;
  }
}

/**
 * The consumer's cursor, locked until the transaction ends (created at 0 the first time: a new
 * consumer reads every event still retained).
 */
async function lockCursor(tx: Tx, consumer: string, tenantId: number): Promise<number> {
  const [row] = await tx
    .insert(eventConsumerCursors)
    .values({ consumer, tenantId, lastEventId: 0 })
    .onConflictDoUpdate({
      target: [eventConsumerCursors.consumer, eventConsumerCursors.tenantId],
      set: { consumer: sql`excluded.consumer` },
    })
    .returning({ lastEventId: eventConsumerCursors.lastEventId });
  return row.lastEventId;
}
