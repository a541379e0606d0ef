import { Field, Int, ObjectType } from "type-graphql";
import { Node } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { Modality, SessionType } from "../sessions/graphql.js";

/**
 * A class or group therapy: one provider's time with a fixed number of seats. Each seat is an
 * ordinary Session of its client. provider, seatsTaken, seatsLeft, status and attendees are
 * field resolvers.
 */
@ObjectType("GroupSession", { implements: Node })
export class GroupSession extends Node {
  @Field(() => String, { nullable: true }) title!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => SessionType) type!: SessionType;
  @Field(() => Modality) modality!: Modality;
  @Field(() => String, { nullable: true }) location!: string | null;
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar) endsAt!: Date;
  @Field(() => Int) capacity!: number;
}
