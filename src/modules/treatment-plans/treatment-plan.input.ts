import { Field, ID, InputType } from "type-graphql";
import { DateScalar } from "../../graphql/scalars.js";

@InputType("TreatmentPlanInput")
export class TreatmentPlanInput {
  @Field(() => ID, { nullable: true, description: "The client user; or clientRef / clientName for matching" }) clientId?: string | null;
  @Field(() => String, { nullable: true }) clientRef?: string | null;
  @Field(() => String, { nullable: true }) clientName?: string | null;
  @Field(() => String, { nullable: true }) planType?: string | null;
  @Field(() => String, { nullable: true }) title?: string | null;
  @Field(() => DateScalar, { nullable: true }) startDate?: string | null;
  @Field(() => DateScalar, { nullable: true }) endDate?: string | null;
}

@InputType("TreatmentPlanPatch")
export class TreatmentPlanPatch {
  @Field(() => String, { nullable: true }) clientRef?: string | null;
  @Field(() => String, { nullable: true }) clientName?: string | null;
  @Field(() => String, { nullable: true }) planType?: string | null;
  @Field(() => String, { nullable: true }) title?: string | null;
  @Field(() => String, { nullable: true }) status?: string | null;
  @Field(() => DateScalar, { nullable: true }) startDate?: string | null;
  @Field(() => DateScalar, { nullable: true }) endDate?: string | null;
}
