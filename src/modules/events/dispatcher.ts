import { and, asc, eq, gt, gte, isNotNull, ne, or, sql, type SQL } from "drizzle-orm";
import { pushIterator, type Stream } from "../../async-iterators.js";
import { rowsOf, type Database, type Tx } from "../../db/client.js";
import { unavailable } from "../../errors.js";
import {
  domainEvents,
  sessions,
  tenants,
  type DomainEventRow,
  type Modality,
  type SessionRow,
  type SessionStatus,
  type SessionType,
} from "../../db/schema/index.js";
import { USER_CHANGED, type DomainEventType } from "./outbox.js";
import type { WakeupSignal } from "./signal.js";

/** A committed outbox row, as subscribers get it. */
export interface DomainEvent extends Omit<DomainEventRow, "type"> {
  type: DomainEventType;
  /**
   * Session events: the session as it is NOW (read when the event is delivered, so no old
   * version of its text is ever replayed), or, once deleted, its ids, times and status only.
   */
  session?: SessionRow;
}

/** Which events a subscriber wants; every given field must match. */
export interface EventFilter {
  /** Events of this provider's calendar: theirs, or of a session reassigned away from them (payload.previousProviderId). */
  providerId?: number;
  clientId?: number;
  /** Only events whose provider or client is this user (a PROVIDER's or CLIENT's visibility). */
  involving?: number;
  /** Only session events (no availability, hold, waitlist or group changes). */
  sessionsOnly?: boolean;
}

export interface DispatcherOptions {
  /** Events older than this are pruned (prune(): a job, see retention.ts), and a cursor older than this is refused. */
  retentionDays: number;
}

/** Why a subscriber that stopped reading is ended (its unread events, or its socket's unsent bytes, past a bound). */
export const fellBehind = () =>
  unavailable("This subscription fell too far behind and was ended: resubscribe with after (the last cursor received)");

/** How many missed events a reconnecting subscriber may ask for at once. */
export const MAX_REPLAY = 1000;

type Listener = (event: DomainEvent) => void;

/** How long one event's shared result (e.g. recomputed slots) is kept for late subscribers. */
const SHARED_RESULT_TTL_MS = 5_000;

/** First key of the advisory lock one instance holds while pruning a tenant (second key: the tenant id). */
const PRUNE_LOCK = 0x5e56;

/**
 * Fans committed outbox events out to this instance's subscribers. Every instance hears the
 * same wake-up signal (pg_notify or Redis, src/modules/events/signal.ts), so a change committed
 * through any instance reaches subscribers on all of them; the signal only carries
 * "<tenant>:<id>", the events themselves are read back from the table (as the tenant, under
 * RLS), one statement per woken tenant, joined to the sessions' current rows.
 *
 * A tenant's events commit in id order (the outbox's tenant lock), so the last id delivered per
 * tenant is an exact watermark, and every read is "the tenant's events after it": signals that
 * arrive late, twice or out of order (Redis publishes from several instances) deliver each
 * event once and in order. When the signal drops and comes back (and, with Redis, periodically
 * as a safety net) every listened tenant is read the same way: nothing committed meanwhile is lost.
 */
export class EventDispatcher {
  private readonly listeners = new Map<number, Set<Listener>>();
  /** Tenants woken since the last read. */
  private readonly pending = new Set<number>();
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Per tenant: the last event id delivered to its listeners. */
  private readonly delivered = new Map<number, number>();
  /** Per tenant: the newest event id when its first listener came (where a catch-up starts if nothing was delivered yet). */
  private readonly baselines = new Map<number, Promise<number>>();
  private flushing?: Promise<void>;
  private catchUpTimer?: NodeJS.Timeout;
  private pruning?: Promise<number>;
  /** Tenants whose callers are cached here (ViewerCache): their user changes matter even without subscribers. */
  private readonly usersWatched = new Set<number>();
  private readonly userChangeHandlers: ((tenantId: number) => void)[] = [];
  private readonly announcementHandlers: ((tenantId: number) => void)[] = [];

  constructor(
    private readonly database: Database,
    /** How events are announced between instances (the outbox asks it too). */
    readonly signal: WakeupSignal,
    private readonly onError: (err: unknown) => void,
    private readonly options: DispatcherOptions = { retentionDays: 30 },
  ) {}

