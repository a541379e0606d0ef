/**
 * The treatment-plans module's public face: plans, who sees them, their client (explicit or
 * matched the legacy scheduler's way), and their authorization (how many sessions, until when). Code outside the module imports from here
 * only; its GraphQL resolvers and object types are in ./graphql.ts (see there why apart).
 */
export {
  findVisibleTreatmentPlan,
  getTreatmentPlan,
  listTreatmentPlans,
  matchClient,
  planClient,
  seesEveryPlan,
  unmatchedClientMessage,
  visiblePlanClient,
} from "./treatment-plan.service.js";
export { treatmentPlanById } from "./treatment-plan.loaders.js";
export {
  lockPlanAuthorization,
  planAuthorizationConflict,
  refusedByAuthorization,
  startsWithinAuthorization,
  type PlanAuthorization,
} from "./plan-authorization.js";
