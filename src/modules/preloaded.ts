/**
 * What a planner read together with a row (src/modules/sessions/session.planner.ts: a session's
 * provider, client, plan and details; a detail's item and unit), kept by the row object itself so
 * that the field resolver answers at once, without a DataLoader's promise per field and row. A
 * field resolver asks here first and loads as usual when nothing was preloaded: undefined means
 * "not read with the row", null "read: none, or not the caller's to see".
 */
const preloaded = new WeakMap<object, Record<string, unknown>>();

/** The fields read with a row, all at once (one entry per row). */
export function preload(row: object, fields: Record<string, unknown>): void {
  preloaded.set(row, fields);
}

export function preloadedOf<T>(row: object, field: string): T | null | undefined {
  return preloaded.get(row)?.[field] as T | null | undefined;
}
