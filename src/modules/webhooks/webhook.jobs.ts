import type { Tx } from "../../db/client.js";
import type { ServiceDeps } from "../context.js";

/** The job queue of webhook work: one job per endpoint drains its pending deliveries in event order. */
export const WEBHOOK_QUEUE = "webhooks.endpoint";
/** The events consumer that turns committed domain events into deliveries. */
export const WEBHOOK_CONSUMER = "webhooks";

/**
 * What the webhooks need of the job engine (its send, promised by src/modules/jobs): a job
 * created in the caller's transaction, at most one waiting per singleton key, not before startAfter.
 */
export interface WebhookJobQueue {
  send(tx: Tx, queue: string, data: object, options?: { singletonKey?: string; startAfter?: Date }): Promise<void>;
}

export interface EndpointJob {
  endpointId: number;
}

/** The endpoint's singleton key: at most one of its jobs waits at a time, so its deliveries go out one after another. */
export const endpointJobKey = (endpointId: number) => `webhook-endpoint-${endpointId}`;

/**
 * Wakes the endpoint's worker in the caller's transaction (a rolled-back change wakes nothing):
 * it sends the endpoint's due deliveries in event order.
 */
export async function queueEndpoint(deps: ServiceDeps, tx: Tx, endpointId: number, startAfter?: Date): Promise<void> {
  await deps.jobs?.send(tx, WEBHOOK_QUEUE, { endpointId } satisfies EndpointJob, {
    singletonKey: endpointJobKey(endpointId),
    ...(startAfter ? { startAfter } : {}),
  });
}
