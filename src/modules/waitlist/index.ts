/**
 * The waitlist module's public face: clients waiting for a provider's freed time, served first
 * come first served. Offers are holds (the holds module's primitives) made by the matcher,
 * which the refill processor runs after every change that may free time (drizzle/0011's
 * refill requests); an accepted offer is booked through the sessions module. Its GraphQL face
 * is ./graphql.ts.
 */
export { offerFreedTime, type MatchResult } from "./waitlist.matcher.js";
export { WaitlistRefills } from "./waitlist.refills.js";
export {
  acceptWaitlistOffer,
  declineWaitlistOffer,
  findVisibleEntry,
  getVisibleEntry,
  joinWaitlist,
  leaveWaitlist,
  listWaitlist,
  updateWaitlistSettings,
  waitlistSettings,
  type JoinWaitlistCommand,
  type WaitlistFilter,
} from "./waitlist.service.js";
