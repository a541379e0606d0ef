/**
 * What a planner read together with a row (src/modules/sessions/session.planner.ts: a session's
 * provider, client, plan and details; a detail's item and unit), kept by the row object itself so
 * that the field resolver answers at once, without a DataLoader's promise per field and row. A
 * field resolver asks here first and loads as usual when nothing was preloaded: undefined means
 * "not read with the row", null "read: none, or not the caller's to see".
 */
// A symbol-keyed property rather than a WeakMap: the profile of a planned page showed the
// WeakMap's set and its ephemeron bookkeeping in GC; a property goes with the row for free.
const PRELOADED = Symbol("preloaded");

type WithPreloaded = { [PRELOADED]?: Record<string, unknown> };

/** The fields read with a row, all at once (one entry per row). */
export function preload(row: object, fields: Record<string, unknown>): void {
  (row as WithPreloaded)[PRELOADED] = fields;
}

export function preloadedOf<T>(row: object, field: string): T | null | undefined {
  return (row as WithPreloaded)[PRELOADED]?.[field] as T | null | undefined;
}
