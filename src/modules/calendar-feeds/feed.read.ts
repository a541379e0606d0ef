import { and, asc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client.js";
import { calendarFeeds, sessions, tenants, users, type SessionRow } from "../../db/schema/index.js";
import { visibleSessionsWhere } from "../../rules/session-visibility.js";
import { DAY } from "../../time.js";
import { visibleSessionPartiesWhere } from "../tenants/index.js";
import { hashToken, TOKEN_PATTERN } from "./feed.service.js";

/** The window a feed covers, around the moment it is read. */
export const FEED_DAYS_BACK = 30;
export const FEED_DAYS_AHEAD = 365;
/** At most this many sessions (the earliest first): a feed is a schedule, not an export. */
export const MAX_FEED_EVENTS = 2_000;

/**
 * What a feed shows of a session. Chosen column by column: notes, provider notes, feedback,
 * description and cancellation reason are never read, so they cannot reach a calendar.
 */
export type FeedSession = Pick<
  SessionRow,
  "id" | "title" | "modality" | "location" | "startsAt" | "endsAt" | "status" | "revision" | "createdAt" | "updatedAt"
> & {
  /** The session's other party (the client of a provider's session, the provider of a client's), when the user may see them. */
  otherName: string | null;
};

export interface FeedContent {
  tenantName: string;
  sessions: FeedSession[];
}

/**
 * The tenant and user a live token names, or undefined (unknown, revoked, or not a token at all).
 * Read on the owner connection, since no tenant is known yet (calendar_feeds is not FORCE RLS);
 * one indexed lookup of the hash, the same for an unknown and a revoked token.
 */
export async function findLiveFeed(
  database: Database,
  token: string,
): Promise<{ tenantId: number; userId: number } | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const [feed] = await database.db
    .select({ tenantId: calendarFeeds.tenantId, userId: calendarFeeds.userId })
    .from(calendarFeeds)
    .where(and(eq(calendarFeeds.tokenHash, hashToken(token)), isNull(calendarFeeds.revokedAt)));
  return feed;
}

/**
 * The user's sessions from FEED_DAYS_BACK before `now` to FEED_DAYS_AHEAD after, read in a
 * tenant transaction as the app role (row-level security) and as that user: the sessions they
 * may see (the rule GraphQL applies) that are their own, given or attended (so an ADMIN's feed
 * is their own calendar, not the whole practice's). undefined when the user may no longer sign
 * in (inactive or deleted): their URL answers like an unknown one.
 */
export function readFeed(
  database: Database,
  feed: { tenantId: number; userId: number },
  now: Date,
): Promise<FeedContent | undefined> {
  return database.withTenant(feed.tenantId, async (tx) => {
    const [viewer] = await tx
      .select({ id: users.id, role: users.role, tenantName: tenants.name })
      .from(users)
      .innerJoin(tenants, eq(tenants.id, users.tenantId))
      .where(and(eq(users.id, feed.userId), eq(users.status, "active"), isNull(users.deletedAt)));
    if (!viewer) return undefined;
    const from = new Date(now.getTime() - FEED_DAYS_BACK * DAY);
    const to = new Date(now.getTime() + FEED_DAYS_AHEAD * DAY);
    const other = sql`case when ${sessions.providerId} = ${viewer.id} then ${sessions.clientId} else ${sessions.providerId} end`;
    const rows = await tx
      .select({
        id: sessions.id,
        title: sessions.title,
        modality: sessions.modality,
        location: sessions.location,
        startsAt: sessions.startsAt,
        endsAt: sessions.endsAt,
        status: sessions.status,
        revision: sessions.revision,
        createdAt: sessions.createdAt,
        updatedAt: sessions.updatedAt,
        otherName: users.name,
      })
      .from(sessions)
      .leftJoin(users, and(eq(users.id, other), visibleSessionPartiesWhere(viewer)))
      .where(
        and(
          visibleSessionsWhere(viewer),
          or(eq(sessions.providerId, viewer.id), eq(sessions.clientId, viewer.id)),
          lt(sessions.startsAt, to),
          gt(sessions.endsAt, from),
        ),
      )
      .orderBy(asc(sessions.startsAt), asc(sessions.id))
      .limit(MAX_FEED_EVENTS);
    return { tenantName: viewer.tenantName, sessions: rows };
  });
}
