import { Field, InputType, Int } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { Patch } from "../../graphql/patch.js";
import { DateScalar, LocalTimeScalar } from "../../graphql/scalars.js";
import { limitDescription } from "../../text-limits.js";

@InputType("AvailabilityRuleInput")
export class AvailabilityRuleInput {
  @Field(() => RecordId, { nullable: true, description: "Defaults to the caller when the caller is a PROVIDER" })
  providerId?: number | null;
  @Field(() => Int, { description: "0 = Sunday ... 6 = Saturday" }) dayOfWeek!: number;
  @Field(() => LocalTimeScalar) startTime!: string;
  @Field(() => LocalTimeScalar) endTime!: string;
  @Field(() => String, { nullable: true, description: limitDescription("notes") }) notes?: string | null;
  @Field(() => Boolean, { nullable: true, description: "Default true" }) isAvailable?: boolean | null;
}

/** A rule's fields, each optional (the same names and types as AvailabilityRuleInput: checked by `implements`). */
@InputType("AvailabilityRulePatch")
export class AvailabilityRulePatch implements Patch<Omit<AvailabilityRuleInput, "providerId">> {
  @Field(() => Int, { nullable: true }) dayOfWeek?: number | null;
  @Field(() => LocalTimeScalar, { nullable: true }) startTime?: string | null;
  @Field(() => LocalTimeScalar, { nullable: true }) endTime?: string | null;
  @Field(() => String, {
    nullable: true,
    description: limitDescription("notes", "null clears the notes; omitted leaves them"),
  })
  notes?: string | null;
  @Field(() => Boolean, { nullable: true }) isAvailable?: boolean | null;
}

@InputType("AvailabilityOverrideInput")
export class AvailabilityOverrideInput {
  @Field(() => RecordId, { nullable: true, description: "Defaults to the caller when the caller is a PROVIDER" })
  providerId?: number | null;
  @Field(() => DateScalar) date!: string;
  @Field(() => LocalTimeScalar, { nullable: true, description: "With endTime; both omitted for a whole day off" })
  startTime?: string | null;
  @Field(() => LocalTimeScalar, { nullable: true }) endTime?: string | null;
  @Field(() => Boolean, { description: "true: extra hours (times required); false: time off" }) isAvailable!: boolean;
  @Field(() => String, { nullable: true, description: limitDescription("reason") }) reason?: string | null;
}
