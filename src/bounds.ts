/**
 * Numeric bounds on what clients send, shared by GraphQL and every REST shim: record ids and
 * page numbers. A number past them is the client's mistake (BAD_USER_INPUT, or the shim's
 * 400/404), never a cast or an OFFSET the database refuses halfway through a request (a 500).
 */

/** The largest PostgreSQL `integer` (int4): what an integer column (an id, a quantity) holds at most. */
export const MAX_INT4 = 2_147_483_647;

/** Our ids are PostgreSQL `integer` (int4) serials: a larger number names no record and cannot even be compared with one. */
export const MAX_ID = MAX_INT4;

/** Whether a value is one of our record ids: a whole number from 1 to MAX_ID. */
export function isRecordId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1 && value <= MAX_ID;
}

/** A decimal id as clients write it in paths and ID arguments: "12" -> 12; anything else (signs, spaces, exponents, past MAX_ID) -> undefined. */
export function parseRecordId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const id = Number(text);
  return isRecordId(id) ? id : undefined;
}

/** An id as it may arrive from anywhere (a JSON number, a path segment, a recorded value): the id, or undefined. */
export function recordIdOf(value: unknown): number | undefined {
  if (typeof value === "number") return isRecordId(value) ? value : undefined;
  return typeof value === "string" ? parseRecordId(value) : undefined;
}

/**
 * The largest page number of the offset-paged lists (REST shims). With at most 100 rows a page
 * this keeps OFFSET under 10^8; far beyond any real list, and far inside what the database takes.
 */
export const MAX_PAGE = 1_000_000;

/** JSON schemas of the same bounds, for the shims' routes (and so /openapi.json states them). */
export const ID_SCHEMA = { type: "integer", minimum: 1, maximum: MAX_ID } as const;
export const PAGE_NUMBER_SCHEMA = { type: "integer", minimum: 1, maximum: MAX_PAGE } as const;
