/**
 * The jobs module's public face: one durable job engine (pg-boss 10 on PostgreSQL and on
 * embedded PGlite) for all background work, and the consumers of committed domain events.
 */
export { JobEngine } from "./engine.js";
export type { EventConsumer, Jobs, JobsStatus, QueueOptions, SendOptions, WorkOptions } from "./types.js";
export { EVENT_CONSUMERS_QUEUE } from "./event-consumers.js";
export type { JobInfo } from "./worker.js";
