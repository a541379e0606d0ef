import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { calendarFeeds, users, type UserRow } from "../../db/schema/index.js";
import { conflict, forbidden, notFound, words } from "../../errors.js";
import type { RequestContext } from "../context.js";
import { userById } from "../tenants/index.js";

/** 32 random bytes (256 bits) in base64url without padding: 43 characters. */
const TOKEN_BYTES = 32;
/** What a token looks like; any other path is answered like an unknown token, without a lookup. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The stored form of a token: only this is kept, so the table cannot give a URL away. */
export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

export const feedUrl = (publicBaseUrl: string, token: string): string => `${publicBaseUrl}/calendar/${token}.ics`;

/** The id is the feed row's (the audit names it); only the url is a GraphQL field. */
export interface CalendarFeedResult {
  id: number;
  url: string;
}

/**
 * A secret calendar URL for a user: the caller's own, or (an ADMIN) anyone's of the tenant.
 *
 * The token is shown only here, once: the table keeps its hash. So without `rotate` a user who
 * has a live URL is answered CONFLICT CALENDAR_FEED_EXISTS and nothing changes (a repeated or
 * retried call never breaks a subscription already pasted into a calendar); `rotate: true`
 * revokes the live URL and makes a new one in the same transaction.
 *
 * One live URL per user is the database's rule (the unique index calendar_feeds_live_user_key):
 * an insert that meets a live URL inserts nothing. Calls for one user queue on the user's row,
 * so concurrent rotations each revoke the URL the one before made, and end with exactly one.
 */
export async function calendarFeed(
  ctx: RequestContext,
  userId: number | null | undefined,
  rotate: boolean,
): Promise<CalendarFeedResult> {
  const owner = await feedOwner(ctx, userId ?? ctx.viewer.id);
  const token = randomBytes(TOKEN_BYTES).toString("base64url");
  const created = await ctx.db.atomic(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, owner.id)).for("no key update");
    const live = and(eq(calendarFeeds.userId, owner.id), isNull(calendarFeeds.revokedAt));
    if (rotate) await tx.update(calendarFeeds).set({ revokedAt: ctx.deps.now() }).where(live);
    const [row] = await tx
      .insert(calendarFeeds)
      .values({ tenantId: ctx.tenant.id, userId: owner.id, tokenHash: hashToken(token), createdBy: ctx.viewer.id })
      .onConflictDoNothing({
        target: [calendarFeeds.tenantId, calendarFeeds.userId],
        where: isNull(calendarFeeds.revokedAt),
      })
      .returning({ id: calendarFeeds.id });
    return row;
  });
  if (!created)
    throw conflict(
      "CALENDAR_FEED_EXISTS",
      "This user already has a calendar feed URL, shown only when it was made; call calendarFeed with rotate: true for a new one (the old URL stops working)",
    );
  return { id: created.id, url: feedUrl(ctx.deps.config.publicBaseUrl, token) };
}

/** Whose feed the caller may get: their own; an ADMIN anyone's of the tenant (unknown: NOT_FOUND). */
async function feedOwner(ctx: RequestContext, userId: number): Promise<UserRow> {
  if (userId === ctx.viewer.id) return ctx.viewer;
  // Refused whether or not the id exists: the answer tells nothing about other users.
  if (ctx.viewer.role !== "ADMIN") throw forbidden(words`Only an ADMIN may get another user's calendar feed`);
  const user = await ctx.loaders.get(userById).load(userId);
  if (!user) throw notFound("User");
  return user;
}
