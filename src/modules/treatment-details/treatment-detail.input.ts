import { Field, ID, InputType, Int } from "type-graphql";

/** Create, or full replace (as the legacy PUT): an omitted sessionId/itemId/unitId becomes null. */
@InputType("TreatmentDetailInput")
export class TreatmentDetailInput {
  @Field(() => ID, { nullable: true, description: "The session (legacy treatment_id)" }) sessionId?: string | null;
  @Field(() => ID, { nullable: true }) itemId?: string | null;
  @Field(() => ID, { nullable: true }) unitId?: string | null;
  @Field(() => Int, { description: "A positive integer" }) quantity!: number;
}

/** One line of createTreatmentDetails: the session is given once for all lines. */
@InputType("TreatmentDetailLine")
export class TreatmentDetailLine {
  @Field(() => ID, { nullable: true }) itemId?: string | null;
  @Field(() => ID, { nullable: true }) unitId?: string | null;
  @Field(() => Int, { description: "A positive integer" }) quantity!: number;
}
