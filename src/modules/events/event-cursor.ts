import { badInput, field as fieldName, words } from "../../errors.js";

/**
 * An event cursor (the `after` of slotsChanged and sessionChanged) is the id of the last event
 * a subscriber received, written as decimal digits. This is its one parser: anything else is
 * INVALID_CURSOR on `after`. Whether the event is still retained is the dispatcher's question.
 */
export function parseEventCursor(value: string, field = "after"): number {
  if (!/^\d{1,15}$/.test(value))
    throw badInput(field, words`${fieldName(field)} must be the cursor of an earlier event`, "INVALID_CURSOR");
  return Number(value);
}

/** The cursor of an event, as subscribers receive it. */
export const eventCursor = (eventId: number): string => String(eventId);
