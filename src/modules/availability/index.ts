/**
 * The availability module's public face: what the shims, the GraphQL schema and other modules use.
 * Inside the module: schedule.service.ts (weekly rules, date overrides, scheduling settings),
 * slots.service.ts (slots, a day's free intervals and booked sessions, the client booking rule),
 * slot-math.ts (the pure computation), the loaders and the GraphQL resolver, inputs and types.
 */
export { AvailabilityOverrideResolver, AvailabilityRuleResolver, SlotResolver } from "./availability.resolver.js";
/** The GraphQL object type DaySlots (the service's plain DaySlots is the type below). */
export { DaySlots as DaySlotsType } from "./availability.type.js";
export {
  createAvailabilityOverride,
  createAvailabilityRule,
  deleteAvailabilityRule,
  getProvider,
  listAvailabilityRules,
  updateAvailabilityRule,
} from "./schedule.service.js";
export {
  assertBookableForClient,
  availableSlots,
  dayAvailability,
  MAX_PROVIDERS_PER_SLOTS_REQUEST,
  MAX_SLOT_RANGE_DAYS,
  slotsForProviders,
  validateRange,
  type DaySlots,
} from "./slots.service.js";
export { datesTouchedBy, DEFAULT_DURATIONS, localDaysInRange, type Interval } from "./slot-math.js";
