/**
 * The tenants module's public face: tenants, users, who may see whom, roles, and who is calling
 * (tokens and authentication). Code outside the module imports from here
 * only; its GraphQL resolvers and object types are in ./graphql.ts (see there why apart).
 */
export { AuthService, bearerToken } from "./auth.service.js";
export { signToken, TokenVerifier } from "./jwt.js";
export { isAdmin, providerOrCaller, requireRole } from "./permissions.js";
export { createTenant, TenantDirectory } from "./tenant.service.js";
export { userById } from "./user.loaders.js";
export { getUserWithRole, hasCareRelationship, listUsers } from "./user.service.js";
export {
  findVisibleUser,
  findVisibleUsers,
  forgetUser,
  visibleUserById,
  visibleSessionPartiesWhere,
  visibleUsersWhere,
} from "./user.visibility.js";
export { ViewerCache, type UserChanges } from "./viewer-cache.js";
