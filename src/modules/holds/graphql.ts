/** The holds module's GraphQL face: its object types and resolvers (apart from index.ts, as every module's). */
export { SlotHold } from "./hold.type.js";
export { SlotHoldResolver } from "./hold.resolver.js";
