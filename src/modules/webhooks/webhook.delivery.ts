import { sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../../db/client.js";
import type { DomainEventRow } from "../../db/schema/index.js";
import { anyId } from "../../db/any-id.js";
import { webhookEndpoints } from "../../db/schema/index.js";
import type { AppDeps } from "../context.js";
import type { EndpointJob } from "./webhook.jobs.js";
import { webhookOf } from "./payload.js";
import { attemptDelivery, type AttemptResult } from "./sender.js";
import {
  endpointJobKey,
  queueEndpoint,
  WEBHOOK_CONSUMER,
  WEBHOOK_QUEUE,
  WEBHOOK_QUEUE_OPTIONS,
} from "./webhook.jobs.js";

/** Deliveries one run of an endpoint's job sends at most before it hands over to a new job. */
const DRAIN_BATCH = 20;
/** A claimed delivery is another instance's again this long after its attempt's timeout (its instance died mid-send). */
const LEASE_MARGIN_SECONDS = 30;

interface Claimed {
  id: number;
  event_id: number | string;
  payload: Record<string, unknown>;
  attempts: number;
  endpoint_id: number;
  url: string;
  secret: string;
}

/**
 * The webhooks' background work, on the owner connection (webhook tables are not FORCE RLS: it
 * reads every tenant's endpoints). Two parts:
 * - fanOut, inside the events consumer's transaction: one delivery row per subscribed active
 *   endpoint for each committed event, its body fixed then, and the endpoint's job queued in the
 *   same transaction (the consumer's cursor advances in it too: each event fans out once).
 * - drain, an endpoint's job: sends its due deliveries one after another in event order.
 */
export class WebhookDeliverer {
  constructor(private readonly deps: AppDeps) {}

  /** Consumes committed events (fan-out): registered before the job engine starts. */
  consumeEvents(): void {
    this.deps.jobs.onEvents(WEBHOOK_CONSUMER, (tx, events) => this.fanOut(tx, events).then(() => undefined));
  }

  /** Declares the endpoints' queue and works it on this instance (once the job engine has started). */
  async start(): Promise<void> {
    const { jobs } = this.deps;
    // A run that outlives every attempt it may make (and its lease) is expired and retried.
    const expireInSeconds =
      Math.ceil(DRAIN_BATCH * (this.deps.config.webhooks.timeoutMs / 1000 + 1)) + LEASE_MARGIN_SECONDS;
    await jobs.defineQueue(WEBHOOK_QUEUE, { ...WEBHOOK_QUEUE_OPTIONS, expireInSeconds });
    await jobs.work<EndpointJob>(WEBHOOK_QUEUE, async ({ endpointId }) => {
      const next = await this.drain(endpointId);
      if (next)
        await jobs.sendNow(
          WEBHOOK_QUEUE,
          { endpointId },
          { singletonKey: endpointJobKey(endpointId, true), startAfter: next },
        );
    });
  }

  /** Turns committed events into deliveries and queues each endpoint that got one; returns those endpoints' ids. */
  async fanOut(tx: Tx, events: DomainEventRow[]): Promise<number[]> {
    const bodies = events.flatMap((event) => {
      const body = webhookOf(event);
      return body ? [{ event, body }] : [];
    });
    if (!bodies.length) return [];
    const tenantIds = [...new Set(bodies.map(({ event }) => event.tenantId))];
    const endpoints = await tx
      .select({
        id: webhookEndpoints.id,
        tenantId: webhookEndpoints.tenantId,
        events: webhookEndpoints.events,
        createdAt: webhookEndpoints.createdAt,
      })
      .from(webhookEndpoints)
      .where(sql`${anyId(webhookEndpoints.tenantId, tenantIds)} and ${webhookEndpoints.active}`);
    const rows = bodies.flatMap(({ event, body }) =>
      endpoints
        // An endpoint hears of what happens from its creation on, not of a backlog it never asked for.
        .filter((e) => e.tenantId === event.tenantId && e.events.includes(body.type) && event.occurredAt >= e.createdAt)
        .map((e) => ({
          tenant: e.tenantId,
          endpoint: e.id,
          event: event.id,
          type: body.type,
          payload: JSON.stringify(body),
        })),
    );
    if (!rows.length) return [];
    const column = <K extends keyof (typeof rows)[number]>(key: K) => sql.param(rows.map((row) => row[key]));
    // A second run over the same events (a redelivered consumer batch) adds nothing: one delivery per endpoint and event.
    const inserted = rowsOf<{ endpoint_id: number }>(
      await tx.execute(sql`
        insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, payload, next_attempt_at)
        select d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.payload::jsonb, now()
          from unnest(${column("tenant")}::int[], ${column("endpoint")}::int[], ${column("event")}::bigint[],
                      ${column("type")}::text[], ${column("payload")}::text[]) as d(tenant_id, endpoint_id, event_id, event_type, payload)
        on conflict (endpoint_id, event_id) do nothing
        returning endpoint_id`),
    );
    const endpointIds = [...new Set(inserted.map((row) => Number(row.endpoint_id)))];
    for (const endpointId of endpointIds) await queueEndpoint(this.deps, tx, endpointId);
    return endpointIds;
  }

  /**
   * Sends the endpoint's due deliveries in event order, one at a time. Only the head (the oldest
   * PENDING delivery of an active endpoint) is ever sent: a later event waits while an earlier
   * one is pending, retries included. The head is claimed by a conditional update that pushes
   * its next_attempt_at past the attempt (a lease), so two workers never send it at once and a
   * worker that dies mid-send leaves it to be retried once the lease ends.
   * Returns when the endpoint has work again (its head's next attempt), or null when it has none.
   */
  async drain(endpointId: number): Promise<Date | null> {
    for (let sent = 0; sent < DRAIN_BATCH; sent++) {
      const claimed = await this.claimHead(endpointId);
      if (!claimed) return this.nextDue(endpointId);
      const result = await attemptDelivery({
        url: claimed.url,
        secret: claimed.secret,
        eventId: Number(claimed.event_id),
        body: JSON.stringify(claimed.payload),
        // The wall clock, not deps.now: receivers check webhook-timestamp against their own clock.
        at: new Date(),
        timeoutMs: this.deps.config.webhooks.timeoutMs,
        allowPrivate: this.deps.config.webhooks.allowPrivateUrls,
      });
      await this.record(claimed, result);
    }
    return new Date();
  }

  private async claimHead(endpointId: number): Promise<Claimed | undefined> {
    const leaseSeconds = this.deps.config.webhooks.timeoutMs / 1000 + LEASE_MARGIN_SECONDS;
    const [row] = rowsOf<Claimed>(
      await this.deps.database.db.execute(sql`
        with head as (
          select d.id from webhook_deliveries d
            join webhook_endpoints e on e.id = d.endpoint_id and e.active
           where d.endpoint_id = ${endpointId} and d.status = 'PENDING'
           order by d.event_id limit 1
        )
        update webhook_deliveries d
           set next_attempt_at = clock_timestamp() + ${leaseSeconds}::float8 * interval '1 second'
          from head, webhook_endpoints e
         where d.id = head.id and e.id = d.endpoint_id and d.status = 'PENDING'
           and (d.next_attempt_at is null or d.next_attempt_at <= clock_timestamp())
        returning d.id, d.event_id, d.payload, d.attempts, d.endpoint_id, e.url, e.secret`),
    );
    return row;
  }

  /** When the endpoint's head is due (null: nothing pending, or the endpoint is disabled or gone). */
  private async nextDue(endpointId: number): Promise<Date | null> {
    const [row] = rowsOf<{ next_attempt_at: string | Date | null }>(
      await this.deps.database.db.execute(sql`
        select d.next_attempt_at from webhook_deliveries d
          join webhook_endpoints e on e.id = d.endpoint_id and e.active
         where d.endpoint_id = ${endpointId} and d.status = 'PENDING'
         order by d.event_id limit 1`),
    );
    if (!row) return null;
    return row.next_attempt_at === null ? new Date() : new Date(row.next_attempt_at);
  }

  /**
   * The attempt's outcome. 2xx: DELIVERED, the endpoint's failure streak ends. Otherwise the next
   * attempt waits the schedule's next gap; with the schedule used up the delivery is FAILED, and
   * the endpoint is disabled after disableAfterFailures FAILED deliveries in a row.
   */
  private async record(claimed: Claimed, result: AttemptResult): Promise<void> {
    const { retryScheduleSeconds, disableAfterFailures } = this.deps.config.webhooks;
    const attempts = claimed.attempts + 1;
    // Only the attempt this worker claimed: a redelivery meanwhile (attempts back to 0) is left alone.
    const mine = sql`id = ${claimed.id} and status = 'PENDING' and attempts = ${claimed.attempts}`;
    await this.deps.database.db.transaction(async (tx) => {
      if (result.delivered) {
        await tx.execute(sql`
          update webhook_deliveries set status = 'DELIVERED', attempts = ${attempts}, last_status_code = ${result.statusCode},
                 last_error = null, delivered_at = clock_timestamp(), next_attempt_at = null, updated_at = clock_timestamp()
           where ${mine}`);
        await tx.execute(sql`update webhook_endpoints set consecutive_failures = 0 where id = ${claimed.endpoint_id}`);
        return;
      }
      const exhausted = attempts > retryScheduleSeconds.length;
      const updated = rowsOf<{ id: number }>(
        await tx.execute(sql`
          update webhook_deliveries set attempts = ${attempts}, last_status_code = ${result.statusCode ?? null},
                 last_error = ${result.error}, updated_at = clock_timestamp(),
                 ${
                   exhausted
                     ? sql`status = 'FAILED', next_attempt_at = null`
                     : sql`next_attempt_at = clock_timestamp() + ${retryScheduleSeconds[attempts - 1]}::float8 * interval '1 second'`
                 }
           where ${mine} returning id`),
      );
      if (exhausted && updated.length)
        await tx.execute(sql`
          update webhook_endpoints
             set consecutive_failures = consecutive_failures + 1,
                 active = active and consecutive_failures + 1 < ${disableAfterFailures},
                 disabled_at = case when active and consecutive_failures + 1 >= ${disableAfterFailures}
                                    then clock_timestamp() else disabled_at end,
                 updated_at = clock_timestamp()
           where id = ${claimed.endpoint_id}`);
    });
  }
}
