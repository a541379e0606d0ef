import type { Tx } from "../../db/client.js";
import type { ServiceDeps } from "../context.js";
import type { QueueOptions } from "../jobs/index.js";

/**
 * The job queue of webhook work: an endpoint's job drains its due deliveries in event order and
 * queues itself again for when its oldest pending delivery is next due. Policy "short": at most
 * one job per endpoint waits (a burst of events wakes it once); a new one may wait while one runs.
 */
export const WEBHOOK_QUEUE = "webhooks.endpoint";
export const WEBHOOK_QUEUE_OPTIONS: QueueOptions = {
  policy: "short",
  retryLimit: 10,
  retryDelay: 1,
  retryBackoff: true,
};
/** The events consumer that turns committed domain events into deliveries. */
export const WEBHOOK_CONSUMER = "webhooks";

export interface EndpointJob {
  endpointId: number;
}

/**
 * The endpoint's singleton keys: at most one job waits to run now (a wake-up: new deliveries, a
 * redelivery) and one for later (the next attempt of its oldest pending delivery). Apart, so a
 * wake-up is never dropped behind a job that waits for a retry or a lease.
 */
export const endpointJobKey = (endpointId: number, later = false) =>
  `webhook-endpoint-${endpointId}${later ? "-later" : ""}`;

/**
 * Wakes the endpoint's worker in the caller's transaction (a rolled-back change wakes nothing):
 * it sends the endpoint's due deliveries in event order.
 */
export async function queueEndpoint(deps: ServiceDeps, tx: Tx, endpointId: number): Promise<void> {
  await deps.jobs.send(tx, WEBHOOK_QUEUE, { endpointId } satisfies EndpointJob, {
    singletonKey: endpointJobKey(endpointId),
  });
}
