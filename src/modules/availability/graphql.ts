/**
 * The availability module's GraphQL face: its resolvers and object types, apart from index.ts so that a
 * service importing this module never loads a GraphQL class (see src/modules/tenants/graphql.ts).
 */
/**
 * The availability module's public face: what the shims, the GraphQL schema and other modules use.
 * Inside the module: schedule.service.ts (weekly rules, date overrides, scheduling settings),
 * slots.service.ts (slots, a day's free intervals and booked sessions, the client booking rule),
 * slot-math.ts (the pure computation), the loaders and the GraphQL resolver, inputs and types.
 */
export { AvailabilityOverrideResolver, AvailabilityRuleResolver, SlotResolver } from "./availability.resolver.js";
/** The GraphQL object type DaySlots (the service's plain DaySlots is the type below). */
export { DaySlots as DaySlotsType } from "./availability.type.js";
export { DaySlots } from "./availability.type.js";
