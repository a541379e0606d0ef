import { sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../../db/client.js";
import type { GroupSessionRow, SessionRow, SlotHoldRow, WaitlistEntryRow } from "../../db/schema/index.js";
import type { RequestContext } from "../context.js";
import { EVENT_CONSUMERS_QUEUE } from "../jobs/index.js";
import { EVENTS_CHANNEL } from "./signal.js";

/** The session events (GraphQL's SessionEventType enum is registered from this object). */
export const SESSION_EVENT_TYPES = {
  BOOKED: "BOOKED",
  RESCHEDULED: "RESCHEDULED",
  CANCELLED: "CANCELLED",
  COMPLETED: "COMPLETED",
  NO_SHOW: "NO_SHOW",
  UPDATED: "UPDATED",
  /** Moved to another provider and/or client; the payload names the previous ones (previousProviderId, previousClientId). */
  REASSIGNED: "REASSIGNED",
} as const;
export type SessionEventType = keyof typeof SESSION_EVENT_TYPES;
/** A provider's weekly rules, date overrides or scheduling settings changed. */
export type AvailabilityEventType = "AVAILABILITY_CHANGED";
/**
 * A user of the tenant changed (created, role, status, deletion, settings): instances forget the
 * tenant's cached callers. Never delivered to subscribers.
 */
export const USER_CHANGED = "USER_CHANGED";
/** A hold was placed, released, consumed by a booking, or expired (payload.change): the provider's slots changed. */
export type HoldEventType = "SLOT_HOLD_CHANGED";
export type HoldChange = "PLACED" | "RELEASED" | "CONSUMED" | "EXPIRED";
/** A waitlist entry was offered a slot, booked it, or changed otherwise (joined, declined, lapsed, left, expired). */
export type WaitlistEventType = "WAITLIST_OFFERED" | "WAITLIST_BOOKED" | "WAITLIST_CHANGED";
/** A group session was created or cancelled (payload.change); its seats' own changes are session events. */
export type GroupEventType = "GROUP_SESSION_CHANGED";
/** The events subscribers receive. */
export type DomainEventType =
  SessionEventType | AvailabilityEventType | HoldEventType | WaitlistEventType | GroupEventType;
/** Whether an event is a session's (sessionChanged delivers only these). */
export const isSessionEventType = (type: string): type is SessionEventType => type in SESSION_EVENT_TYPES;

/** First key of the per-tenant advisory lock that orders a tenant's events (second key: the tenant id). */
const EVENT_LOCK = 0x5e55;

/** Also here for the bench, which listens to NOTIFY to time commits. */
export { EVENTS_CHANNEL };

export interface SessionEventInput {
  type: SessionEventType;
  /** The session as it is after the change. */
  session: SessionRow;
  /** The type's documented fields (booking.md: AppointmentBooked, ...Rescheduled, ...Cancelled, ...Completed), no free text. */
  payload: Record<string, unknown>;
}

interface EventInput {
  type: DomainEventType | typeof USER_CHANGED;
  providerId: number | null;
  sessionId?: number;
  clientId?: number;
  payload: Record<string, unknown>;
}

/**
 * JSON for a jsonb column. PostgreSQL's JSON refuses a lone surrogate (half of a UTF-16 pair,
 * e.g. in a client's cancellation reason): it becomes U+FFFD, as it does in text columns.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
function jsonb(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? v.replace(LONE_SURROGATE, "\ufffd") : v));
}

/**
 * Takes the tenant's event lock now rather than at the event (the same lock: taking it again
 * costs nothing). Writes that can collide on an exclusion constraint then queue here, each
 * meeting the previous one's committed row as a plain violation (23P01), instead of checking
 * each other's uncommitted rows and deadlocking (40P01, a second each to detect, and a
 * cascade of them under contention).
 */
export async function lockTenantEvents(tx: Tx, tenantId: number): Promise<void> {
  await tx.execute(sql`select ${tenantEventLock(tenantId)}`);
}

/** The lock itself, held until the transaction ends. */
function tenantEventLock(tenantId: number) {
  return sql`pg_advisory_xact_lock(${EVENT_LOCK}::int, ${tenantId}::int)`;
}

/**
 * Writes one outbox row inside the caller's transaction (call it in the same ctx.db.atomic as
 * the write: a rolled-back change leaves no event) and announces it on the wake-up signal:
 * with pg_notify in the same statement (NOTIFY is delivered on commit only), otherwise once
 * the transaction has committed (ctx.db.afterCommit: never for a rollback). The tenant's event
 * lock (held to commit) makes a tenant's events commit in id order, so a cursor (the last id
 * seen) never skips a later-committing event.
 */
async function recordEvent(tx: Tx, ctx: RequestContext, event: EventInput): Promise<number> {
  const signal = ctx.deps.events.signal;
  const [row] = rowsOf<{ id: number | string }>(
    await tx.execute(sql`
      with locked as (select ${tenantEventLock(ctx.tenant.id)}),
      event as (
        insert into domain_events (tenant_id, type, session_id, provider_id, client_id, payload)
        select ${ctx.tenant.id}, ${event.type}, ${event.sessionId ?? null}::int, ${event.providerId}::int, ${event.clientId ?? null}::int,
               ${jsonb(event.payload)}::jsonb
        from locked
        returning id, tenant_id
      )
      select id${signal.inTransaction ? sql`, pg_notify(${EVENTS_CHANNEL}, tenant_id || ':' || id)` : sql``} from event`),
  );
  const id = Number(row.id);
  if (!signal.inTransaction) ctx.db.afterCommit(() => signal.announce(ctx.tenant.id, id));
  await wakeEventConsumers(tx, ctx);
  return id;
}

/** Transactions (and savepoints: each has its own Tx) that have queued their consumers' wake-up. */
const consumersWoken = new WeakSet<Tx>();

/**
 * Queues, once per transaction, the job that runs the tenant's event consumers (webhooks,
 * reminders, the waitlist) after this transaction commits: it exists if and only if the events
 * do. Per savepoint rather than per transaction where a savepoint records events: a savepoint
 * rolled back takes its job with it, and the next one queues it again (the queue keeps one
 * waiting job per tenant, so a second send in the same transaction is dropped by the database).
 */
async function wakeEventConsumers(tx: Tx, ctx: RequestContext): Promise<void> {
  if (consumersWoken.has(tx)) return;
  await ctx.deps.jobs.send(
    tx,
    EVENT_CONSUMERS_QUEUE,
    { tenantId: ctx.tenant.id },
    { singletonKey: String(ctx.tenant.id) },
  );
  consumersWoken.add(tx);
}

/**
 * A session change. Every payload names the session, its people, its status, type and modality
 * and the interval it now occupies (startsAt/endsAt); reschedules add previousStartsAt/previousEndsAt,
 * reassignments previousProviderId/previousClientId.
 * No clinical text (notes, provider notes, feedback, title, description, reasons): subscribers
 * read the session's current state when they deliver, and a deleted one is shown from these fields.
 */
export function recordSessionEvent(
  tx: Tx,
  ctx: RequestContext,
  { type, session, payload }: SessionEventInput,
): Promise<number> {
  return recordEvent(tx, ctx, {
    type,
    providerId: session.providerId,
    sessionId: session.id,
    clientId: session.clientId,
    payload: sessionPayload(session, payload),
  });
}

function sessionPayload(session: SessionRow, payload: Record<string, unknown>): Record<string, unknown> {
  return {
    appointmentId: session.id,
    clientId: session.clientId,
    therapistId: session.providerId,
    status: session.status,
    sessionType: session.type,
    modality: session.modality,
    ...payload,
    startsAt: session.startsAt.toISOString(),
    endsAt: session.endsAt.toISOString(),
  };
}

/**
 * Many session changes of one transaction (a series' occurrences) in one statement: the same
 * rows recordSessionEvent writes, in order, each announced (pg_notify per row, or the last id
 * after commit: a woken instance reads every event after what it delivered).
 */
export async function recordSessionEvents(tx: Tx, ctx: RequestContext, events: SessionEventInput[]): Promise<number[]> {
  if (events.length <= 1) return Promise.all(events.map((event) => recordSessionEvent(tx, ctx, event)));
  const signal = ctx.deps.events.signal;
  const rows = events.map(({ type, session, payload }) => ({
    type,
    session: session.id,
    provider: session.providerId,
    client: session.clientId,
    payload: jsonb(sessionPayload(session, payload)),
  }));
  const column = <K extends keyof (typeof rows)[number]>(key: K) => sql.param(rows.map((row) => row[key]));
  const inserted = rowsOf<{ id: number | string }>(
    await tx.execute(sql`
      with locked as (select ${tenantEventLock(ctx.tenant.id)}),
      event as (
        insert into domain_events (tenant_id, type, session_id, provider_id, client_id, payload)
        select ${ctx.tenant.id}, e.type, e.session_id, e.provider_id, e.client_id, e.payload::jsonb
        from locked, unnest(${column("type")}::text[], ${column("session")}::int[], ${column("provider")}::int[],
                            ${column("client")}::int[], ${column("payload")}::text[])
                     with ordinality as e(type, session_id, provider_id, client_id, payload, n)
        order by e.n
        returning id, tenant_id
      )
      select id${signal.inTransaction ? sql`, pg_notify(${EVENTS_CHANNEL}, tenant_id || ':' || id)` : sql``} from event order by id`),
  );
  const ids = inserted.map((row) => Number(row.id));
  if (!signal.inTransaction) ctx.db.afterCommit(() => signal.announce(ctx.tenant.id, ids[ids.length - 1]));
  await wakeEventConsumers(tx, ctx);
  return ids;
}

/** An availability change: `dates` are the provider's local dates it touches, or "all" (weekly rules, settings). */
export function recordAvailabilityEvent(
  tx: Tx,
  ctx: RequestContext,
  providerId: number,
  dates: string[] | "all",
): Promise<number> {
  return recordEvent(tx, ctx, {
    type: "AVAILABILITY_CHANGED",
    providerId,
    payload: dates === "all" ? { allDates: true } : { dates },
  });
}

/**
 * A hold's change: its provider's slots from startsAt to endsAt changed (slotsChanged delivers
 * those dates). Ids and times only; the client is named by id for the waitlist's visibility.
 */
export function recordHoldEvent(tx: Tx, ctx: RequestContext, hold: SlotHoldRow, change: HoldChange): Promise<number> {
  return recordEvent(tx, ctx, {
    type: "SLOT_HOLD_CHANGED",
    providerId: hold.providerId,
    clientId: hold.clientId ?? undefined,
    payload: {
      holdId: hold.id,
      change,
      startsAt: hold.startsAt.toISOString(),
      endsAt: hold.endsAt.toISOString(),
      expiresAt: hold.expiresAt.toISOString(),
      groupSessionId: hold.groupSessionId,
      waitlistEntryId: hold.waitlistEntryId,
    },
  });
}

/** A waitlist entry's change: ids, window, duration and status; never its note. */
export function recordWaitlistEvent(
  tx: Tx,
  ctx: RequestContext,
  entry: WaitlistEntryRow,
  type: WaitlistEventType,
): Promise<number> {
  return recordEvent(tx, ctx, {
    type,
    providerId: entry.providerId,
    clientId: entry.clientId,
    sessionId: undefined,
    payload: {
      waitlistEntryId: entry.id,
      status: entry.status,
      earliest: entry.earliest.toISOString(),
      latest: entry.latest.toISOString(),
      durationMinutes: entry.durationMinutes,
      sessionId: entry.sessionId,
    },
  });
}

/** A group session created or cancelled: its provider's time changed (no title, description or reason). */
export function recordGroupEvent(
  tx: Tx,
  ctx: RequestContext,
  group: GroupSessionRow,
  change: "CREATED" | "CANCELLED",
): Promise<number> {
  return recordEvent(tx, ctx, {
    type: "GROUP_SESSION_CHANGED",
    providerId: group.providerId,
    payload: {
      groupSessionId: group.id,
      change,
      capacity: group.capacity,
      sessionType: group.type,
      modality: group.modality,
      startsAt: group.startsAt.toISOString(),
      endsAt: group.endsAt.toISOString(),
    },
  });
}

/**
 * A change of a user (what changed: column names, no values, no personal text). Written in the
 * change's transaction like any event; on this instance the tenant's cached callers are
 * forgotten as soon as it commits (the next request already reads the user again), on the
 * others when they read the event back.
 */
export async function recordUserEvent(tx: Tx, ctx: RequestContext, userId: number, changed: string[]): Promise<number> {
  const id = await recordEvent(tx, ctx, { type: USER_CHANGED, providerId: null, payload: { userId, changed } });
  ctx.db.afterCommit(() => ctx.deps.events.userChanged(ctx.tenant.id));
  return id;
}
