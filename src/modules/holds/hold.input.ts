import { Field, InputType, Int } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

@InputType("HoldSlotInput")
export class HoldSlotInput {
  @Field(() => RecordId) providerId!: number;
  @Field(() => RecordId, { nullable: true, description: "Whom the slot is kept for; a CLIENT holds for themself" })
  clientId?: number | null;
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => Int, { nullable: true, description: "30..900, default 300; judged by the database's clock" })
  ttlSeconds?: number | null;
}
