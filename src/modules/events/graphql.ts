/**
 * The events module's GraphQL face: its resolvers and object types, apart from index.ts so that a
 * service importing this module never loads a GraphQL class (see src/modules/tenants/graphql.ts).
 */
export { SubscriptionResolver } from "./subscription.resolver.js";
