import { pgErrorOf } from "../db/client.js";
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
