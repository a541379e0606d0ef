/** The calendar feeds module's GraphQL face: its resolver and object type (apart from index.ts, as every module's). */
export { CalendarFeedResolver } from "./feed.resolver.js";
export { CalendarFeed } from "./feed.type.js";