  async start(): Promise<void> {
    await this.signal.listen(
      (tenantId, eventId) => this.announced(tenantId, eventId),
      () => this.catchUp(),
    );
    if (this.signal.catchUpIntervalMs > 0) {
      this.catchUpTimer = setInterval(() => this.catchUp(), this.signal.catchUpIntervalMs);
      this.catchUpTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.catchUpTimer);
    await this.signal.close();
    await this.flushing;
    await this.pruning?.catch(() => {});
  }

  /** Reads every listened tenant's events after its watermark: after the signal came back, and as the safety net. */
  catchUp(): void {
    // What changed while the signal was away is unknown: every watched tenant's users may have.
    for (const tenantId of this.usersWatched) this.userChanged(tenantId);
    for (const tenantId of this.listeners.keys()) this.wake(tenantId);
  }

  /**
   * Deletes every tenant's events older than the retention, one tenant at a time, each under a
   * per-tenant advisory lock taken with try (another instance pruning the same tenant is left
   * to it). Runs as the owner with the tenant set (the table forces row-level security, and the
   * request role may not delete events). Resolves to the number of events deleted.
   */
  prune(): Promise<number> {
    this.pruning ??= this.pruneAll().finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  private async pruneAll(): Promise<number> {
    const all = await this.database.db.select({ id: tenants.id }).from(tenants);
    let deleted = 0;
    for (const { id } of all) {
      deleted += await this.database.db.transaction(async (tx) => {
        const [lock] = rowsOf<{ locked: boolean }>(
          await tx.execute(
            sql`select pg_try_advisory_xact_lock(${PRUNE_LOCK}::int, ${id}::int) as locked, set_config('app.tenant_id', ${String(id)}, true)`,
          ),
        );
        if (!lock.locked) return 0;
        const [gone] = rowsOf<{ n: number | string }>(
          await tx.execute(
            sql`with gone as (delete from ${domainEvents} where ${domainEvents.tenantId} = ${id} and ${domainEvents.occurredAt} < ${this.retentionStart()} returning 1) select count(*) as n from gone`,
          ),
        );
        return Number(gone.n);
      });
    }
    return deleted;
  }

  /** The oldest instant still retained, as SQL (the database's clock, the one occurred_at was written with). */
  private retentionStart(): SQL {
    return sql`now() - make_interval(days => ${this.options.retentionDays}::int)`;
  }

  /**
   * Whether `after` names an event of the tenant that is still retained: a cursor from before
   * the retention (its event pruned, or about to be) or one this server never issued is not.
   */
  async cursorRetained(tenantId: number, after: number): Promise<boolean> {
    const rows = await this.database.withTenant(tenantId, (tx) =>
      tx
        .select({ id: domainEvents.id })
        .from(domainEvents)
        .where(and(eq(domainEvents.id, after), gte(domainEvents.occurredAt, this.retentionStart())))
        .limit(1),
    );
    return rows.length > 0;
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

  /** Reads the tenant's USER_CHANGED events from now on, whether or not it has subscribers (ViewerCache). */
  watchUsers(tenantId: number): void {
    this.usersWatched.add(tenantId);
  }

  onUserChanged(handler: (tenantId: number) => void): void {
    this.userChangeHandlers.push(handler);
  }

  /** A user of the tenant changed: a committed USER_CHANGED event, read back or written here (recordUserEvent). */
  userChanged(tenantId: number): void {
    for (const handler of this.userChangeHandlers) handler(tenantId);
  }

  /** Open subscriptions on this instance (all tenants). */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /**
   * The tenant's events matching the filter: first those after the cursor (replay, oldest
   * first, at most MAX_REPLAY), then live ones as they commit, each once. The listener is
   * registered at once; ending the iteration (client completes, socket closes) removes it. A
   * live event costs each subscriber one queue append, or, listened to, one call (pushIterator).
   */
  stream(tenantId: number, filter: EventFilter, after?: number): Stream<DomainEvent> {
    const events = pushIterator<DomainEvent>({
      capacity: MAX_REPLAY + 1000,
      overflowError: fellBehind,
      onEnd: () => unsubscribe(),
    });
    // Live events arrive in commit order, which need not be id order: deliver each as it comes.
    let buffered: DomainEvent[] | undefined = after !== undefined ? [] : undefined;
    let replayed = new Set<number>();
    const unsubscribe = this.subscribe(tenantId, (event) => {
      if (!matches(event, filter) || replayed.has(event.id)) return;
      if (buffered) buffered.push(event);
      else events.push(event);
    });
    if (buffered) {
      // Listening started before the replay read, so nothing falls between the two; an event
      // both read and announced late is delivered once.
      this.replay(tenantId, filter, after!).then(
        (missed) => {
          replayed = new Set(missed.map((event) => event.id));
          const late = buffered!.filter((event) => !replayed.has(event.id));
          buffered = undefined;
          for (const event of [...missed, ...late]) events.push(event);
        },
        (err: unknown) => events.fail(err),
      );
    }
    return events;
  }

  private subscribe(tenantId: number, listener: Listener): () => void {
    let set = this.listeners.get(tenantId);
    if (!set) {
      this.listeners.set(tenantId, (set = new Set()));
      const baseline = this.database.withTenant(tenantId, async (tx) => {
        const [row] = await tx.select({ max: sql<string | number | null>`max(${domainEvents.id})` }).from(domainEvents);
        return Number(row?.max ?? 0);
      });
      baseline.catch(() => {});
      this.baselines.set(tenantId, baseline);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(tenantId) === set) {
        this.listeners.delete(tenantId);
        this.baselines.delete(tenantId);
        this.delivered.delete(tenantId);
      }
    };
  }

  /** A reconnecting subscriber's missed events, filtered in SQL (people, type) and bounded by the retention. */
  private async replay(tenantId: number, filter: EventFilter, after: number): Promise<DomainEvent[]> {
    const where: SQL[] = [gt(domainEvents.id, after), gte(domainEvents.occurredAt, this.retentionStart())];
    if (filter.providerId !== undefined)
      where.push(
        or(
          eq(domainEvents.providerId, filter.providerId),
          sql`${domainEvents.payload}->>'previousProviderId' = ${String(filter.providerId)}`,
        )!,
      );
    if (filter.clientId !== undefined) where.push(eq(domainEvents.clientId, filter.clientId));
    if (filter.involving !== undefined)
      where.push(or(eq(domainEvents.providerId, filter.involving), eq(domainEvents.clientId, filter.involving))!);
    if (filter.sessionsOnly) where.push(isNotNull(domainEvents.sessionId));
    where.push(ne(domainEvents.type, USER_CHANGED));
    return this.database.withTenant(tenantId, (tx) => readEvents(tx, and(...where)!, MAX_REPLAY));
  }

  /**
   * handler runs for every committed event this instance hears of, from any instance, before any
   * delivery: work that follows committed changes by itself (the waitlist's refills). It must not throw.
   */
  onAnnounced(handler: (tenantId: number) => void): void {
    this.announcementHandlers.push(handler);
  }

  private announced(tenantId: number, eventId: number): void {
    for (const handler of this.announcementHandlers) handler(tenantId);
    // Only tenants someone here listens to are read at all; an event at or below the watermark was delivered.
    // A tenant nobody here subscribes to is not read: if its callers are cached, any event of it forgets them
    // (conservative: without a subscriber there is no watermark to read USER_CHANGED events after).
    if (!this.listeners.has(tenantId)) {
      if (this.usersWatched.has(tenantId)) this.userChanged(tenantId);
      return;
    }
    if (eventId > (this.delivered.get(tenantId) ?? 0)) this.wake(tenantId);
  }

  private wake(tenantId: number): void {
    if (!this.listeners.has(tenantId)) return;
    this.pending.add(tenantId);
    this.flushing ??= Promise.resolve().then(() => this.flush());
  }

  /** Reads the woken tenants' events after their watermarks, one statement per tenant, and delivers them in id order, each once. */
  private async flush(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending];
      this.pending.clear();
      await Promise.all(
        batch.map(async (tenantId) => {
          try {
            const from = this.delivered.get(tenantId) ?? (await this.baselines.get(tenantId)) ?? 0;
            const events = await this.database.withTenant(tenantId, (tx) =>
              readEvents(tx, gt(domainEvents.id, from), MAX_REPLAY),
            );
            // More than one read's worth: read on from where this one ends.
            if (events.length === MAX_REPLAY) this.pending.add(tenantId);
            const listeners = [...(this.listeners.get(tenantId) ?? [])];
            if (!listeners.length) return;
            for (const event of events) {
              // At or below the watermark: already delivered.
              if (event.id <= (this.delivered.get(tenantId) ?? 0)) continue;
              this.delivered.set(tenantId, event.id);
              // The cache's business, never a subscriber's (so not among DomainEvent's types).
              if ((event.type as string) === USER_CHANGED) {
                this.userChanged(tenantId);
                continue;
              }
              for (const listener of listeners) listener(event);
            }
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
  return (
    (filter.providerId === undefined ||
      event.providerId === filter.providerId ||
      previousProviderOf(event) === filter.providerId) &&
    (filter.clientId === undefined || event.clientId === filter.clientId) &&
    (filter.involving === undefined || event.providerId === filter.involving || event.clientId === filter.involving) &&
    (!filter.sessionsOnly || event.sessionId != null)
  );
}

/** The provider a reassigned session left (REASSIGNED events name them in the payload). */
function previousProviderOf(event: DomainEvent): number | undefined {
  const previous = (event.payload as { previousProviderId?: unknown }).previousProviderId;
  return typeof previous === "number" ? previous : undefined;
}

/** Events and the current rows of their sessions, oldest first: ONE statement (under the tenant's RLS). */
async function readEvents(tx: Tx, where: SQL, limit?: number): Promise<DomainEvent[]> {
  const query = tx
    .select({ event: domainEvents, session: sessions })
    .from(domainEvents)
    .leftJoin(sessions, and(eq(sessions.tenantId, domainEvents.tenantId), eq(sessions.id, domainEvents.sessionId)))
    .where(where)
    .orderBy(asc(domainEvents.id));
  const rows = await (limit === undefined ? query : query.limit(limit));
  return rows.map(({ event, session }) => ({
    ...event,
    type: event.type as DomainEventType,
    session: event.sessionId === null ? undefined : (session ?? deletedSession(event)),
  }));
}

/** What the event's status was: the payload says it; rows written before it did are derived from the type. */
const STATUS_OF_TYPE: Partial<Record<string, SessionStatus>> = {
  BOOKED: "SCHEDULED",
  CANCELLED: "CANCELLED",
  COMPLETED: "COMPLETED",
  NO_SHOW: "NO_SHOW",
};

/**
 * A deleted session as subscribers still receive it: ids, times and status from the event,
 * nothing else (its text went with it).
 */
function deletedSession(event: DomainEventRow): SessionRow {
  const p = event.payload as {
    status?: SessionStatus;
    sessionType?: SessionType;
    modality?: Modality;
    meetingType?: string;
    startsAt?: string;
    endsAt?: string;
  };
  const startsAt = p.startsAt ? new Date(p.startsAt) : event.occurredAt;
  return {
    id: event.sessionId!,
    tenantId: event.tenantId,
    providerId: event.providerId!,
    clientId: event.clientId!,
    treatmentPlanId: null,
    title: null,
    description: null,
    type: p.sessionType ?? "THERAPY",
    modality: p.modality ?? ((p.meetingType?.toUpperCase() as Modality | undefined) || "IN_PERSON"),
    location: null,
    startsAt,
    endsAt: p.endsAt ? new Date(p.endsAt) : startsAt,
    actualStart: null,
    actualEnd: null,
    status: p.status ?? STATUS_OF_TYPE[event.type] ?? "SCHEDULED",
    notes: null,
    providerNotes: null,
    clientFeedback: null,
    exercisesPerformed: null,
    googleEventId: null,
    outlookEventId: null,
    videoRoomName: null,
    videoRoomSid: null,
    cancelledAt: null,
    cancelledBy: null,
    cancellationReason: null,
    seriesId: null,
    occurrenceIndex: null,
    groupSessionId: null,
    createdBy: null,
    updatedBy: null,
    revision: 0,
    createdAt: event.occurredAt,
    updatedAt: event.occurredAt,
  };
}
