/**
 * The module's services in one namespace, for availability.resolver.ts (`import * as availability`):
 * schedule.service.ts (rules, overrides, scheduling settings) and slots.service.ts (slots, a day's
 * free intervals, the client booking rule). Code outside the module imports from index.ts.
 */
export * from "./schedule.service.js";
export * from "./slots.service.js";
