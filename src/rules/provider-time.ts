import { sql } from "drizzle-orm";
import { anyId } from "../db/any-id.js";
import { pgErrorOf, rowsOf, type Tx } from "../db/client.js";
import { groupSessions, slotHolds } from "../db/schema/index.js";
import { conflict, DomainError, noun, words } from "../errors.js";

/**
 * What the database answers when a write meets a hold, a group session or a full group
 * (drizzle/0011_provider_time_seats_refills.sql): each refusal is a SQLSTATE and a constraint
 * name, mapped here once to the CONFLICT every transport answers. Never the message.
 */
export const HELD_CONSTRAINT = "slot_holds_provider_no_overlap";
export const GROUP_TIME_CONSTRAINT = "group_sessions_provider_no_overlap";
export const SEATS_CONSTRAINT = "group_sessions_seats";
export const GROUP_OPEN_CONSTRAINT = "group_sessions_open";
export const SEAT_MATCHES_GROUP_CONSTRAINT = "sessions_seat_matches_group";
export const GROUP_CLIENT_CONSTRAINT = "sessions_group_client_key";

export const SLOT_HELD = words`That time is being held for someone else`;
export const GROUP_TIME_TAKEN = words`Scheduling conflict detected with a group ${noun("session")} of the ${noun("provider")}`;
export const SESSION_FULL = words`Every seat of the group ${noun("session")} is taken`;
export const GROUP_CLOSED = words`The group ${noun("session")} is cancelled`;
export const ALREADY_JOINED = words`The ${noun("client")} already has a seat in this group ${noun("session")}`;
export const SEAT_MOVES_WITH_GROUP = words`A seat of a group ${noun("session")} keeps its group's ${noun("provider")} and time`;

/** A hold is live while its expiry is ahead of the database's clock: the rule the triggers apply, as a condition. */
export const isLiveHoldSql = () => sql`${slotHolds.expiresAt} > clock_timestamp()`;

/** A write refused by a hold, a group's time or seats, as its CONFLICT; undefined for any other failure. */
export function providerTimeConflict(err: unknown): DomainError | undefined {
  const pg = pgErrorOf(err);
  if (!pg) return undefined;
  if (pg.code === "23P01" && pg.constraint === HELD_CONSTRAINT) return conflict("SLOT_HELD", SLOT_HELD);
  if (pg.code === "23P01" && pg.constraint === GROUP_TIME_CONSTRAINT)
    return conflict("SESSION_OVERLAP", GROUP_TIME_TAKEN);
  if (pg.code === "23514" && pg.constraint === SEATS_CONSTRAINT) return conflict("SESSION_FULL", SESSION_FULL);
  if (pg.code === "23514" && pg.constraint === GROUP_OPEN_CONSTRAINT) return conflict("GROUP_CLOSED", GROUP_CLOSED);
  if (pg.code === "23514" && pg.constraint === SEAT_MATCHES_GROUP_CONSTRAINT)
    return new DomainError("INVALID_TRANSITION", SEAT_MOVES_WITH_GROUP);
  if (pg.code === "23505" && pg.constraint === GROUP_CLIENT_CONSTRAINT)
    return conflict("ALREADY_JOINED", ALREADY_JOINED);
  return undefined;
}

/** A stretch of a provider's time a write wants. */
export interface ProviderSlot {
  providerId: number;
  startsAt: Date;
  endsAt: Date;
}

/**
 * The friendly form of provider_time_is_free(), for many slots in one statement: each slot's
 * refusal by a live hold (SLOT_HELD) or an active group session (SESSION_OVERLAP), undefined
 * when neither takes it. `excludeHoldId` is the hold the write goes through (it does not block
 * its own booking). Races are still the trigger's to decide; this only answers early and alike.
 */
export async function heldTimeConflicts(
  tx: Tx,
  slots: readonly ProviderSlot[],
  excludeHoldId?: number,
): Promise<(DomainError | undefined)[]> {
  if (!slots.length) return [];
  const providerIds = [...new Set(slots.map((s) => s.providerId))];
  const ranges = slots.map((s) => `[${s.startsAt.toISOString()},${s.endsAt.toISOString()})`);
  const taken = rowsOf<{
    kind: "hold" | "group";
    provider_id: number;
    starts_at: string | Date;
    ends_at: string | Date;
  }>(
    await tx.execute(sql`
      select 'hold' as kind, provider_id, starts_at, ends_at from ${slotHolds}
       where ${anyId(slotHolds.providerId, providerIds)} and group_session_id is null and ${isLiveHoldSql()}
         and tstzrange(starts_at, ends_at, '[)') && any(${sql.param(ranges)}::text[]::tstzrange[])
         ${excludeHoldId !== undefined ? sql`and id <> ${excludeHoldId}` : sql``}
      union all
      select 'group', provider_id, starts_at, ends_at from ${groupSessions}
       where ${anyId(groupSessions.providerId, providerIds)} and cancelled_at is null
         and tstzrange(starts_at, ends_at, '[)') && any(${sql.param(ranges)}::text[]::tstzrange[])
       order by 1 desc`),
  );
  return slots.map((slot) => {
    const hit = taken.find(
      (t) =>
        Number(t.provider_id) === slot.providerId &&
        new Date(t.starts_at).getTime() < slot.endsAt.getTime() &&
        new Date(t.ends_at).getTime() > slot.startsAt.getTime(),
    );
    if (!hit) return undefined;
    return hit.kind === "hold" ? conflict("SLOT_HELD", SLOT_HELD) : conflict("SESSION_OVERLAP", GROUP_TIME_TAKEN);
  });
}
