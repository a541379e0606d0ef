import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { GroupSessionRow, SessionRow, UserRow } from "../../db/schema/index.js";
import { RecordId } from "../../graphql/ids.js";
import { registerNodeType } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { limitDescription } from "../../text-limits.js";
import type { RequestContext } from "../context.js";
import { Session, SessionStatus } from "../sessions/graphql.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import { CreateGroupSessionInput } from "./groups.input.js";
import {
  attendeesOf,
  cancelGroupSession,
  createGroupSession,
  findVisibleGroup,
  getVisibleGroup,
  groupStatus,
  joinGroupSession,
  leaveGroupSession,
  listGroupSessions,
  MAX_GROUP_RANGE_DAYS,
  seatsLeft,
  seatsTaken,
} from "./groups.service.js";
import { GroupSession } from "./groups.type.js";

registerNodeType("GroupSession", "group_sessions", getVisibleGroup);

@Resolver(() => GroupSession)
export class GroupSessionResolver {
  @Query(() => [GroupSession], {
    description: `The group sessions overlapping [from, to) (at most ${MAX_GROUP_RANGE_DAYS} days) that the caller sees, by start: of providerId (a PROVIDER's own by default), else of every provider the caller sees`,
  })
  groupSessions(
    @Ctx() ctx: RequestContext,
    @Arg("from", () => DateTimeScalar) from: Date,
    @Arg("to", () => DateTimeScalar) to: Date,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
  ): Promise<GroupSessionRow[]> {
    return listGroupSessions(ctx, providerId, from, to);
  }

  @Query(() => GroupSession, { nullable: true, description: "NOT_FOUND when unknown or not visible to the caller" })
  groupSession(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<GroupSessionRow> {
    return getVisibleGroup(ctx, id);
  }

  @Mutation(() => GroupSession, {
    description:
      "A PROVIDER's own (or an ADMIN's for any provider); occupies the provider's time like a session (CONFLICT SESSION_OVERLAP / SLOT_HELD)",
  })
  createGroupSession(
    @Arg("input", () => CreateGroupSessionInput) input: CreateGroupSessionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<GroupSessionRow> {
    return createGroupSession(ctx, input);
  }

  @Mutation(() => Session, {
    description:
      "The attendee's seat, an ordinary session; CONFLICT SESSION_FULL when none is left, GROUP_CLOSED when cancelled or started, ALREADY_JOINED",
  })
  joinGroupSession(
    @Arg("id", () => RecordId) id: number,
    @Ctx() ctx: RequestContext,
    @Arg("clientId", () => RecordId, { nullable: true, description: "Defaults to the caller when a CLIENT" })
    clientId?: number | null,
  ): Promise<SessionRow> {
    return joinGroupSession(ctx, id, clientId);
  }

  @Mutation(() => GroupSession, { description: "Cancels the client's seat (the reason stays on it) and frees it" })
  leaveGroupSession(
    @Arg("id", () => RecordId) id: number,
    @Ctx() ctx: RequestContext,
    @Arg("clientId", () => RecordId, { nullable: true, description: "Defaults to the caller when a CLIENT" })
    clientId?: number | null,
    @Arg("reason", () => String, { nullable: true, description: limitDescription("reason") }) reason?: string | null,
  ): Promise<GroupSessionRow> {
    return leaveGroupSession(ctx, id, clientId, reason);
  }

  @Mutation(() => GroupSession, { description: "Cancels the group and every seat with the one reason" })
  cancelGroupSession(
    @Arg("id", () => RecordId) id: number,
    @Ctx() ctx: RequestContext,
    @Arg("reason", () => String, { nullable: true, description: limitDescription("reason") }) reason?: string | null,
  ): Promise<GroupSessionRow> {
    return cancelGroupSession(ctx, id, reason);
  }

  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  provider(@Root() group: GroupSessionRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, group.providerId);
  }

  @FieldResolver(() => Int, { description: "Seats taken: the group's sessions that are not cancelled" })
  seatsTaken(@Root() group: GroupSessionRow, @Ctx() ctx: RequestContext): Promise<number> {
    return seatsTaken(ctx, group);
  }

  @FieldResolver(() => Int, { description: "Seats one may still take (live holds keep theirs); 0 once cancelled" })
  seatsLeft(@Root() group: GroupSessionRow, @Ctx() ctx: RequestContext): Promise<number> {
    return seatsLeft(ctx, group);
  }

  @FieldResolver(() => SessionStatus, {
    description:
      "CANCELLED when the group is; else COMPLETED / NO_SHOW once every seat is over, CONFIRMED when every active seat is, SCHEDULED otherwise",
  })
  status(@Root() group: GroupSessionRow, @Ctx() ctx: RequestContext): Promise<SessionStatus> {
    return groupStatus(ctx, group);
  }

  @FieldResolver(() => [Session], { description: "The seats taken; a CLIENT sees only their own" })
  attendees(@Root() group: GroupSessionRow, @Ctx() ctx: RequestContext): Promise<SessionRow[]> {
    return attendeesOf(ctx, group);
  }
}

/** Session.groupSession: the groups module's to resolve (sessions knows no groups). */
@Resolver(() => Session)
export class SessionGroupResolver {
  @FieldResolver(() => GroupSession, { nullable: true, description: "The group session this session is a seat of" })
  groupSession(@Root() session: SessionRow, @Ctx() ctx: RequestContext): Promise<GroupSessionRow | null> {
    return findVisibleGroup(ctx, session.groupSessionId);
  }
}
