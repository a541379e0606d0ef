import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { SessionRow, SessionSeriesRow, TreatmentPlanRow, UserRow } from "../../db/schema/index.js";
import { RecordId } from "../../graphql/ids.js";
import { registerNodeType } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { limitDescription } from "../../text-limits.js";
import type { RequestContext } from "../context.js";
import { pageArgs, type SessionConnectionResult } from "../sessions/index.js";
import { Session, SessionConnection } from "../sessions/graphql.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import { findVisibleTreatmentPlan } from "../treatment-plans/index.js";
import { TreatmentPlan } from "../treatment-plans/graphql.js";
import { BookSeriesInput } from "./series.input.js";
import {
  bookSeries,
  cancelSeries,
  findVisibleSeries,
  getVisibleSeries,
  nextSessionOf,
  previewSeries,
  seriesOfPlan,
  seriesStatus,
  sessionsOfSeries,
  type OccurrencePreview as OccurrencePreviewResult,
  type SeriesBookingResult,
  type SeriesStatus as SeriesStatusValue,
} from "./series.service.js";
import { OccurrencePreview, SeriesBooking, SeriesStatus, SessionSeries } from "./series.type.js";

registerNodeType("SessionSeries", "session_series", getVisibleSeries);

const command = (input: BookSeriesInput) => ({
  ...input,
  providerId: input.providerId ?? undefined,
  clientId: input.clientId ?? undefined,
  treatmentPlanId: input.treatmentPlanId ?? undefined,
});

@Resolver(() => SessionSeries)
export class SeriesResolver {
  @Query(() => SessionSeries, { nullable: true, description: "NOT_FOUND when unknown or not the caller's" })
  series(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<SessionSeriesRow> {
    return getVisibleSeries(ctx, id);
  }

  @Query(() => [OccurrencePreview], {
    description:
      "The occurrences of a rule and whether each could be booked now, checked like bookSeries; writes nothing",
  })
  previewSeries(
    @Arg("input", () => BookSeriesInput) input: BookSeriesInput,
    @Ctx() ctx: RequestContext,
  ): Promise<OccurrencePreviewResult[]> {
    return previewSeries(ctx, command(input));
  }

  @Mutation(() => SeriesBooking, {
    description:
      "Books every occurrence in one transaction, each checked like bookSession. ALL_OR_NOTHING: nothing when one fails (the first failure's code and reason, every failure in extensions.occurrences); SKIP_CONFLICTS: the rest, failures in skipped",
  })
  bookSeries(
    @Arg("input", () => BookSeriesInput) input: BookSeriesInput,
    @Ctx() ctx: RequestContext,
  ): Promise<SeriesBookingResult> {
    return bookSeries(ctx, command(input));
  }

  @Mutation(() => SessionSeries, {
    description:
      "Cancels the SCHEDULED/CONFIRMED occurrences starting at or after `from` (default now) and ends the rule before it; earlier ones stay",
  })
  cancelSeries(
    @Arg("id", () => RecordId) id: number,
    @Ctx() ctx: RequestContext,
    @Arg("reason", () => String, { nullable: true, description: limitDescription("reason") }) reason?: string | null,
    @Arg("from", () => DateTimeScalar, { nullable: true }) from?: Date | null,
  ): Promise<SessionSeriesRow> {
    return cancelSeries(ctx, id, reason, from);
  }

  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  provider(@Root() series: SessionSeriesRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, series.providerId);
  }

  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  client(@Root() series: SessionSeriesRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, series.clientId);
  }

  @FieldResolver(() => TreatmentPlan, { nullable: true })
  treatmentPlan(@Root() series: SessionSeriesRow, @Ctx() ctx: RequestContext): Promise<TreatmentPlanRow | null> {
    return findVisibleTreatmentPlan(ctx, series.treatmentPlanId);
  }

  @FieldResolver(() => SeriesStatus, {
    description:
      "ACTIVE while an occurrence is upcoming and active, CANCELLED when all were cancelled, ENDED otherwise",
  })
  status(@Root() series: SessionSeriesRow, @Ctx() ctx: RequestContext): Promise<SeriesStatusValue> {
    return seriesStatus(ctx, series);
  }

  @FieldResolver(() => SessionConnection, { description: "Its occurrences in order, every status" })
  sessions(
    @Root() series: SessionSeriesRow,
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { nullable: true }) first?: number | null,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<SessionConnectionResult> {
    pageArgs({ first, after });
    return sessionsOfSeries(ctx, series, { first, after });
  }

  @FieldResolver(() => Session, { nullable: true, description: "The next SCHEDULED or CONFIRMED occurrence" })
  nextSession(@Root() series: SessionSeriesRow, @Ctx() ctx: RequestContext): Promise<SessionRow | null> {
    return nextSessionOf(ctx, series);
  }
}

/** Session.series: the series module's to resolve (sessions knows no series). */
@Resolver(() => Session)
export class SessionSeriesResolver {
  @FieldResolver(() => SessionSeries, { nullable: true, description: "The series this session is an occurrence of" })
  series(@Root() session: SessionRow, @Ctx() ctx: RequestContext): Promise<SessionSeriesRow | null> {
    return findVisibleSeries(ctx, session.seriesId);
  }
}

/** TreatmentPlan.series: the plan's courses (as TreatmentPlan.sessions lives with the sessions). */
@Resolver(() => TreatmentPlan)
export class TreatmentPlanSeriesResolver {
  @FieldResolver(() => [SessionSeries], { description: "The plan's courses the caller sees, by first start" })
  series(@Root() plan: TreatmentPlanRow, @Ctx() ctx: RequestContext): Promise<SessionSeriesRow[]> {
    return seriesOfPlan(ctx, plan.id);
  }
}
