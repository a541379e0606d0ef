/** The groups module's GraphQL face: its resolvers and object types (apart from index.ts, as every module's). */
export { GroupSessionResolver, SessionGroupResolver } from "./groups.resolver.js";
export { GroupSession } from "./groups.type.js";
