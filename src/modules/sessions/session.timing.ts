import type { SessionRow } from "../../db/schema/index.js";
import { MINUTE } from "../../time.js";
import { isActive } from "../../rules/session-states.js";

/** Joining a video session opens this long before its start and closes at its end. */
export const JOIN_WINDOW_OPENS_MINUTES = 10;

export interface Timing {
  phase: "UPCOMING" | "IN_PROGRESS" | "ENDED";
  timeUntilStartSeconds: number | null;
  timeRemainingSeconds: number | null;
  canJoin: boolean;
  /** When joining opens (start - 10 min). */
  joinOpensAt: Date;
}

/** The one place that decides a session's phase and join window (GraphQL timing, video tokens, the schedule shim). */
export function sessionTiming(
  session: Pick<SessionRow, "startsAt" | "endsAt" | "status" | "modality">,
  now: Date,
): Timing {
  const t = now.getTime();
  const start = session.startsAt.getTime();
  const end = session.endsAt.getTime();
  const phase = t < start ? "UPCOMING" : t < end ? "IN_PROGRESS" : "ENDED";
  const joinOpensAt = new Date(start - JOIN_WINDOW_OPENS_MINUTES * MINUTE);
  return {
    phase,
    timeUntilStartSeconds: phase === "UPCOMING" ? Math.floor((start - t) / 1000) : null,
    timeRemainingSeconds: phase === "IN_PROGRESS" ? Math.floor((end - t) / 1000) : null,
    canJoin: session.modality === "VIDEO" && isActive(session) && t >= joinOpensAt.getTime() && t < end,
    joinOpensAt,
  };
}
