/** The holds module's public face. */
export { insertHold, isLiveHoldSql, removeHold, type NewHold } from "./hold.store.js";
