import { badInput } from "../errors.js";
import { isRecordId, parseRecordId } from "../bounds.js";

/** An ID argument as our integer id; anything else is BAD_USER_INPUT naming the argument. */
export function parseId(value: string | number, field: string): number {
  const n = typeof value === "number" ? value : parseRecordId(value);
  if (!isRecordId(n)) throw badInput(field, `${field} must be a numeric id, got ${JSON.stringify(value)}`);
  return n;
}

export function parseOptionalId(value: string | number | null | undefined, field: string): number | undefined {
  return value === null || value === undefined ? undefined : parseId(value, field);
}
