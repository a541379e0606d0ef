import type { WaitlistEntryRow } from "../../db/schema/index.js";
import { forbidden, noun, words } from "../../errors.js";
import { mapIterator } from "../../async-iterators.js";
import { canSeeSession } from "../../rules/session-visibility.js";
import type { RequestContext } from "../context.js";
import { entryById } from "./waitlist.loaders.js";

/**
 * Waitlist entries as their changes commit (joined, offered, booked, declined, lapsed, left,
 * expired), filtered like waitlist(): a CLIENT their own, a PROVIDER their own, an ADMIN all.
 * Each is the entry as it is at delivery, read again and checked again (the event carries ids
 * only, never the note).
 */
export async function watchWaitlist(
  ctx: RequestContext,
  input: { providerId?: number; clientId?: number },
): Promise<AsyncIterableIterator<WaitlistEntryRow>> {
  const me = ctx.viewer;
  if (me.role === "CLIENT" && input.clientId !== undefined && input.clientId !== me.id)
    throw forbidden(words`A ${noun("client")} can only follow their own waitlist entries`);
  const involving = me.role === "ADMIN" ? undefined : me.id;
  const events = ctx.deps.events.stream(ctx.tenant.id, {
    providerId: input.providerId,
    clientId: input.clientId,
    involving,
  });
  return mapIterator(events, async (event) => {
    if (!event.type.startsWith("WAITLIST_")) return undefined;
    const id = Number((event.payload as { waitlistEntryId?: unknown }).waitlistEntryId);
    // Subscription loaders do not cache: this reads the entry as it is now.
    const entry = Number.isInteger(id) ? await ctx.loaders.get(entryById).load(id) : undefined;
    if (!entry || !canSeeSession(ctx.viewer, entry)) return undefined;
    return entry;
  });
}
