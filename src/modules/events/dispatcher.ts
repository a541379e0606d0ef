import { FixedBuffer, Repeater } from "@repeaterjs/repeater";
import { and, asc, eq, getTableColumns, gt, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { domainEvents, sessions, type DomainEventRow, type SessionRow } from "../../db/schema/index.js";
import { EVENTS_CHANNEL, type DomainEventType } from "./outbox.js";
import { anyId } from "../../db/any-id.js";

/** A committed outbox row, as subscribers get it. */
export interface DomainEvent extends Omit<DomainEventRow, "snapshot" | "type"> {
  type: DomainEventType;
  /** Session events: the session as it was after the change. */
  session?: SessionRow;
}

/** Which events a subscriber wants; every given field must match. */
export interface EventFilter {
  providerId?: number;
  clientId?: number;
}

/** How many missed events a reconnecting subscriber may ask for at once. */
export const MAX_REPLAY = 1000;

type Listener = (event: DomainEvent) => void;

/** How long one event's shared result (e.g. recomputed slots) is kept for late subscribers. */
const SHARED_RESULT_TTL_MS = 5_000;

/**
 * Fans committed outbox events out to this instance's subscribers. Every instance LISTENs on
 * the same channel, so a change committed through any instance reaches subscribers on all of
 * them; NOTIFY only carries "<tenant>:<id>", the event itself is read back from the table (as
 * the tenant, under RLS), a batch of notifications in one statement per tenant.
 */
export class EventDispatcher {
  private readonly listeners = new Map<number, Set<Listener>>();
  private readonly pending = new Map<number, number[]>();
  private readonly memo = new Map<string, Promise<unknown>>();
  private flushing?: Promise<void>;
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly database: Database,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(EVENTS_CHANNEL, (payload) => this.announced(payload));
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
    await this.flushing;
  }

  /**
   * The result of compute for key, computed once while it is wanted: every subscriber of this
   * instance that receives the same event asks for it within moments of the others.
   */
  shared<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let hit = this.memo.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = compute();
      this.memo.set(key, hit);
      setTimeout(() => this.memo.delete(key), SHARED_RESULT_TTL_MS).unref();
    }
    return hit;
  }

  /** Open subscriptions on this instance (all tenants). */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /**
   * The tenant's events matching the filter: first those after the cursor (replay, oldest
   * first, at most MAX_REPLAY), then live ones as they commit, each once. Ending the iteration
   * (client completes, socket closes) removes the listener.
   */
  stream(tenantId: number, filter: EventFilter, after?: number): AsyncIterableIterator<DomainEvent> {
    return new Repeater<DomainEvent>(async (push, stop) => {
      const deliver = (event: DomainEvent) => {
        try {
          push(event).catch(() => {});
        } catch (overflow) {
          // A subscriber that stops reading is ended rather than buffered without bound.
          stop(overflow);
        }
      };
      // Live events arrive in commit order, which need not be id order: deliver each as it comes.
      let buffered: DomainEvent[] | undefined = after !== undefined ? [] : undefined;
      let replayed = new Set<number>();
      const unsubscribe = this.subscribe(tenantId, (event) => {
        if (!matches(event, filter) || replayed.has(event.id)) return;
        if (buffered) buffered.push(event);
        else deliver(event);
      });
      try {
        if (buffered) {
          // Listening started before the replay read, so nothing falls between the two; an event
          // both read and announced late is delivered once.
          const missed = await this.replay(tenantId, filter, after!);
          replayed = new Set(missed.map((event) => event.id));
          const late = buffered.filter((event) => !replayed.has(event.id));
          buffered = undefined;
          for (const event of [...missed, ...late]) deliver(event);
        }
        await stop;
      } catch (err) {
        stop(err);
      } finally {
        unsubscribe();
      }
    }, new FixedBuffer(MAX_REPLAY + 1000));
  }

  private subscribe(tenantId: number, listener: Listener): () => void {
    let set = this.listeners.get(tenantId);
    if (!set) this.listeners.set(tenantId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(tenantId) === set) this.listeners.delete(tenantId);
    };
  }

  private async replay(tenantId: number, filter: EventFilter, after: number): Promise<DomainEvent[]> {
    const where: SQL[] = [gt(domainEvents.id, after)];
    if (filter.providerId !== undefined) where.push(eq(domainEvents.providerId, filter.providerId));
    if (filter.clientId !== undefined) where.push(eq(domainEvents.clientId, filter.clientId));
    const rows = await this.database.withTenant(tenantId, (tx) =>
      tx.select().from(domainEvents).where(and(...where)).orderBy(asc(domainEvents.id)).limit(MAX_REPLAY),
    );
    return rows.map(eventOf);
  }

  private announced(payload: string): void {
    const [tenant, id] = payload.split(":").map(Number);
    if (!Number.isInteger(tenant) || !Number.isInteger(id)) return;
    // Only tenants someone here listens to are read at all.
    if (!this.listeners.has(tenant)) return;
    const ids = this.pending.get(tenant) ?? [];
    ids.push(id);
    this.pending.set(tenant, ids);
    this.flushing ??= Promise.resolve().then(() => this.flush());
  }

  /** Reads the announced events, one statement per tenant, and delivers them in id order. */
  private async flush(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending];
      this.pending.clear();
      await Promise.all(
        batch.map(async ([tenantId, ids]) => {
          try {
            const rows = await this.database.withTenant(tenantId, (tx) =>
              tx.select().from(domainEvents).where(anyId(domainEvents.id, ids)).orderBy(asc(domainEvents.id)),
            );
            const listeners = [...(this.listeners.get(tenantId) ?? [])];
            for (const event of rows.map(eventOf)) for (const listener of listeners) listener(event);
          } catch (err) {
            this.onError(err);
          }
        }),
      );
    }
    this.flushing = undefined;
  }
}

function matches(event: DomainEvent, filter: EventFilter): boolean {
  return (filter.providerId === undefined || event.providerId === filter.providerId) && (filter.clientId === undefined || event.clientId === filter.clientId);
}

const SESSION_DATE_COLUMNS = Object.entries(getTableColumns(sessions))
  .filter(([, column]) => column.dataType === "date")
  .map(([key]) => key);

function eventOf(row: DomainEventRow): DomainEvent {
  const { snapshot, ...rest } = row;
  let session: SessionRow | undefined;
  if (snapshot) {
    // JSON carried the timestamps as strings.
    const revived: Record<string, unknown> = { ...snapshot };
    for (const key of SESSION_DATE_COLUMNS) if (typeof revived[key] === "string") revived[key] = new Date(revived[key] as string);
    session = revived as unknown as SessionRow;
  }
  return { ...rest, type: rest.type as DomainEventType, session };
}
