/**
 * The audit module's public face: what adapters record (acts, reads, refused reads), how a
 * request's transaction ends with its entries, and the log's page size. Code outside the module imports from here
 * only; its GraphQL resolvers and object types are in ./graphql.ts (see there why apart).
 */
export {
  AUDIT_LOG_LIMIT,
  finishAudited,
  outcomeOfError,
  readEntries,
  recordDeniedRead,
  recordRead,
  type AuditEntry,
} from "./audit.service.js";
