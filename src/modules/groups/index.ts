/**
 * The groups module's public face: group sessions (classes, group therapy) with a fixed number
 * of seats. Each seat is an ordinary session of its client (the sessions module books, checks
 * and cancels it); the database counts seats and guards the provider's time (drizzle/0011).
 * Its GraphQL face is ./graphql.ts.
 */
export {
  cancelGroupSession,
  createGroupSession,
  findVisibleGroup,
  getVisibleGroup,
  joinGroupSession,
  leaveGroupSession,
  listGroupSessions,
  MAX_CAPACITY,
  MIN_CAPACITY,
  type CreateGroupSessionCommand,
} from "./groups.service.js";
