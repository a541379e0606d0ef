/**
 * The calendar feeds module's public face: secret per-user URLs answering text/calendar. The
 * calendarFeed mutation (./graphql.ts) makes and rotates them; the HTTP route serves them.
 */
export { calendarFeed, type CalendarFeedResult } from "./feed.service.js";
export { feedNotFound, installCalendarFeedRoute, isCalendarFeedPath } from "./feed.route.js";
