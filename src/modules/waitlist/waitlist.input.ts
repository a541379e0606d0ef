import { Field, InputType, Int } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { limitDescription } from "../../text-limits.js";

@InputType("JoinWaitlistInput")
export class JoinWaitlistInput {
  @Field(() => RecordId) providerId!: number;
  @Field(() => RecordId, { nullable: true, description: "Required for staff; a CLIENT joins for themself" })
  clientId?: number | null;
  @Field(() => DateTimeScalar, { description: "The earliest start wanted" }) earliest!: Date;
  @Field(() => DateTimeScalar, {
    description: "The latest start wanted: in the future, at most 90 days after earliest",
  })
  latest!: Date;
  @Field(() => Int, { description: "1..1440" }) durationMinutes!: number;
  @Field(() => String, { nullable: true, description: limitDescription("note") }) note?: string | null;
}
