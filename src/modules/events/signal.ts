import { Redis } from "ioredis";
import { sql } from "drizzle-orm";
import { ConfigError } from "../../config.js";
import { rowsOf, type Database } from "../../db/client.js";

/** The channel every committed event is announced on; the payload is "<tenantId>:<eventId>". */
export const EVENTS_CHANNEL = "sessiongraph_events";

/** What an instance hears: a tenant has a committed event (its id, a hint: readers read from their own watermark). */
export type OnAnnounce = (tenantId: number, eventId: number) => void;

/**
 * The wake-up signal between instances. It only says "tenant T has new events": the outbox
 * table is the source of truth, and every instance reads the events back from it after the
 * last one it delivered. So a lost or late signal delays an event, never loses it, as long as
 * something wakes the reader again (the next event, a reconnect, the periodic catch-up).
 */
export interface WakeupSignal {
  readonly kind: "pg_notify" | "redis";
  /**
   * Whether the outbox announces in its own statement (pg_notify: delivered by the database on
   * commit, never on rollback); false: the writer calls announce() after its commit.
   */
  readonly inTransaction: boolean;
  /**
   * A slow periodic catch-up as a safety net, in ms (0: none). pg_notify needs none: NOTIFY is
   * part of the commit, and a dropped LISTEN connection is caught up on reconnect.
   */
  readonly catchUpIntervalMs: number;
  /** Starts hearing announcements; onReconnect runs each time the signal comes back after a drop. */
  listen(onAnnounce: OnAnnounce, onReconnect: () => void): Promise<void>;
  /** After the event's transaction committed (signals that are not inTransaction). */
  announce(tenantId: number, eventId: number): void;
  close(): Promise<void>;
}

export function parseAnnouncement(payload: string): [number, number] | undefined {
  const [tenant, id] = payload.split(":").map(Number);
  return Number.isInteger(tenant) && Number.isInteger(id) ? [tenant, id] : undefined;
}

/** NOTIFY/LISTEN on the database itself: the default, nothing else to run. */
export class PgNotifySignal implements WakeupSignal {
  readonly kind = "pg_notify";
  readonly inTransaction = true;
  readonly catchUpIntervalMs = 0;
  private unlisten?: () => Promise<void>;

  constructor(private readonly database: Database) {}

  async listen(onAnnounce: OnAnnounce, onReconnect: () => void): Promise<void> {
    let listens = 0;
    this.unlisten = await this.database.listen(
      EVENTS_CHANNEL,
      (payload) => {
        const parsed = parseAnnouncement(payload);
        if (parsed) onAnnounce(...parsed);
      },
      () => {
        listens += 1;
        if (listens > 1) onReconnect();
      },
    );
  }

  announce(): void {
    // Announced by the outbox's own statement (pg_notify), on commit.
  }

  async close(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
  }
}

/** How long a Redis server may take to answer the first connection before the server refuses to start. */
const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Redis pub/sub: no lock in PostgreSQL's commit (NOTIFY serializes every notifying commit of
 * the cluster on one lock). Two connections, as Redis requires: one subscribed, one to publish.
 *
 * - Announced after commit (the writer's Runner.afterCommit), so nothing is announced for a
 *   transaction that rolls back, and this instance's own subscribers are woken at once, without
 *   the round trip through Redis.
 * - A publish that fails (Redis down or restarting) is remembered per tenant and published again
 *   when the connection is back; the subscribing side of every instance catches up on reconnect.
 * - What still slips through (a process that died between its commit and its publish, another
 *   instance that never saw the drop) is read by the periodic catch-up within catchUpIntervalMs.
 */
export class RedisSignal implements WakeupSignal {
  readonly kind = "redis";
  readonly inTransaction = false;
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private onAnnounce?: OnAnnounce;
  /** Per tenant: the newest event whose publish failed, published again once Redis is back. */
  private readonly unsent = new Map<number, number>();

  private constructor(
    url: string,
    /** Namespaces the channel by database: instances on other databases sharing the Redis hear nothing of these. */
    readonly channel: string,
    readonly catchUpIntervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    const options = {
      lazyConnect: true,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      // Fail a publish at once while disconnected (remembered in `unsent`) rather than queue it without bound.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    };
    this.subscriber = new Redis(url, { ...options, connectionName: "sessiongraph-events-sub" });
    this.publisher = new Redis(url, { ...options, connectionName: "sessiongraph-events-pub" });
    // Connection errors are followed by reconnects (ioredis retries for ever); log, don't crash.
    for (const client of [this.subscriber, this.publisher]) client.on("error", (err) => this.onError(err));
    this.publisher.on("ready", () => this.republish());
  }

  /** Connects both connections; a Redis that cannot be reached fails here, at start, with a clear message. */
  static async open(
    url: string,
    database: Database,
    options: { catchUpIntervalMs: number; onError: (err: unknown) => void },
  ): Promise<RedisSignal> {
    const [row] = rowsOf<{ name: string }>(await database.db.execute(sql`select current_database() as name`));
    const signal = new RedisSignal(url, `${EVENTS_CHANNEL}:${row.name}`, options.catchUpIntervalMs, options.onError);
    try {
      await Promise.all([signal.subscriber.connect(), signal.publisher.connect()]);
    } catch (err) {
      signal.subscriber.disconnect();
      signal.publisher.disconnect();
      throw new ConfigError(
        `Cannot connect to Redis at REDIS_URL (${withoutPassword(url)}): ${(err as Error).message}`,
      );
    }
    return signal;
  }

  async listen(onAnnounce: OnAnnounce, onReconnect: () => void): Promise<void> {
    this.onAnnounce = onAnnounce;
    this.subscriber.on("message", (channel: string, payload: string) => {
      if (channel !== this.channel) return;
      const parsed = parseAnnouncement(payload);
      if (parsed) onAnnounce(...parsed);
    });
    await this.subscriber.subscribe(this.channel);
    // Every "ready" after the first is a reconnect. ioredis emits it just before it subscribes
    // again: catch up only once the subscription is back (its reply), so that nothing committed
    // between the catch-up's read and the subscription goes unheard.
    this.subscriber.on("ready", () => {
      void Promise.resolve()
        .then(() => this.subscriber.subscribe(this.channel))
        .then(onReconnect, this.onError);
    });
  }

  announce(tenantId: number, eventId: number): void {
    this.onAnnounce?.(tenantId, eventId);
    this.publisher.publish(this.channel, `${tenantId}:${eventId}`).catch((err: unknown) => {
      this.unsent.set(tenantId, Math.max(eventId, this.unsent.get(tenantId) ?? 0));
      this.onError(err);
    });
  }

  private republish(): void {
    const unsent = [...this.unsent];
    this.unsent.clear();
    for (const [tenantId, eventId] of unsent) this.announce(tenantId, eventId);
  }

  async close(): Promise<void> {
    // QUIT sends what is pending first; while disconnected it fails at once, and disconnect() stops the reconnecting.
    await Promise.all(
      [this.subscriber, this.publisher].map((client) => client.quit().catch(() => client.disconnect())),
    );
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "an unparsable URL";
  }
}
