import { Field, InputType, Int } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { limitDescription } from "../../text-limits.js";
import { Modality, SessionType } from "../sessions/graphql.js";

@InputType("CreateGroupSessionInput")
export class CreateGroupSessionInput {
  @Field(() => RecordId, { nullable: true, description: "Defaults to the caller when the caller is a PROVIDER" })
  providerId?: number | null;
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => Int, { description: "Seats, 2 to 200" }) capacity!: number;
  @Field(() => String, { nullable: true, description: limitDescription("title") }) title?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("description") }) description?: string | null;
  @Field(() => SessionType, { nullable: true, description: "Default GROUP" }) type?: SessionType | null;
  @Field(() => Modality, { nullable: true, description: "Default IN_PERSON" }) modality?: Modality | null;
  @Field(() => String, { nullable: true, description: limitDescription("location") }) location?: string | null;
}
