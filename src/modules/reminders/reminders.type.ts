import { Field, Int, ObjectType } from "type-graphql";
import { reminderChannelEnum, reminderStatusEnum, type ReminderChannel as Channel } from "../../db/schema/index.js";
import { databaseEnum } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

export const ReminderChannel = databaseEnum("ReminderChannel", reminderChannelEnum.enumValues, {
  description: "How a reminder reaches the client",
});

@ObjectType("ReminderSettings", { description: "Per tenant" })
export class ReminderSettings {
  @Field(() => [Int], {
    description:
      "Minutes before a session's start, one reminder per offset and channel (5..20160, at most 5; default [1440, 60])",
  })
  offsetsMinutes!: number[];

  @Field(() => [ReminderChannel], { description: "Empty (the default): reminders are off" })
  channels!: Channel[];
}

@ObjectType("Reminder", { description: "One reminder of a session on one channel" })
export class Reminder {
  @Field(() => ReminderChannel) channel!: Channel;

  @Field(() => DateTimeScalar, { description: "The session's start minus the offset" })
  dueAt!: Date;

  @Field(() => String, {
    description: `${reminderStatusEnum.enumValues.join(" ")}: FAILED between retries and once they are exhausted`,
  })
  status!: string;

  @Field(() => DateTimeScalar, { nullable: true }) sentAt!: Date | null;
}
