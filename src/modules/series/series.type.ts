import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { Node } from "../../graphql/node.js";
import { DateTimeScalar, TimeZoneScalar } from "../../graphql/scalars.js";
import { Session } from "../sessions/graphql.js";

export enum SeriesConflictPolicy {
  ALL_OR_NOTHING = "ALL_OR_NOTHING",
  SKIP_CONFLICTS = "SKIP_CONFLICTS",
}
export enum SeriesStatus {
  ACTIVE = "ACTIVE",
  ENDED = "ENDED",
  CANCELLED = "CANCELLED",
}
registerEnumType(SeriesConflictPolicy, { name: "SeriesConflictPolicy" });
registerEnumType(SeriesStatus, { name: "SeriesStatus" });

/** A course: an RFC 5545 rule whose occurrences are ordinary sessions. provider, client, plan, status and lists are field resolvers. */
@ObjectType("SessionSeries", { implements: Node })
export class SessionSeries extends Node {
  @Field(() => String, { description: 'RFC 5545 RRULE value, e.g. "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=12"' })
  recurrence!: string;
  @Field(() => TimeZoneScalar, { description: "Occurrences keep their wall-clock time in this zone across DST" })
  timeZone!: string;
  @Field(() => DateTimeScalar, { description: "The first occurrence (DTSTART)" }) startsAt!: Date;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => [DateTimeScalar], {
    description: "Original starts of occurrences taken out of the series (EXDATE)",
  })
  exceptions!: Date[];
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType("SkippedOccurrence")
export class SkippedOccurrence {
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => String) reason!: string;
  @Field(() => String) message!: string;
  @Field(() => RecordId, { nullable: true, description: "Only when the caller may see that session" })
  conflictingSessionId!: number | null;
}

@ObjectType("SeriesBooking")
export class SeriesBooking {
  @Field(() => SessionSeries) series!: SessionSeries;
  @Field(() => [Session]) sessions!: Session[];
  @Field(() => [SkippedOccurrence]) skipped!: SkippedOccurrence[];
}

@ObjectType("OccurrencePreview")
export class OccurrencePreview {
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar) endsAt!: Date;
  @Field(() => Boolean) bookable!: boolean;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => RecordId, { nullable: true, description: "Only when the caller may see that session" })
  conflictingSessionId!: number | null;
}
