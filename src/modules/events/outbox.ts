import { sql } from "drizzle-orm";
import { rowsOf, type Tx } from "../../db/client.js";
import type { SessionRow } from "../../db/schema/index.js";
import type { RequestContext } from "../context.js";

export type SessionEventType = "BOOKED" | "RESCHEDULED" | "CANCELLED" | "COMPLETED" | "NO_SHOW" | "UPDATED";

/** The channel every committed event id is announced on (the payload is the event id as text). */
export const EVENTS_CHANNEL = "sessiongraph_events";

export interface SessionEventInput {
  type: SessionEventType;
  /** The session as it is after the change. */
  session: SessionRow;
  /** The type's documented fields (booking.md: AppointmentBooked, ...Rescheduled, ...Cancelled, ...Completed). */
  payload: Record<string, unknown>;
}

/**
 * Writes one outbox row and announces it, in ONE statement, inside the caller's transaction
 * (call it in the same ctx.db.atomic as the write): a rolled-back change leaves no event, and
 * NOTIFY is only delivered on commit. Every payload names the session, its people and the
 * interval it now occupies (startsAt/endsAt); reschedules add previousStartsAt/previousEndsAt.
 */
export async function recordSessionEvent(tx: Tx, ctx: RequestContext, { type, session, payload }: SessionEventInput): Promise<number> {
  const body = {
    appointmentId: session.id,
    clientId: session.clientId,
    therapistId: session.providerId,
    ...payload,
    startsAt: session.startsAt.toISOString(),
    endsAt: session.endsAt.toISOString(),
  };
  const [row] = rowsOf<{ id: number | string }>(
    await tx.execute(sql`
      with event as (
        insert into domain_events (tenant_id, type, session_id, provider_id, client_id, payload)
        values (${ctx.tenant.id}, ${type}, ${session.id}, ${session.providerId}, ${session.clientId}, ${JSON.stringify(body)}::jsonb)
        returning id
      )
      select id, pg_notify(${EVENTS_CHANNEL}, id::text) from event`),
  );
  return Number(row.id);
}
