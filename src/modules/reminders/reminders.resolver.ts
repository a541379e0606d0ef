import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ReminderChannel as Channel, ReminderRow, SessionRow } from "../../db/schema/index.js";
import type { RequestContext } from "../context.js";
import { Session } from "../sessions/graphql.js";
import { remindersBySession } from "./reminders.loaders.js";
import { reminderSettings, updateReminderSettings, type ReminderSettings as Settings } from "./reminders.service.js";
import { Reminder, ReminderChannel, ReminderSettings } from "./reminders.type.js";

@Resolver(() => ReminderSettings)
export class ReminderSettingsResolver {
  @Query(() => ReminderSettings, { description: "ADMIN" })
  reminderSettings(@Ctx() ctx: RequestContext): Promise<Settings> {
    return reminderSettings(ctx);
  }

  @Mutation(() => ReminderSettings, {
    description:
      "ADMIN; offsets 5..20160 minutes, at most 5, no repeats; channels empty = off. Upcoming sessions' reminders follow at once",
  })
  updateReminderSettings(
    @Arg("offsetsMinutes", () => [Int]) offsetsMinutes: number[],
    @Arg("channels", () => [ReminderChannel]) channels: Channel[],
    @Ctx() ctx: RequestContext,
  ): Promise<Settings> {
    return updateReminderSettings(ctx, offsetsMinutes, channels);
  }
}

/** Session.reminders: the reminders module's to resolve (sessions knows no reminders). */
@Resolver(() => Session)
export class SessionRemindersResolver {
  @FieldResolver(() => [Reminder], { description: "Its reminders, every status, by due time" })
  reminders(@Root() session: SessionRow, @Ctx() ctx: RequestContext): Promise<ReminderRow[]> {
    return ctx.loaders.get(remindersBySession).load(session.id);
  }
}
