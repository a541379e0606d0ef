import { Field, InputType, Int } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateScalar } from "../../graphql/scalars.js";
import { limitDescription } from "../../text-limits.js";

@InputType("TreatmentPlanInput")
export class TreatmentPlanInput {
  @Field(() => RecordId, { nullable: true, description: "The client user; or clientRef / clientName for matching" })
  clientId?: number | null;
  @Field(() => String, { nullable: true, description: limitDescription("clientRef") }) clientRef?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("clientName") }) clientName?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("planType") }) planType?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("title") }) title?: string | null;
  @Field(() => DateScalar, { nullable: true }) startDate?: string | null;
  @Field(() => DateScalar, { nullable: true }) endDate?: string | null;
  @Field(() => Int, { nullable: true, description: "Sessions the payer authorized, 0 or more; null: unlimited" })
  authorizedSessions?: number | null;
  @Field(() => DateScalar, { nullable: true, description: "The last day a session of the plan may start on" })
  authorizedUntil?: string | null;
}

@InputType("TreatmentPlanPatch")
export class TreatmentPlanPatch {
  @Field(() => String, { nullable: true, description: limitDescription("clientRef") }) clientRef?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("clientName") }) clientName?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("planType") }) planType?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("title") }) title?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("status") }) status?: string | null;
  @Field(() => DateScalar, { nullable: true }) startDate?: string | null;
  @Field(() => DateScalar, { nullable: true }) endDate?: string | null;
  @Field(() => Int, { nullable: true, description: "Sessions the payer authorized, 0 or more; null: unlimited" })
  authorizedSessions?: number | null;
  @Field(() => DateScalar, { nullable: true, description: "The last day a session of the plan may start on" })
  authorizedUntil?: string | null;
}
