import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, FieldResolver, Info, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { SessionRow, TreatmentPlanRow, UserRow } from "../../db/schema/index.js";
import { registerNodeType } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { recordRead } from "../audit/index.js";
import type { RequestContext } from "../context.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import { findVisibleTreatmentPlan } from "../treatment-plans/index.js";
import { TreatmentPlan } from "../treatment-plans/graphql.js";
import { getVisibleSession, providerNotesFor } from "./session.access.js";
import { cancelInScope, rescheduleInScope, updateInScope } from "../series/index.js";
import {
  BookSessionInput,
  CompleteSessionInput,
  EditScope,
  SessionFilterInput,
  SessionOrderInput,
  UpdateSessionInput,
} from "./session.input.js";
import { sessionsOfPlan } from "./session.loaders.js";
import { plannedSessions } from "./session.planner.js";
import {
  DEFAULT_ORDER,
  pageArgs,
  sessionStats,
  type SessionConnectionResult,
  type SessionFilter,
} from "./session.query.js";
import {
  bookSession,
  cancellationOf,
  completeSession,
  confirmSession,
  deleteSession,
  markNoShow,
  reassignSession,
} from "./session.service.js";
import { sessionTiming, type Timing } from "./session.timing.js";
import { Cancellation, Session, SessionConnection, SessionStats, SessionTiming } from "./session.type.js";
import { limitDescription } from "../../text-limits.js";
import { minutesBetween } from "../../time.js";
import { preloadedOf } from "../preloaded.js";

registerNodeType("Session", "sessions", getVisibleSession);

const SCOPE =
  "For an occurrence of a series (default THIS: this one, recorded as an exception when it moves); THIS_AND_FOLLOWING / ALL: the same change to those still SCHEDULED or CONFIRMED, all or nothing. BAD_USER_INPUT on a session of no series";

/** GraphQL filter -> service filter (ids parsed, nulls dropped). */
export function toSessionFilter(input: SessionFilterInput | null | undefined): SessionFilter {
  if (!input) return {};
  return {
    providerId: input.providerId ?? undefined,
    clientId: input.clientId ?? undefined,
    treatmentPlanId: input.treatmentPlanId ?? undefined,
    status: input.status ?? undefined,
    type: input.type ?? undefined,
    modality: input.modality ?? undefined,
    from: input.from ?? undefined,
    to: input.to ?? undefined,
    search: input.search ?? undefined,
  };
}

/**
 * A session's clinical text (notes, provider notes, feedback) as a query returns it: the session
 * goes into the request's one read entry of the audit log (src/modules/audit), whatever the text
 * (null included) and at any depth. Resolved here, field by field, so that every query runs on
 * graphql-jit (src/graphql/jit-gateway.ts). A mutation's answer is not a read: its write is on record.
 */
function clinicalText(ctx: RequestContext, info: GraphQLResolveInfo, session: SessionRow, text: string | null) {
  if (info.operation.operation === "query") recordRead(ctx, "Session", session.id);
  return text;
}

