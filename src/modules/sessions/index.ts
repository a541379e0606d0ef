/**
 * TEMPORARY (branch r-rest-bodies), replaced at merge by the sessions module's own index.ts:
 * only what the REST shims of this branch import, and a reassignSession that throws.
 */
import type { SessionRow } from "../../db/schema/index.js";
import type { RequestContext } from "../context.js";

export { bookSession, cancelSession, deleteSession, getVisibleSession, listAllSessions, listSessionsPage, sessionStats, updateSession, type SessionFilter } from "./session.service.js";
export { MAX_PAGE_SIZE } from "./session.query.js";
export { sessionTiming } from "./session.timing.js";

export async function reassignSession(_ctx: RequestContext, _id: number, _change: { providerId?: number; clientId?: number }): Promise<SessionRow> {
  throw new Error("reassignSession is not on this branch yet (the sessions module brings it at merge)");
}
