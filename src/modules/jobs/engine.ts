import { sql } from "drizzle-orm";
import PgBoss from "pg-boss";
import type { Config } from "../../config.js";
import { APP_ROLE, type Database, type Tx } from "../../db/client.js";
import { EventConsumers, EVENT_CONSUMERS_QUEUE } from "./event-consumers.js";
import { databaseExecutor, transactionExecutor } from "./executor.js";
import type { EventConsumer, Jobs, JobsStatus, QueueOptions, SendOptions, WorkOptions } from "./types.js";
import { QueueWorker, type JobHandler } from "./worker.js";

/** pg-boss's schema (its default): tables job (partitioned per queue), queue, archive, version. */
const SCHEMA = "pgboss";
/** Key of the advisory lock under which instances grant the app role its rights on that schema. */
const GRANT_LOCK = 0x10b5;

/**
 * The durable job engine: pg-boss 10 over our own connection (see executor.ts), on PostgreSQL
 * and embedded PGlite alike. Jobs live in pgboss.job; a job is fetched with FOR UPDATE SKIP
 * LOCKED, so across instances each runs once; a failed one is retried per its queue's policy
 * (pg-boss's retryDelay/retryBackoff); startAfter schedules it. pg-boss's own timers: its
 * maintenance (supervise: expires jobs whose worker died, archives finished ones) every
 * JOBS_MAINTENANCE_INTERVAL_SECONDS; no cron (schedule: false), so no clock-skew or cron
 * pollers: periodic work re-schedules itself with startAfter.
 */
export class JobEngine implements Jobs {
  private readonly boss: PgBoss;
  private readonly workers: QueueWorker<never>[] = [];
  private readonly queues = new Set<string>();
  private readonly consumers: EventConsumers;
  private started = false;

  constructor(
    private readonly database: Database,
    private readonly config: Config,
    private readonly onError: (err: unknown, context?: { queue?: string; jobId?: string }) => void,
  ) {
    this.boss = new PgBoss({
      db: databaseExecutor(database),
      schema: SCHEMA,
      supervise: true,
      schedule: false,
      migrate: true,
      maintenanceIntervalSeconds: config.jobsMaintenanceIntervalSeconds,
    });
    // pg-boss's own failures (maintenance, a lost connection) are logged, never thrown at the process.
    this.boss.on("error", (err) => this.onError(err));
    this.consumers = new EventConsumers(database, () => this.notify());
  }

  /** Creates or migrates pg-boss's schema and grants the app role what send() needs. */
  async start(): Promise<void> {
    await this.boss.start();
    await this.grantAppRole();
    await this.defineQueue(EVENT_CONSUMERS_QUEUE, EventConsumers.QUEUE_OPTIONS);
    this.started = true;
  }

  /**
   * Starts running the event consumers, once every one of them is registered: a run for a
   * tenant (the first after a restart reads what committed while no instance ran) must include
   * them all, or a late one's events would wait for the tenant's next event.
   */
  async consumeEvents(): Promise<void> {
    await this.work<{ tenantId: number }>(EVENT_CONSUMERS_QUEUE, ({ tenantId }) => this.consumers.run(tenantId));
  }

  /**
   * Request transactions run as the app role, which owns nothing: pg-boss's insert reads the
   * queue's defaults (SELECT on queue), inserts the job, and returns its id (SELECT of id only:
   * the app role reads no job's data). Granted by every instance at start, one at a time.
   */
  private async grantAppRole(): Promise<void> {
    await this.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${GRANT_LOCK}::int, 0)`);
      await tx.execute(sql.raw(`grant usage on schema ${SCHEMA} to ${APP_ROLE}`));
      await tx.execute(sql.raw(`grant select on ${SCHEMA}.queue to ${APP_ROLE}`));
      await tx.execute(sql.raw(`grant insert, select (id) on ${SCHEMA}.job to ${APP_ROLE}`));
    });
  }

  async send(tx: Tx, queue: string, data: object, options: SendOptions = {}): Promise<void> {
    this.assertDefined(queue);
    await this.boss.send(queue, data, { ...options, db: transactionExecutor(tx) });
  }

  async sendNow(queue: string, data: object, options: SendOptions = {}): Promise<void> {
    this.assertDefined(queue);
    await this.boss.send(queue, data, options);
  }

  async defineQueue(queue: string, options: QueueOptions = {}): Promise<void> {
    await this.boss.createQueue(queue, { name: queue, ...options });
    this.queues.add(queue);
  }

  async work<T extends object>(queue: string, handler: JobHandler<T>, options: WorkOptions = {}): Promise<void> {
    this.assertDefined(queue);
    const worker = new QueueWorker<T>(this.boss, queue, handler, {
      intervalMs: options.pollIntervalMs ?? this.config.jobsPollIntervalMs,
      concurrency: options.concurrency ?? 1,
      onError: (err, job) => this.onError(err, { queue, jobId: job?.id }),
    });
    this.workers.push(worker as QueueWorker<never>);
    worker.start();
  }

  onEvents(consumer: string, handler: EventConsumer): void {
    this.consumers.add(consumer, handler);
  }

  /** Wakes this instance's workers of a queue (all queues without one) to look for jobs now. */
  notify(queue?: string): void {
    for (const worker of this.workers) if (queue === undefined || worker.queue === queue) worker.notify();
  }

  /** Committed events of a tenant are waiting: its consumers run now rather than at the next poll. */
  eventsCommitted(): void {
    this.notify(EVENT_CONSUMERS_QUEUE);
  }

  status(): JobsStatus {
    return { started: this.started, queues: [...this.queues].sort() };
  }

  /**
   * Stops fetching, waits up to JOBS_SHUTDOWN_TIMEOUT_MS for the jobs under way, and hands back
   * those still running (failed: they are retried, here or on another instance), then stops
   * pg-boss's maintenance. The database itself is closed by its owner.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const stopped = Promise.all(this.workers.map((worker) => worker.stop()));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.config.jobsShutdownTimeoutMs);
    });
    if ((await Promise.race([stopped, bound])) === "timeout") {
      for (const worker of this.workers)
        for (const id of worker.running)
          await this.boss
            .fail(worker.queue, id, { message: "the instance shut down while the job ran" })
            .catch((err: unknown) => this.onError(err));
    }
    clearTimeout(timer);
    await this.boss.stop({ graceful: false, close: false });
  }

  private assertDefined(queue: string): void {
    if (!this.queues.has(queue)) throw new Error(`job queue "${queue}" is not defined (defineQueue first)`);
  }
}
