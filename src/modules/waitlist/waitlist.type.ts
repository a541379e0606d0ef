import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { Node } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { limitDescription } from "../../text-limits.js";

export enum WaitlistStatus {
  WAITING = "WAITING",
  OFFERED = "OFFERED",
  BOOKED = "BOOKED",
  EXPIRED = "EXPIRED",
  CANCELLED = "CANCELLED",
}
registerEnumType(WaitlistStatus, { name: "WaitlistStatus" });

/**
 * A client waiting for any start in [earliest, latest] with a provider. client, provider,
 * position, offer and session are field resolvers.
 */
@ObjectType("WaitlistEntry", { implements: Node })
export class WaitlistEntry extends Node {
  @Field(() => DateTimeScalar, { description: "A session may start anywhere in [earliest, latest]" }) earliest!: Date;
  @Field(() => DateTimeScalar) latest!: Date;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => WaitlistStatus) status!: WaitlistStatus;
  @Field(() => String, {
    nullable: true,
    description: limitDescription("note", "Seen by the client, the provider and administrators"),
  })
  note!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType("WaitlistSettings", { description: "Per tenant" })
export class WaitlistSettings {
  @Field(() => Int, { description: "How long a waitlist offer's hold lasts, in minutes (5..1440, default 15)" })
  offerMinutes!: number;
}
