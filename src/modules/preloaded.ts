/**
 * What a planner read together with a row (src/modules/sessions/session.planner.ts: a session's
 * provider, client, plan and details; a detail's item and unit), kept by the row object itself so
 * that the field resolver answers at once, without a DataLoader's promise per field and row. A
 * field resolver asks here first and loads as usual when nothing was preloaded: undefined means
 * "not read with the row", null "read: none, or not the caller's to see".
 */
const preloaded = new WeakMap<object, Map<string, unknown>>();

export function preload(row: object, field: string, value: unknown): void {
  let fields = preloaded.get(row);
  if (!fields) preloaded.set(row, (fields = new Map()));
  fields.set(field, value);
}

export function preloadedOf<T>(row: object, field: string): T | null | undefined {
  return preloaded.get(row)?.get(field) as T | null | undefined;
}
