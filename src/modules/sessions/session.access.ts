import type { SessionRow } from "../../db/schema/index.js";
import { hiddenFromCaller, notFound } from "../../errors.js";
import type { RequestContext } from "../context.js";
import { sessionById } from "./session.loaders.js";
import { canSeeSession } from "../../rules/session-visibility.js";

/**
 * A session the caller may see, or NOT_FOUND: unknown, another tenant's, or someone else's in
 * the same tenant. The last is answered exactly like the others (FORBIDDEN would confirm that
 * the id is a real appointment of another patient) but marked denied for the audit. Every
 * adapter and every mutation taking a session id goes through here.
 */
export async function getVisibleSession(ctx: RequestContext, id: number): Promise<SessionRow> {
  const session = await ctx.loaders.get(sessionById).load(id);
  if (!session) throw notFound("Session");
  if (!canSeeSession(ctx.viewer, session)) throw hiddenFromCaller("Session");
  return session;
}

/** providerNotes are private to the provider side: null for CLIENT viewers. */
export function providerNotesFor(ctx: RequestContext, session: SessionRow): string | null {
  return ctx.viewer.role === "CLIENT" ? null : session.providerNotes;
}
