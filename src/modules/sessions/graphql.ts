/**
 * The sessions module's GraphQL face: its resolvers and object types, apart from index.ts so that a
 * service importing this module never loads a GraphQL class (see src/modules/tenants/graphql.ts).
 */
export { CancellationResolver, SessionResolver, TreatmentPlanSessionsResolver } from "./session.resolver.js";
export { Modality, Session, SessionConnection, SessionStatus, SessionType } from "./session.type.js";
export { SessionTextFields } from "./session.input.js";
