/**
 * The one error type services throw. Adapters map it: GraphQL to extensions.code, each
 * REST shim to its legacy envelope. Anything else reaching an adapter is a bug (500, masked).
 */
export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT" | "CONFLICT" | "UNAVAILABLE";

export interface ErrorDetails {
  /** BAD_USER_INPUT: field name -> message. */
  fieldErrors?: Record<string, string>;
  /** CONFLICT: the session the request collided with. */
  conflictingSessionId?: number;
}

export class DomainError extends Error {
  override name = "DomainError";
  /**
   * The record exists but this caller may not see it: answered as NOT_FOUND (no hint that it
   * exists), recorded as DENIED in the audit. Not part of details, so no adapter ever sends it.
   */
  denied = false;
  /** NOT_FOUND: which kind of record ("Session"), so a legacy API can word a denied one as its document does. */
  entity?: string;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

export const unauthenticated = (message: string) => new DomainError("UNAUTHENTICATED", message);
export const forbidden = (message = "You do not have permission to do this") => new DomainError("FORBIDDEN", message);
export const notFound = (entity: string) => Object.assign(new DomainError("NOT_FOUND", `${entity} not found`), { entity });
/** A record that exists but is not the caller's to see: NOT_FOUND to them, DENIED in the audit. */
export const hiddenFromCaller = (entity: string) => Object.assign(notFound(entity), { denied: true });
export const unavailable = (message: string) => new DomainError("UNAVAILABLE", message);
/** A bad value in one field: the message names the field. */
export const badInput = (field: string, message: string) =>
  new DomainError("BAD_USER_INPUT", message, { fieldErrors: { [field]: message } });
/** Several bad fields at once. */
export const badFields = (fieldErrors: Record<string, string>, message = "Validation failed") =>
  new DomainError("BAD_USER_INPUT", message, { fieldErrors });
