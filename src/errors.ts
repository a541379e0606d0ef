/**
 * The one error type services throw, and the one place its codes, reasons and statuses are
 * decided. A DomainError carries a stable `reason` (its GraphQL code follows from it), structured
 * details, and a message written as `Words`: literal text with typed slots (a field name, a noun,
 * an instant). Each transport renders the slots in its own vocabulary: GraphQL as written, the
 * booking API with "meeting" and "therapistId", the fitness API with "scheduled_start" and
 * local times. No adapter ever reads or rewrites message text.
 */

/** The six codes of GraphQL's extensions.code that services produce. */
export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT" | "CONFLICT" | "UNAVAILABLE";

/**
 * Every reason and the code it belongs to (../shared/design/schema-outline.graphql, Part 2).
 * Clients and shims branch on reasons, never on messages; a reason, once published, keeps its name.
 */
const REASON_CODES = {
  // CONFLICT
  SESSION_OVERLAP: "CONFLICT",
  SLOT_HELD: "CONFLICT",
  SESSION_FULL: "CONFLICT",
  PLAN_SESSION_LIMIT: "CONFLICT",
  PLAN_EXPIRED: "CONFLICT",
  HOLD_EXPIRED: "CONFLICT",
  /** The client already has a seat in the group session. */
  ALREADY_JOINED: "CONFLICT",
  /** The group session is cancelled, or has started: no seat can be taken. */
  GROUP_CLOSED: "CONFLICT",
  /** The user already has a calendar feed URL, shown only when it was made: rotate for a new one. */
  CALENDAR_FEED_EXISTS: "CONFLICT",
  // BAD_USER_INPUT
  VALIDATION: "BAD_USER_INPUT",
  /** endsAt (or actualEnd) not after its start: a rule some legacy documents word themselves. */
  ENDS_BEFORE_START: "BAD_USER_INPUT",
  INVALID_TRANSITION: "BAD_USER_INPUT",
  INVALID_RECURRENCE: "BAD_USER_INPUT",
  INVALID_CURSOR: "BAD_USER_INPUT",
  OUTSIDE_AVAILABILITY: "BAD_USER_INPUT",
  MIN_NOTICE: "BAD_USER_INPUT",
  IN_THE_PAST: "BAD_USER_INPUT",
  /** The client is not in the provider's care (and the caller may not create that care). */
  NOT_IN_CARE: "BAD_USER_INPUT",
  /** The treatment plan belongs to another client than the session's. */
  OTHER_CLIENTS_PLAN: "BAD_USER_INPUT",
  /** A plan's authorization narrowed below what it already has booked (fewer sessions, an earlier last day). */
  BOOKED_BEYOND_AUTHORIZATION: "BAD_USER_INPUT",
  /** A record others depend on (a completed session, a session with treatment details) cannot be deleted. */
  HAS_RECORDS: "BAD_USER_INPUT",
  /** Text PostgreSQL cannot store (a NUL character, invalid UTF-8). */
  UNSTORABLE_TEXT: "BAD_USER_INPUT",
  /** A webhook URL that is not https or resolves to a loopback, private, link-local or metadata address. */
  URL_REFUSED: "BAD_USER_INPUT",
  /** More work than one request may ask for (cost, response size, list sizes). */
  TOO_MUCH_WORK: "BAD_USER_INPUT",
  // One reason per remaining code
  NOT_FOUND: "NOT_FOUND",
  FORBIDDEN: "FORBIDDEN",
  /** The X-Tenant-Code header names another tenant than the token. */
  TENANT_MISMATCH: "FORBIDDEN",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  UNAVAILABLE: "UNAVAILABLE",
  /** A statement ran past the database's statement_timeout. */
  STATEMENT_TIMEOUT: "UNAVAILABLE",
  /** The request ran past its own deadline (REQUEST_TIMEOUT_MS). */
  DEADLINE_EXCEEDED: "UNAVAILABLE",
} as const satisfies Record<string, ErrorCode>;

export type ErrorReason = keyof typeof REASON_CODES;

export const codeOfReason = (reason: ErrorReason): ErrorCode => REASON_CODES[reason];

/** The HTTP status of each code: the one table both transports use (a legacy format may choose another where its document says so). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

// ---- Words: messages with typed slots -------------------------------------------------------

/** The nouns services use in messages, in each form they use them; a vocabulary may rename any. */
export type Noun =
  | "session"
  | "sessions"
  | "Session"
  | "provider"
  | "providers"
  | "Provider"
  | "client"
  | "Client"
  | "availability rule"
  | "AvailabilityRule";

export type Slot = { readonly field: string } | { readonly noun: Noun } | { readonly instant: Date };
/** A message: literal text and slots, in order. */
export type Words = readonly (string | Slot)[];

export const field = (name: string): Slot => ({ field: name });
export const noun = (word: Noun): Slot => ({ noun: word });
export const instant = (at: Date): Slot => ({ instant: at });

/** A message template: words`${field("endsAt")} must be after ${field("startsAt")}`; strings and numbers interpolate as text. */
export function words(strings: TemplateStringsArray, ...slots: Array<Slot | string | number>): Words {
  const out: (string | Slot)[] = [];
  strings.forEach((text, i) => {
    if (text) out.push(text);
    if (i < slots.length) out.push(typeof slots[i] === "object" ? (slots[i] as Slot) : String(slots[i]));
  });
  return out;
}

