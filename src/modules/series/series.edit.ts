import { and, asc, eq, gte } from "drizzle-orm";
import { sessions, sessionSeries, type SessionRow, type SessionSeriesRow } from "../../db/schema/index.js";
import { badInput, field, words } from "../../errors.js";
import { isActive, isActiveSql } from "../../rules/session-states.js";
import { DAY, localDateTime, resolveWallTime, wallClockMs } from "../../time.js";
import type { RequestContext } from "../context.js";
import {
  cancelSession,
  getVisibleSession,
  rescheduleSession,
  resolveTimes,
  updateSession,
  type NewTimes,
  type UpdateSessionCommand,
} from "../sessions/index.js";
import { endRuleBefore, expandRecurrence, parseRecurrence, shiftRule } from "./recurrence.js";
import { seriesById } from "./series.loaders.js";
import { cancelSeries, getVisibleSeries } from "./series.service.js";

export type EditScope = "THIS" | "THIS_AND_FOLLOWING" | "ALL";

/**
 * The session and its series for an edit with a scope. No scope on a session of no series: the
 * plain edit (undefined); a scope given for one: BAD_USER_INPUT.
 */
async function occurrence(
  ctx: RequestContext,
  id: number,
  scope: EditScope | null | undefined,
): Promise<{ session: SessionRow; series: SessionSeriesRow } | undefined> {
  const session = await getVisibleSession(ctx, id);
  if (session.seriesId === null) {
    if (scope != null)
      throw badInput("scope", words`${field("scope")} applies only to a session of a series; this one is of none`);
    return undefined;
  }
  return { session, series: await getVisibleSeries(ctx, session.seriesId) };
}

/** The active occurrences an edit of `session` reaches with `scope`, by start (history never changes). */
async function reached(ctx: RequestContext, session: SessionRow, scope: EditScope): Promise<SessionRow[]> {
  if (scope === "THIS") return [session];
  return ctx.db.run((tx) =>
    tx
      .select()
      .from(sessions)
      .where(
        and(
          eq(sessions.seriesId, session.seriesId!),
          isActiveSql(),
          scope === "THIS_AND_FOLLOWING" ? gte(sessions.startsAt, session.startsAt) : undefined,
        ),
      )
      .orderBy(asc(sessions.startsAt), asc(sessions.id)),
  );
}

/** Where the rule put an occurrence (its original start), or undefined when the rule no longer has it. */
function ruleStart(series: SessionSeriesRow, index: number | null): Date | undefined {
  if (index === null) return undefined;
  try {
    return expandRecurrence(parseRecurrence(series.recurrence), series.startsAt, series.timeZone)[index - 1];
  } catch {
    return undefined;
  }
}

/** THIS on an occurrence that moves: its original start becomes an exception (once); it keeps its series and index. */
async function detach(ctx: RequestContext, series: SessionSeriesRow, session: SessionRow): Promise<void> {
  const original = ruleStart(series, session.occurrenceIndex);
  if (!original || series.exceptions.some((e) => e.getTime() === original.getTime())) return;
  const [updated] = await ctx.db.run((tx) =>
    tx
      .update(sessionSeries)
      .set({ exceptions: [...series.exceptions, original], updatedAt: ctx.deps.now() })
      .where(eq(sessionSeries.id, series.id))
      .returning(),
  );
  ctx.loaders.get(seriesById).clear(series.id).prime(series.id, updated);
}

/**
 * rescheduleSession with a scope. THIS (the default) moves the one occurrence and records its
 * original start as an exception. THIS_AND_FOLLOWING and ALL move every active occurrence
 * reached by the same wall-clock shift in the series' zone (Tuesday 15:00 to Wednesday 16:00
 * stays Wednesday 16:00 across DST), each through rescheduleSession (the booking's checks),
 * all in one savepoint: all or nothing. THIS_AND_FOLLOWING splits the series: the original's
 * rule ends before the edited occurrence, a new series (the shifted rule) carries the rest.
 * ALL shifts the series' own rule and first start.
 */
