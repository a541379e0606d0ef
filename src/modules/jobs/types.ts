import type { Tx } from "../../db/client.js";
import type { DomainEventRow } from "../../db/schema/index.js";

/** Per job; the queue's policy fills in what is left out. Shaped after pg-boss's SendOptions. */
export interface SendOptions {
  /** Not run before this instant (default: at once). */
  startAfter?: Date;
  /** With a queue of policy "short": at most one job per key waits to run (a second send is dropped). */
  singletonKey?: string;
  priority?: number;
  /** Retries after the first run fails. */
  retryLimit?: number;
  /** Seconds before a retry; with retryBackoff, the base of an exponential backoff (with jitter). */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** A run that takes longer is failed (and retried) by maintenance. */
  expireInSeconds?: number;
}

/** A queue's policy and retry defaults. Shaped after pg-boss's createQueue options. */
export interface QueueOptions {
  /** standard (default); short: one waiting job per singletonKey; singleton: one running; stately: both. */
  policy?: "standard" | "short" | "singleton" | "stately";
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  expireInSeconds?: number;
  /** How long a job that never ran is kept (default 14 days). */
  retentionMinutes?: number;
}

export interface WorkOptions {
  /** How often an idle worker looks for due jobs (default JOBS_POLL_INTERVAL_MS). */
  pollIntervalMs?: number;
  /** Jobs of this queue run at once on this instance (default 1). */
  concurrency?: number;
}

export type EventConsumer = (tx: Tx, events: DomainEventRow[]) => Promise<void>;

export interface Jobs {
  /** Queues a job inside the caller's transaction (a tenant transaction as the app role, or an
   *  owner transaction): it exists if and only if that transaction commits. */
  send(tx: Tx, queue: string, data: object, options?: SendOptions): Promise<void>;
  /** Queues a job outside any transaction (background code). Never inside a transaction on PGlite. */
  sendNow(queue: string, data: object, options?: SendOptions): Promise<void>;
  /** Declares a queue (idempotent) with its retry policy; call before send/work. */
  defineQueue(queue: string, options?: QueueOptions): Promise<void>;
  /** Handles a queue's jobs on this instance; across instances each job runs once. A handler
   *  that throws is retried per the queue's policy. */
  work<T extends object>(
    queue: string,
    handler: (data: T, job: { id: string; retryCount: number }) => Promise<void>,
    options?: WorkOptions,
  ): Promise<void>;
  /** A consumer of committed domain events: called in event-id order per tenant, exactly once
   *  per event, with a transaction on the owner connection (the tenant set for row-level
   *  security) in which the consumer writes what the events cause (rows, and more jobs via
   *  send(tx, ...)); the consumer's cursor advances in that same transaction. */
  onEvents(consumer: string, handler: EventConsumer): void;
}

/** What /readyz shows of the engine. */
export interface JobsStatus {
  started: boolean;
  queues: string[];
}
