import { Field, Float, Int, ObjectType, registerEnumType } from "type-graphql";
import { modalityEnum, sessionStatusEnum, sessionTypeEnum } from "../../db/schema/index.js";
import { databaseEnum } from "../../graphql/enums.js";
import { Node } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

// The database enums are the source (src/db/schema/sessions.ts): GraphQL's are registered from them.
export const SessionStatus = databaseEnum("SessionStatus", sessionStatusEnum.enumValues);
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];
export const SessionType = databaseEnum("SessionType", sessionTypeEnum.enumValues);
export type SessionType = (typeof SessionType)[keyof typeof SessionType];
export const Modality = databaseEnum("Modality", modalityEnum.enumValues);
export type Modality = (typeof Modality)[keyof typeof Modality];

export enum SessionPhase {
  UPCOMING = "UPCOMING",
  IN_PROGRESS = "IN_PROGRESS",
  ENDED = "ENDED",
}
registerEnumType(SessionPhase, { name: "SessionPhase" });

@ObjectType("SessionTiming")
export class SessionTiming {
  @Field(() => SessionPhase) phase!: SessionPhase;
  @Field(() => Int, { nullable: true }) timeUntilStartSeconds!: number | null;
  @Field(() => Int, { nullable: true }) timeRemainingSeconds!: number | null;
  @Field(() => Boolean, { description: "From 10 minutes before start until the end, for active VIDEO sessions" })
  canJoin!: boolean;
}

/**
 * Every legacy session, meeting, appointment and treatment. Fields that need more than the row
 * (provider, client, treatmentPlan, treatmentDetails, timing, cancellation) are field resolvers.
 */
@ObjectType("Session", { implements: Node })
export class Session extends Node {
  @Field(() => String, { nullable: true }) title!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => SessionType) type!: SessionType;
  @Field(() => Modality) modality!: Modality;
  @Field(() => String, { nullable: true }) location!: string | null;
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar) endsAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) actualStart!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) actualEnd!: Date | null;
  @Field(() => SessionStatus) status!: SessionStatus;
  @Field(() => String, { nullable: true }) notes!: string | null;
  @Field(() => String, { nullable: true }) clientFeedback!: string | null;
  @Field(() => String, { nullable: true }) exercisesPerformed!: string | null;
  @Field(() => String, { nullable: true }) googleEventId!: string | null;
  @Field(() => String, { nullable: true }) outlookEventId!: string | null;
  @Field(() => Int, { nullable: true, description: "1-based position in its series; null outside a series" })
  occurrenceIndex!: number | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType("Cancellation")
export class Cancellation {
  @Field(() => DateTimeScalar) cancelledAt!: Date;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => Float, { description: "Hours between the cancellation and the original start (negative when after it)" })
  noticeHours!: number;
  /** The cancelling user's id; resolved to a User by the field resolver. */
  cancelledById!: number | null;
}

@ObjectType("PageInfo")
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean, { description: "True when the page was asked for with `after`" }) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType("SessionEdge")
export class SessionEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Session) node!: Session;
}

@ObjectType("SessionConnection")
export class SessionConnection {
  @Field(() => [SessionEdge]) edges!: SessionEdge[];
  @Field(() => [Session]) nodes!: Session[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { description: "All sessions matching the filter, on every page" }) totalCount!: number;
}

@ObjectType("StatusCount")
export class StatusCount {
  @Field(() => SessionStatus) status!: SessionStatus;
  @Field(() => Int) count!: number;
}

@ObjectType("TypeCount")
export class TypeCount {
  @Field(() => SessionType) type!: SessionType;
  @Field(() => Int) count!: number;
}

@ObjectType("SessionStats")
export class SessionStats {
  @Field(() => Int) total!: number;
  @Field(() => [StatusCount], { description: "Every status, zero counts included" }) byStatus!: StatusCount[];
  @Field(() => [TypeCount], { description: "Every type, zero counts included" }) byType!: TypeCount[];
  @Field(() => Int, { description: "Scheduled or confirmed sessions that have not started yet" }) upcoming!: number;
}
