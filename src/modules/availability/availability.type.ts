import { Field, Int, ObjectType } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { Node } from "../../graphql/node.js";
import { DateScalar, DateTimeScalar, LocalTimeScalar, TimeZoneScalar } from "../../graphql/scalars.js";

/** A weekly wall-clock rule in the provider's time zone. `provider` is a field resolver. */
@ObjectType("AvailabilityRule", { implements: Node })
export class AvailabilityRule extends Node {
  @Field(() => Int, { description: "0 = Sunday ... 6 = Saturday" }) dayOfWeek!: number;
  @Field(() => LocalTimeScalar) startTime!: string;
  @Field(() => LocalTimeScalar) endTime!: string;
  @Field(() => Boolean, { description: "false: the rule is parked (gives no hours, ignored by the overlap check)" })
  isAvailable!: boolean;
  @Field(() => String, { nullable: true }) notes?: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

/** One date replacing the weekly rules: time off (whole day without times) or extra hours. */
@ObjectType("AvailabilityOverride", { implements: Node })
export class AvailabilityOverride extends Node {
  @Field(() => DateScalar, { description: "A local date in the provider's time zone" }) date!: string;
  @Field(() => LocalTimeScalar, { nullable: true }) startTime?: string | null;
  @Field(() => LocalTimeScalar, { nullable: true }) endTime?: string | null;
  @Field(() => Boolean, { description: "true: extra hours; false: time off" }) isAvailable!: boolean;
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@ObjectType("Slot")
export class Slot {
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => [Int], { description: "Minutes, ascending" }) availableDurations!: number[];
}

@ObjectType("DaySlots")
export class DaySlots {
  @Field(() => DateScalar, { description: "A local date in the provider's time zone" }) date!: string;
  @Field(() => [Slot]) slots!: Slot[];
}

@ObjectType("ProviderSlots")
export class ProviderSlots {
  @Field(() => RecordId) providerId!: number;
  @Field(() => TimeZoneScalar, { description: "The provider's zone: the days are its local dates" }) timeZone!: string;
  @Field(() => [DaySlots]) days!: DaySlots[];
}

@ObjectType("FreeInterval")
export class FreeInterval {
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar) endsAt!: Date;
  @Field(() => Int) durationMinutes!: number;
}

@ObjectType("ProviderSchedulingSettings")
export class ProviderSchedulingSettings {
  @Field(() => RecordId) providerId!: number;
  @Field(() => TimeZoneScalar, { description: "Rules and overrides are wall-clock times in this zone" })
  timeZone!: string;
  @Field(() => Int, { description: "Starts earlier than now + this are not bookable by clients" })
  minNoticeMinutes!: number;
  @Field(() => Int, { description: "Minutes kept free before and after every active session" }) bufferMinutes!: number;
}
