/**
 * The sessions module's GraphQL face: its resolvers and object types, apart from index.ts so that a
 * service importing this module never loads a GraphQL class (see src/modules/tenants/graphql.ts).
 */
export { CancellationResolver, SessionResolver, TreatmentPlanSessionsResolver } from "./session.resolver.js";
export { Session, SessionConnection } from "./session.type.js";