export async function rescheduleInScope(
  ctx: RequestContext,
  id: number,
  scope: EditScope | null | undefined,
  times: NewTimes,
  reason?: string | null,
): Promise<SessionRow> {
  const found = await occurrence(ctx, id, scope);
  if (!found || (scope ?? "THIS") === "THIS" || !isActive(found.session)) {
    const moved = await rescheduleSession(ctx, id, times, reason);
    if (found) await detach(ctx, found.series, found.session);
    return moved;
  }
  const { session, series } = found;
  const zone = series.timeZone;
  const target = resolveTimes(ctx, times, session.endsAt.getTime() - session.startsAt.getTime());
  const shift = wallClockMs(target.startsAt, zone) - wallClockMs(session.startsAt, zone);
  const length = target.endsAt.getTime() - target.startsAt.getTime();
  const moveOf = (start: Date) => new Date(resolveWallTime(wallClockMs(start, zone) + shift, zone).instant);
  const days = Math.round(
    (Date.parse(localDateTime(target.startsAt, zone).date) - Date.parse(localDateTime(session.startsAt, zone).date)) /
      DAY,
  );
  const rule = shiftRule(series.recurrence, days);
  const targets = await reached(ctx, session, scope!);
  // Moving later: the last first; earlier: the first first. No occurrence lands on one not yet moved.
  const order = shift > 0 ? [...targets].reverse() : targets;
  return ctx.db.atomic(async () => {
    const moved = new Map<number, SessionRow>();
    for (const o of order) {
      const startsAt = moveOf(o.startsAt);
      moved.set(
        o.id,
        await rescheduleSession(ctx, o.id, { startsAt, endsAt: new Date(startsAt.getTime() + length) }, reason),
      );
    }
    const now = ctx.deps.now();
    if (scope === "ALL") {
      const [updated] = await ctx.db.run((tx) =>
        tx
          .update(sessionSeries)
          .set({
            recurrence: rule,
            startsAt: moveOf(series.startsAt),
            exceptions: series.exceptions.map(moveOf),
            durationMinutes: Math.round(length / 60_000),
            updatedAt: now,
          })
          .where(eq(sessionSeries.id, series.id))
          .returning(),
      );
      ctx.loaders.get(seriesById).clear(series.id).prime(series.id, updated);
    } else {
      const original = ruleStart(series, session.occurrenceIndex) ?? session.startsAt;
      const firstIndex = session.occurrenceIndex ?? 1;
      await ctx.db.run(async (tx) => {
        const [rest] = await tx
          .insert(sessionSeries)
          .values({
            tenantId: ctx.tenant.id,
            providerId: series.providerId,
            clientId: series.clientId,
            treatmentPlanId: series.treatmentPlanId,
            recurrence: remainingRule(rule, firstIndex),
            timeZone: zone,
            startsAt: moveOf(original),
            durationMinutes: Math.round(length / 60_000),
            exceptions: series.exceptions.filter((e) => e.getTime() >= original.getTime()).map(moveOf),
            createdBy: ctx.viewer.id,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        const [ended] = await tx
          .update(sessionSeries)
          .set({
            recurrence: endRuleBefore(series.recurrence, original),
            exceptions: series.exceptions.filter((e) => e.getTime() < original.getTime()),
            updatedAt: now,
          })
          .where(eq(sessionSeries.id, series.id))
          .returning();
        ctx.loaders.get(seriesById).clear(series.id).prime(series.id, ended).prime(rest.id, rest);
        for (const o of targets) {
          const [row] = await tx
            .update(sessions)
            .set({ seriesId: rest.id, occurrenceIndex: (o.occurrenceIndex ?? firstIndex) - firstIndex + 1 })
            .where(eq(sessions.id, o.id))
            .returning();
          moved.set(o.id, row);
        }
      });
    }
    return moved.get(session.id)!;
  });
}

/** A rule's rest from its `from`-th occurrence on: COUNT reduced by those before (UNTIL stays). */
function remainingRule(rule: string, from: number): string {
  return rule.replace(/COUNT=(\d+)/, (_m, n: string) => `COUNT=${Math.max(1, Number(n) - from + 1)}`);
}

/**
 * cancelSession with a scope. THIS (the default) cancels the one occurrence; THIS_AND_FOLLOWING
 * is cancelSeries from this occurrence's start; ALL from the first active occurrence's (the
 * rule then ends where the cancelled ones begin, history stays).
 */
export async function cancelInScope(
  ctx: RequestContext,
  id: number,
  scope: EditScope | null | undefined,
  reason?: string | null,
): Promise<SessionRow> {
  const found = await occurrence(ctx, id, scope);
  if (!found || (scope ?? "THIS") === "THIS" || !isActive(found.session)) return cancelSession(ctx, id, reason);
  const [first] = await reached(ctx, found.session, scope!);
  await cancelSeries(ctx, found.series.id, reason, first.startsAt);
  return getVisibleSession(ctx, id);
}

/**
 * updateSession with a scope. THIS (the default) changes the one occurrence (new times detach
 * it, as a reschedule). THIS_AND_FOLLOWING and ALL apply the same change to every active
 * occurrence reached, each through updateSession (its rules), all in one savepoint; new times
 * are the reschedule of that scope.
 */
export async function updateInScope(
  ctx: RequestContext,
  id: number,
  scope: EditScope | null | undefined,
  input: UpdateSessionCommand,
): Promise<SessionRow> {
  const found = await occurrence(ctx, id, scope);
  const moves = input.startsAt != null || input.endsAt != null || input.durationMinutes != null;
  if (!found || (scope ?? "THIS") === "THIS" || !isActive(found.session)) {
    const updated = await updateSession(ctx, id, input);
    if (found && moves && updated.startsAt.getTime() !== found.session.startsAt.getTime())
      await detach(ctx, found.series, found.session);
    return updated;
  }
  return ctx.db.atomic(async () => {
    const { startsAt, endsAt, durationMinutes, ...rest } = input;
    if (moves)
      await rescheduleInScope(ctx, id, scope, {
        startsAt: startsAt ?? found.session.startsAt,
        endsAt,
        durationMinutes,
      });
    if (Object.values(rest).some((v) => v !== undefined)) {
      const session = await getVisibleSession(ctx, id);
      for (const o of await reached(ctx, session, scope!)) await updateSession(ctx, o.id, rest);
    }
    return getVisibleSession(ctx, id);
  });
}
