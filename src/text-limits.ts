import { field as fieldSlot, throwFieldErrors, words, type Words } from "./errors.js";

/**
 * The longest text each free-text field takes, in characters (Unicode code points, as JSON
 * Schema's maxLength counts them). Defined once, by the field's name in the services' inputs:
 * the services enforce it (so GraphQL, subscriptions and every REST shim refuse the same
 * text), the GraphQL schema describes it, and the shims' JSON schemas carry it as maxLength
 * (so /openapi.json shows it and each shim words the refusal in its own format).
 * Without a bound, one request could store megabytes of text per field, and every later read
 * (lists, events, exports) would carry them.
 */
export const TEXT_LIMITS = {
  // Names and titles.
  name: 200,
  firstName: 200,
  lastName: 200,
  clientName: 200,
  title: 200,
  location: 500,
  // Clinical and descriptive text.
  description: 10_000,
  notes: 10_000,
  providerNotes: 10_000,
  clientFeedback: 10_000,
  exercisesPerformed: 10_000,
  reason: 10_000,
  /** A waitlist entry's note to the provider. */
  note: 10_000,
  // Identifiers people type or systems hand us.
  username: 150,
  email: 254,
  phone: 32,
  staffId: 64,
  clientRef: 64,
  sku: 64,
  planType: 100,
  /** A treatment plan's status is free text (sessions' is an enum). */
  status: 50,
  externalSubject: 255,
  googleEventId: 1024,
  outlookEventId: 1024,
  /** Search terms (sessions and users): not stored, but matched against every row. */
  search: 200,
} as const satisfies Record<string, number>;

export type TextField = keyof typeof TEXT_LIMITS;

/** Characters as JSON Schema (Ajv) counts them: a surrogate pair is one. */
export function textLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** The message for a text over its field's limit: the same words in every transport. */
export function tooLongMessage(field: string, limit: number, length: number): Words {
  return words`${fieldSlot(field)} must be at most ${limit} characters, got ${length}`;
}

/** A GraphQL description line stating a field's limit. */
export function limitDescription(field: TextField, description?: string): string {
  const limit = `At most ${TEXT_LIMITS[field]} characters.`;
  if (!description) return limit;
  return `${description}${description.endsWith(".") ? "" : "."} ${limit}`;
}

/**
 * Refuses (BAD_USER_INPUT, every bad field named in fieldErrors) any string value of `input`
 * whose key is a field of the table and which is longer than its limit. Other keys and
 * non-string values are left to the caller's own checks.
 */
export function checkTextLengths(input: object | null | undefined): void {
  if (!input) return;
  const errors: Record<string, Words> = {};
  for (const [field, value] of Object.entries(input)) {
    if (typeof value !== "string" || !(field in TEXT_LIMITS)) continue;
    const limit = TEXT_LIMITS[field as TextField];
    // A cheap pre-check: fewer UTF-16 units than the limit is always within it.
    if (value.length <= limit) continue;
    const length = textLength(value);
    if (length > limit) errors[field] = tooLongMessage(field, limit, length);
  }
  throwFieldErrors(errors);
}

/** A JSON schema's length bound for a shim field carrying one of the table's fields. */
export function maxLengthOf(field: TextField): { maxLength: number } {
  return { maxLength: TEXT_LIMITS[field] };
}
