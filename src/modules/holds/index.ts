/** The holds module's public face. */
export { endHold, findHold, insertHold, isLiveHoldSql, removeHold, type NewHold } from "./hold.store.js";
export { HoldSweeper } from "./hold.expiry.js";
export {
  DEFAULT_TTL_SECONDS,
  getVisibleHold,
  holdSlot,
  MAX_TTL_SECONDS,
  MIN_TTL_SECONDS,
  releaseHold,
  type HoldSlotCommand,
} from "./hold.service.js";
