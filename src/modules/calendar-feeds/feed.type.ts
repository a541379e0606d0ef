import { Field, ObjectType } from "type-graphql";

@ObjectType("CalendarFeed", {
  description:
    "A secret URL answering text/calendar (RFC 5545): its user's sessions from 30 days back to a year ahead, for Google Calendar, Outlook or Apple Calendar to subscribe to. Whoever holds the URL can read that schedule",
})
export class CalendarFeed {
  @Field(() => String, { description: "PUBLIC_BASE_URL/calendar/<token>.ics; shown only when made" }) url!: string;
}
