/**
 * The treatment-details module's public face: the items used in a session, the tenant's catalog
 * of items and units, and the usage report. Code outside the module imports from here
 * only; its GraphQL resolvers and object types are in ./graphql.ts (see there why apart).
 */
export {
  createTreatmentDetail,
  deleteTreatmentDetail,
  getTreatmentDetail,
  listTreatmentDetails,
  updateTreatmentDetail,
} from "./treatment-detail.service.js";
export { itemById, liveDetailsWhere, treatmentDetailsBySession, unitById } from "./treatment-detail.loaders.js";
