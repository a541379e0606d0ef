/** The series module's GraphQL face: its resolvers and object types (apart from index.ts, as every module's). */
export { SeriesResolver, SessionSeriesResolver, TreatmentPlanSeriesResolver } from "./series.resolver.js";
export { SessionSeries } from "./series.type.js";
