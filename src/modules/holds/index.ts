/**
 * The holds module's public face: the primitives every kind of hold is written with, and the
 * expiry job. holdSlot / releaseHold / slotHold (hold.service.ts) are reached through GraphQL
 * (./graphql.ts) only: the sessions module books through a hold with these primitives, and the
 * holds service checks times with the sessions module, so exporting the service here would close
 * a cycle.
 */
export {
  endHold,
  findHold,
  HOLD_EXPIRY_QUEUE,
  holdWasPlaced,
  insertHold,
  isLiveHoldSql,
  removeHold,
  type NewHold,
} from "./hold.store.js";
export { expireHolds, startHoldExpiry } from "./hold.expiry.js";