/** How a transport words the slots; what it leaves out is written as the services write it. */
export interface Vocabulary {
  field?: (name: string) => string;
  noun?: Partial<Record<Noun, string>>;
  instant?: (at: Date) => string;
}

export function render(message: Words | string, vocabulary: Vocabulary = {}): string {
  if (typeof message === "string") return message;
  return message
    .map((part) => {
      if (typeof part === "string") return part;
      if ("field" in part) return vocabulary.field?.(part.field) ?? part.field;
      if ("noun" in part) return vocabulary.noun?.[part.noun] ?? part.noun;
      return vocabulary.instant?.(part.instant) ?? part.instant.toISOString();
    })
    .join("");
}

// ---- The error -------------------------------------------------------------------------------

export interface FieldError {
  words: Words;
  /** Set when this field's failure has its own reason (ENDS_BEFORE_START, IN_THE_PAST, …); else the error's. */
  reason?: ErrorReason;
}

export interface ErrorDetails {
  /** BAD_USER_INPUT: field name (the service's) -> what is wrong with it. */
  fieldErrors?: Record<string, FieldError>;
  /** SESSION_OVERLAP: the session the request collided with, only when the caller may see it. */
  conflictingSessionId?: number;
  /** SESSION_OVERLAP: when that session starts, only when the caller may see it. */
  conflictingStartsAt?: Date;
  /** A series booking refused: every occurrence that failed, the first of which the error itself is. */
  occurrences?: { startsAt: Date; reason: ErrorReason; conflictingSessionId?: number }[];
  /** NOT_FOUND: which kind of record ("Session", "Provider"), so a legacy API words it as its document does. */
  entity?: string;
}

export class DomainError extends Error {
  override name = "DomainError";
  readonly code: ErrorCode;
  readonly words: Words;
  /**
   * The record exists but this caller may not see it: answered as NOT_FOUND (no hint that it
   * exists), recorded as DENIED in the audit. Not part of details, so no adapter ever sends it
   * (a legacy format whose document answers another's record differently reads `deniedEntity`).
   */
  denied = false;
  constructor(
    readonly reason: ErrorReason,
    message: Words | string,
    readonly details: ErrorDetails = {},
  ) {
    super(render(message));
    this.words = typeof message === "string" ? [message] : message;
    this.code = codeOfReason(reason);
  }
}

const asWords = (message: Words | string): Words => (typeof message === "string" ? [message] : message);

export const unauthenticated = (message: Words | string) => new DomainError("UNAUTHENTICATED", asWords(message));
export const forbidden = (
  message: Words | string = "You do not have permission to do this",
  reason: ErrorReason = "FORBIDDEN",
) => new DomainError(reason, asWords(message));
/** An unknown record, worded "<Entity> not found"; legacy APIs word it from `details.entity`. */
export const notFound = (entity: string) => new DomainError("NOT_FOUND", [`${entity} not found`], { entity });
/** A record that exists but is not the caller's to see: NOT_FOUND to them, DENIED in the audit. */
export const hiddenFromCaller = (entity: string) => Object.assign(notFound(entity), { denied: true });
export const unavailable = (message: Words | string, reason: ErrorReason = "UNAVAILABLE") =>
  new DomainError(reason, asWords(message));
export const conflict = (reason: ErrorReason, message: Words | string, details: ErrorDetails = {}) =>
  new DomainError(reason, asWords(message), details);

/** A bad value in one field: the message names the field. */
export const badInput = (name: string, message: Words | string, reason: ErrorReason = "VALIDATION") =>
  new DomainError(reason, asWords(message), { fieldErrors: { [name]: { words: asWords(message) } } });

/** Several bad fields at once (VALIDATION, or the reason of the first field that has its own), worded together. */
export function badFields(fieldErrors: Record<string, FieldError | Words | string>): DomainError {
  const entries = Object.entries(fieldErrors).map(([name, e]): [string, FieldError] => [
    name,
    typeof e === "string" || Array.isArray(e) ? { words: asWords(e as Words | string) } : (e as FieldError),
  ]);
  const joined = entries.flatMap(([, e], i) => (i ? ["; ", ...e.words] : [...e.words]));
  return new DomainError(entries.find(([, e]) => e.reason)?.[1].reason ?? "VALIDATION", joined, {
    fieldErrors: Object.fromEntries(entries),
  });
}

/** Throws the field errors collected so far, if any: the one way services report several bad fields. */
export function throwFieldErrors(fieldErrors: Record<string, FieldError | Words | string>): void {
  if (Object.keys(fieldErrors).length) throw badFields(fieldErrors);
}

/** Field errors as text (field -> message), worded in a vocabulary: what GraphQL's extensions.fieldErrors show. */
export function renderFieldErrors(
  fieldErrors: Record<string, FieldError>,
  vocabulary?: Vocabulary,
): Record<string, string> {
  return Object.fromEntries(Object.entries(fieldErrors).map(([name, e]) => [name, render(e.words, vocabulary)]));
}

/** A field error with its own reason, for badFields and throwFieldErrors. */
export const fieldError = (message: Words | string, reason?: ErrorReason): FieldError => ({
  words: asWords(message),
  ...(reason ? { reason } : {}),
});

/**
 * A nullable field's value: the record the lookup finds, or null when it names nothing the
 * caller may see (NOT_FOUND, hidden or not). Any other failure stands.
 */
export async function nullWhenNotFound<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (err) {
    if (err instanceof DomainError && err.code === "NOT_FOUND") return null;
    throw err;
  }
}
