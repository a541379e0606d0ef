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
  notBookableForClient,
  slotsForProviders,
  validateRange,
  whyNotBookableForClient,
  type DaySlots,
} from "./slots.service.js";
export { datesTouchedBy, DEFAULT_DURATIONS, localDaysInRange, type Interval } from "./slot-math.js";