@Resolver(() => Session)
export class SessionResolver {
  @Query(() => Session, {
    nullable: true,
    description: "NOT_FOUND when unknown, another tenant's or someone else's (exactly alike)",
  })
  session(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<SessionRow> {
    return getVisibleSession(ctx, id);
  }

  @Query(() => SessionConnection, {
    description: "The sessions the caller sees; `first` defaults to 20 and is clamped to 100",
  })
  sessions(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("filter", () => SessionFilterInput, { nullable: true }) filter?: SessionFilterInput | null,
    @Arg("orderBy", () => SessionOrderInput, { nullable: true }) orderBy?: SessionOrderInput | null,
    @Arg("first", () => Int, { nullable: true }) first?: number | null,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<SessionConnectionResult> {
    // One statement for the page and what its selection reads (session.planner.ts).
    return plannedSessions(ctx, toSessionFilter(filter), orderBy ?? DEFAULT_ORDER, { first, after }, info);
  }

  @Query(() => SessionStats)
  sessionStats(
    @Ctx() ctx: RequestContext,
    @Arg("from", () => DateTimeScalar, { nullable: true }) from?: Date | null,
    @Arg("to", () => DateTimeScalar, { nullable: true }) to?: Date | null,
    @Arg("clientId", () => RecordId, { nullable: true }) clientId?: number | null,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
  ) {
    return sessionStats(ctx, {
      from: from ?? undefined,
      to: to ?? undefined,
      clientId: clientId ?? undefined,
      providerId: providerId ?? undefined,
    });
  }

  @Mutation(() => Session)
  bookSession(
    @Arg("input", () => BookSessionInput) input: BookSessionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<SessionRow> {
    return bookSession(ctx, {
      ...input,
      providerId: input.providerId ?? undefined,
      clientId: input.clientId ?? undefined,
      treatmentPlanId: input.treatmentPlanId ?? undefined,
    });
  }

  @Mutation(() => Session)
  updateSession(
    @Arg("id", () => RecordId) id: number,
    @Arg("input", () => UpdateSessionInput) input: UpdateSessionInput,
    @Ctx() ctx: RequestContext,
    @Arg("scope", () => EditScope, { nullable: true, description: SCOPE }) scope?: EditScope | null,
  ): Promise<SessionRow> {
    return updateInScope(ctx, id, scope, input);
  }

  @Mutation(() => Session, {
    description: "New times are checked like a booking (past, conflicts; availability for clients)",
  })
  rescheduleSession(
    @Arg("id", () => RecordId) id: number,
    @Arg("startsAt", () => DateTimeScalar) startsAt: Date,
    @Ctx() ctx: RequestContext,
    @Arg("endsAt", () => DateTimeScalar, { nullable: true }) endsAt?: Date | null,
    @Arg("durationMinutes", () => Int, { nullable: true }) durationMinutes?: number | null,
    @Arg("reason", () => String, { nullable: true, description: limitDescription("reason") }) reason?: string | null,
    @Arg("scope", () => EditScope, { nullable: true, description: SCOPE }) scope?: EditScope | null,
  ): Promise<SessionRow> {
    return rescheduleInScope(ctx, id, scope, { startsAt, endsAt, durationMinutes }, reason);
  }

  @Mutation(() => Session)
  confirmSession(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<SessionRow> {
    return confirmSession(ctx, id);
  }

  @Mutation(() => Session)
  completeSession(
    @Arg("id", () => RecordId) id: number,
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CompleteSessionInput, { nullable: true }) input?: CompleteSessionInput | null,
  ): Promise<SessionRow> {
    return completeSession(ctx, id, input ?? {});
  }

  @Mutation(() => Session)
  markNoShow(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<SessionRow> {
    return markNoShow(ctx, id);
  }

  @Mutation(() => Session, { description: "Frees the slot; records who cancelled, when, and the notice given" })
  cancelSession(
    @Arg("id", () => RecordId) id: number,
    @Ctx() ctx: RequestContext,
    @Arg("reason", () => String, { nullable: true, description: limitDescription("reason") }) reason?: string | null,
    @Arg("scope", () => EditScope, { nullable: true, description: SCOPE }) scope?: EditScope | null,
  ): Promise<SessionRow> {
    return cancelInScope(ctx, id, scope, reason);
  }

  @Mutation(() => Boolean, {
    description:
      "Permanent; the session's provider or an ADMIN. Never a clinical record: COMPLETED, NO_SHOW or with treatment details is BAD_USER_INPUT (cancel or amend it)",
  })
  deleteSession(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<boolean> {
    return deleteSession(ctx, id);
  }

  @Mutation(() => Session, {
    description:
      "Moves an active session to another provider and/or client of the tenant: an ADMIN or the session's provider; re-checked like a booking (care, conflicts, the plan's client)",
  })
  reassignSession(
    @Arg("id", () => RecordId) id: number,
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
    @Arg("clientId", () => RecordId, { nullable: true }) clientId?: number | null,
  ): Promise<SessionRow> {
    return reassignSession(ctx, id, { providerId: providerId ?? undefined, clientId: clientId ?? undefined });
  }

  @FieldResolver(() => Int)
  durationMinutes(@Root() session: SessionRow): number {
    return minutesBetween(session.startsAt, session.endsAt);
  }

  // notes and clientFeedback are declared on Session (session.type.ts): resolved here for the audit.
  @FieldResolver()
  notes(@Root() session: SessionRow, @Ctx() ctx: RequestContext, @Info() info: GraphQLResolveInfo): string | null {
    return clinicalText(ctx, info, session, session.notes);
  }

  @FieldResolver(() => String, { nullable: true, description: "Private to the provider side: null for CLIENT viewers" })
  providerNotes(
    @Root() session: SessionRow,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): string | null {
    return clinicalText(ctx, info, session, providerNotesFor(ctx, session));
  }

  @FieldResolver()
  clientFeedback(
    @Root() session: SessionRow,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ): string | null {
    return clinicalText(ctx, info, session, session.clientFeedback);
  }

  // provider and client go through the same loader, so a page's users cost one statement.
  // Nullable: a client is never shown an inactive or deleted provider (user.visibility.ts).
  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  // A planned page (session.planner.ts) preloads them: answered at once, without a promise.
  provider(@Root() session: SessionRow, @Ctx() ctx: RequestContext): UserRow | null | Promise<UserRow | null> {
    const preloaded = preloadedOf<UserRow>(session, "provider");
    return preloaded !== undefined ? preloaded : findVisibleUser(ctx, session.providerId);
  }

  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  client(@Root() session: SessionRow, @Ctx() ctx: RequestContext): UserRow | null | Promise<UserRow | null> {
    const preloaded = preloadedOf<UserRow>(session, "client");
    return preloaded !== undefined ? preloaded : findVisibleUser(ctx, session.clientId);
  }

  @FieldResolver(() => TreatmentPlan, {
    nullable: true,
    description: "null when none, or when the caller may not see the plan",
  })
  treatmentPlan(
    @Root() session: SessionRow,
    @Ctx() ctx: RequestContext,
  ): TreatmentPlanRow | null | Promise<TreatmentPlanRow | null> {
    const preloaded = preloadedOf<TreatmentPlanRow>(session, "treatmentPlan");
    return preloaded !== undefined ? preloaded : findVisibleTreatmentPlan(ctx, session.treatmentPlanId);
  }

  @FieldResolver(() => SessionTiming)
  timing(@Root() session: SessionRow, @Ctx() ctx: RequestContext): Timing {
    return sessionTiming(session, ctx.deps.now());
  }

  @FieldResolver(() => Cancellation, { nullable: true, description: "Set when the session is cancelled" })
  cancellation(@Root() session: SessionRow): ReturnType<typeof cancellationOf> {
    return cancellationOf(session);
  }
}

@Resolver(() => Cancellation)
export class CancellationResolver {
  @FieldResolver(() => User, { nullable: true })
  async cancelledBy(@Root() cancellation: Cancellation, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, cancellation.cancelledById);
  }
}

/** TreatmentPlan.sessions: the plan's sessions are this module's to page (its treatment-plans neighbour knows no sessions). */
@Resolver(() => TreatmentPlan)
export class TreatmentPlanSessionsResolver {
  @FieldResolver(() => SessionConnection, { description: "The plan's sessions the caller sees, by start" })
  sessions(
    @Root() plan: TreatmentPlanRow,
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { nullable: true }) first?: number | null,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<SessionConnectionResult> {
    // Checked here (BAD_USER_INPUT on this field), loaded in one batch with the other plans' pages.
    pageArgs({ first, after });
    return ctx.loaders.get(sessionsOfPlan).load({ planId: plan.id, first, after });
  }
}
