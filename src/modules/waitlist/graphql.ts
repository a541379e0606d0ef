/** The waitlist module's GraphQL face: its resolvers and object types (apart from index.ts, as every module's). */
export { SlotHoldWaitlistResolver, WaitlistResolver } from "./waitlist.resolver.js";
export { WaitlistEntry, WaitlistSettings, WaitlistStatus } from "./waitlist.type.js";
