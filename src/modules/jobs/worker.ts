import type PgBoss from "pg-boss";
import { runAsBackgroundWork } from "../../db/client.js";

export interface JobInfo {
  id: string;
  /** 0 on the first run, then how many times it was retried. */
  retryCount: number;
}

export type JobHandler<T> = (data: T, job: JobInfo) => Promise<void>;

/**
 * One queue's worker on this instance: fetches a due job (pg-boss: FOR UPDATE SKIP LOCKED, so
 * each job goes to one worker across instances), runs the handler, and completes or fails the
 * job (a failed job is retried per the queue's policy). Written over pg-boss's fetch, complete
 * and fail rather than its work(): pg-boss 10's work() does not await its complete()/fail(),
 * so one that fails (the database going away at shutdown) is an unhandled rejection that ends
 * the process. Here every call is awaited and its error goes to onError.
 *
 * Polls every intervalMs while idle; notify() makes it look at once (a commit that queued work).
 */
export class QueueWorker<T> {
  private loops: Promise<void>[] = [];
  private stopping = false;
  private notified = false;
  private sleeping = new Set<() => void>();
  /** Jobs whose handler is running, to hand back if the shutdown bound passes. */
  readonly running = new Set<string>();

  constructor(
    private readonly boss: PgBoss,
    readonly queue: string,
    private readonly handler: JobHandler<T>,
    private readonly options: {
      intervalMs: number;
      concurrency: number;
      onError: (err: unknown, job?: JobInfo) => void;
    },
  ) {}

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  notify(): void {
    this.notified = true;
    for (const wake of this.sleeping) wake();
  }

  /** Stops fetching; resolves once the handlers under way have returned. */
  stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    return Promise.all(this.loops).then(() => {});
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.notified = false;
      let jobs: PgBoss.JobWithMetadata<T>[] = [];
      try {
        jobs = await this.boss.fetch<T>(this.queue, { batchSize: 1, includeMetadata: true });
      } catch (err) {
        this.options.onError(err);
      }
      for (const job of jobs) await this.run(job);
      // A job found: there may be more, look again at once.
      if (!jobs.length && !this.notified && !this.stopping) await this.sleep();
    }
  }

  private async run(job: PgBoss.JobWithMetadata<T>): Promise<void> {
    const info = { id: job.id, retryCount: job.retryCount };
    this.running.add(job.id);
    try {
      await runAsBackgroundWork(() => this.handler(job.data, info));
      await this.boss.complete(this.queue, job.id);
    } catch (err) {
      this.options.onError(err, info);
      // Only the message is kept on the job: a stack or a driver's detail may quote row values.
      const message = err instanceof Error ? err.message : String(err);
      await this.boss.fail(this.queue, job.id, { message }).catch((failure: unknown) => this.options.onError(failure));
    } finally {
      this.running.delete(job.id);
    }
  }

  private sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.options.intervalMs);
      this.sleeping.add(wake);
    });
  }
}
