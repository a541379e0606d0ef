import DataLoader from "dataloader";
import { and, asc, count, ne } from "drizzle-orm";
import { anyId } from "../../db/any-id.js";
import {
  groupSessions,
  sessions,
  slotHolds,
  type GroupSessionRow,
  type SessionRow,
  type SessionStatus,
} from "../../db/schema/index.js";
import { visibleSessionsWhere } from "../../rules/session-visibility.js";
import { byKey, groupByKey, type LoaderFactory } from "../context.js";
import { isLiveHoldSql } from "../holds/index.js";

/** Group sessions by id, a batch in one statement. */
export const groupById: LoaderFactory<number, GroupSessionRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => tx.select().from(groupSessions).where(anyId(groupSessions.id, ids))),
        (g) => g.id,
      ),
    { cache },
  );

/** What a group's seats are: how many seats of each status, and the live holds keeping a seat. */
export interface SeatCounts {
  byStatus: Partial<Record<SessionStatus, number>>;
  liveHolds: number;
}

/** Seat counts of a batch of groups, whoever asks (seatsTaken/seatsLeft are shown to all who see the group): two statements. */
export const seatCountsByGroup: LoaderFactory<number, SeatCounts> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) => {
      const [seats, holds] = await ctx.db.run(
        async (tx) =>
          [
            await tx
              .select({ groupId: sessions.groupSessionId, status: sessions.status, n: count() })
              .from(sessions)
              .where(anyId(sessions.groupSessionId, ids))
              .groupBy(sessions.groupSessionId, sessions.status),
            await tx
              .select({ groupId: slotHolds.groupSessionId, n: count() })
              .from(slotHolds)
              .where(and(anyId(slotHolds.groupSessionId, ids), isLiveHoldSql()))
              .groupBy(slotHolds.groupSessionId),
          ] as const,
      );
      const counts = new Map(ids.map((id): [number, SeatCounts] => [id, { byStatus: {}, liveHolds: 0 }]));
      for (const row of seats) counts.get(row.groupId!)!.byStatus[row.status] = Number(row.n);
      for (const row of holds) counts.get(row.groupId!)!.liveHolds = Number(row.n);
      return ids.map((id) => counts.get(id)!);
    },
    { cache },
  );

/** The seats taken (not cancelled) of a batch of groups that the caller may see (a CLIENT: their own), by id. */
export const visibleSeatsByGroup: LoaderFactory<number, SessionRow[]> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      groupByKey(
        ids,
        await ctx.db.run((tx) =>
          tx
            .select()
            .from(sessions)
            .where(
              and(
                anyId(sessions.groupSessionId, ids),
                ne(sessions.status, "CANCELLED"),
                visibleSessionsWhere(ctx.viewer),
              ),
            )
            .orderBy(asc(sessions.id)),
        ),
        (s) => s.groupSessionId!,
      ),
    { cache },
  );
