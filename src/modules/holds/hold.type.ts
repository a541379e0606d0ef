import { Field, ObjectType } from "type-graphql";
import { Node } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/**
 * A slot kept for one party for a few minutes (a checkout, a waitlist offer). provider, client
 * and waitlistEntry are field resolvers (the waitlist module resolves waitlistEntry).
 */
@ObjectType("SlotHold", { implements: Node })
export class SlotHold extends Node {
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar) endsAt!: Date;
  @Field(() => DateTimeScalar, { description: "Once past, the hold blocks nothing" }) expiresAt!: Date;
}
