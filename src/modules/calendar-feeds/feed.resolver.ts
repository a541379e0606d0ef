import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { RequestContext } from "../context.js";
import { calendarFeed, type CalendarFeedResult } from "./feed.service.js";
import { CalendarFeed } from "./feed.type.js";

@Resolver(() => CalendarFeed)
export class CalendarFeedResolver {
  @Mutation(() => CalendarFeed, {
    description:
      "The caller's calendar feed URL (an ADMIN: any user's, by userId). The URL is shown only when made: without rotate, a user who already has one gets CONFLICT CALENDAR_FEED_EXISTS and nothing changes; rotate: true revokes the old URL (404 from then on) and returns a new one",
  })
  calendarFeed(
    @Arg("userId", () => RecordId, { nullable: true }) userId: number | null,
    @Arg("rotate", () => Boolean, { nullable: true }) rotate: boolean | null,
    @Ctx() ctx: RequestContext,
  ): Promise<CalendarFeedResult> {
    return calendarFeed(ctx, userId, rotate ?? false);
  }
}
