import { Field, InputType, Int } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";

/** Create, or full replace (as the legacy PUT): an omitted sessionId/itemId/unitId becomes null. */
@InputType("TreatmentDetailInput")
export class TreatmentDetailInput {
  @Field(() => RecordId, { nullable: true, description: "The session (legacy treatment_id)" }) sessionId?:
    number | null;
  @Field(() => RecordId, { nullable: true }) itemId?: number | null;
  @Field(() => RecordId, { nullable: true }) unitId?: number | null;
  @Field(() => Int, { description: "A positive integer" }) quantity!: number;
}

/** One line of createTreatmentDetails: the session is given once for all lines. */
@InputType("TreatmentDetailLine")
export class TreatmentDetailLine {
  @Field(() => RecordId, { nullable: true }) itemId?: number | null;
  @Field(() => RecordId, { nullable: true }) unitId?: number | null;
  @Field(() => Int, { description: "A positive integer" }) quantity!: number;
}
