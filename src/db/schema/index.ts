export { entityIdSeq } from "./columns.js";
export * from "./tenants.js";
export * from "./treatment-plans.js";
export * from "./series.js";
export * from "./sessions.js";
export * from "./availability.js";
export * from "./treatment-details.js";
export * from "./events.js";
export * from "./audit.js";
