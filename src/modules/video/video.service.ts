/**
 * Telehealth video: access tokens for a session's room and the room's live status. Transport
 * neutral: the GraphQL resolver and the legacy REST shims (video-token, video-token-refresh,
 * video-status) call these functions.
 */
import { randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { sessions, type SessionRow } from "../../db/schema/index.js";
import { badInput, instant, noun, unavailable, words } from "../../errors.js";
import { DAY, minutesBetween } from "../../time.js";
import type { RequestContext } from "../context.js";
import { getVisibleSession } from "../sessions/index.js";
import { isActive } from "../../rules/session-states.js";
import { sessionById } from "../sessions/index.js";
import { JOIN_WINDOW_OPENS_MINUTES, sessionTiming } from "../sessions/index.js";
import { notStartedRoom, VideoProviderError, type VideoProvider, type VideoRoomSnapshot } from "./video.provider.js";

/** A token outlives the session by this much, so a late finish does not cut the call. */
export const TOKEN_BUFFER_MINUTES = 30;
/** No token lives longer than a day (also Twilio's own limit). */
export const MAX_TOKEN_LIFETIME_SECONDS = DAY / 1000;

export interface VideoAccessResult {
  accessToken: string;
  roomName: string;
  identity: string;
  /** Token lifetime in seconds. */
  expiresIn: number;
  expiresAt: Date;
  sessionId: number;
  durationMinutes: number;
  /** Set when the token replaces an earlier one (the room already existed, or a refresh was asked for). */
  refreshedAt: Date | null;
}

/** The provider's snapshot of the room ("not-started" until it knows the room), for one session. */
export type VideoRoomStatusResult = Omit<VideoRoomSnapshot, "roomName"> & {
  /** null until the first token is issued (that creates the room name). */
  roomName: string | null;
  /** participants.length: everyone who joined, connected or already left. */
  participantsCount: number;
  sessionId: number;
};

export interface IssueVideoAccessOptions {
  /** The legacy refresh endpoint: refreshedAt is always set. */
  refresh?: boolean;
}

/**
 * A token that lets the caller (the session's provider or client, or an ADMIN) join the
 * session's room, creating the room name on first use. Only for active VIDEO sessions, from
 * 10 minutes before the start until the end.
 */
export async function issueVideoAccess(
  ctx: RequestContext,
  sessionId: number,
  options: IssueVideoAccessOptions = {},
): Promise<VideoAccessResult> {
  const session = await getVisibleSession(ctx, sessionId);
  const video = videoProvider(ctx);
  const now = ctx.deps.now();
  assertJoinable(session, now);

  const { roomName, created } = await ensureRoomName(ctx, session, now);
  const durationMinutes = minutesBetween(session.startsAt, session.endsAt);
  const expiresIn = Math.min((durationMinutes + TOKEN_BUFFER_MINUTES) * 60, MAX_TOKEN_LIFETIME_SECONDS);
  const identity = `${ctx.viewer.id}-${ctx.viewer.email ?? ctx.viewer.username}`;
  return {
    accessToken: video.issueToken({ identity, roomName, ttlSeconds: expiresIn }),
    roomName,
    identity,
    expiresIn,
    expiresAt: new Date(now.getTime() + expiresIn * 1000),
    sessionId: session.id,
    durationMinutes,
    refreshedAt: options.refresh || !created ? now : null,
  };
}

/**
 * The live state of the session's room, for its provider, its client or an ADMIN. Before the
 * first token there is no room name and the provider cannot know the room: "not-started",
 * without asking it. Reading never creates the room name (refreshedAt depends on who did).
 * Twilio is asked outside the request's transaction: the session is read first, and nothing
 * is written after the call.
 */
export async function videoRoomStatus(ctx: RequestContext, sessionId: number): Promise<VideoRoomStatusResult> {
  const session = await getVisibleSession(ctx, sessionId);
  const video = videoProvider(ctx);
  const roomName = session.videoRoomName;
  const snapshot = roomName
    ? await ctx.db.outside(() => roomStatusOf(video, roomName))
    : { ...notStartedRoom(""), roomName: null };
  return { ...snapshot, participantsCount: snapshot.participants.length, sessionId: session.id };
}

function videoProvider(ctx: RequestContext): VideoProvider {
  if (!ctx.deps.video) throw unavailable("video is not configured");
  return ctx.deps.video;
}

async function roomStatusOf(video: VideoProvider, roomName: string) {
  try {
    return await video.roomStatus(roomName);
  } catch (err) {
    if (err instanceof VideoProviderError)
      throw unavailable(`The video service is unavailable, try again shortly (${err.message})`);
    throw err;
  }
}

/** Active VIDEO sessions inside their join window (sessionTiming is the one rule for it). */
function assertJoinable(session: SessionRow, now: Date): void {
  if (!isActive(session)) {
    throw badInput(
      "sessionId",
      words`${noun("Session")} ${session.id} is ${session.status.toLowerCase()}: only scheduled or confirmed ${noun("sessions")} can be joined`,
    );
  }
  if (session.modality !== "VIDEO")
    throw badInput(
      "sessionId",
      words`${noun("Session")} ${session.id} is not a video ${noun("session")} (modality ${session.modality})`,
    );
  const timing = sessionTiming(session, now);
  if (timing.canJoin) return;
  if (timing.phase === "ENDED")
    throw badInput(
      "sessionId",
      words`${noun("Session")} ${session.id} ended at ${instant(session.endsAt)}; joining is closed`,
    );
  throw badInput(
    "sessionId",
    words`Joining ${noun("session")} ${session.id} opens at ${instant(timing.joinOpensAt)} (${JOIN_WINDOW_OPENS_MINUTES} minutes before it starts)`,
  );
}

/**
 * The session's room name, created once. The conditional update lets two concurrent first
 * calls agree: the loser updates nothing (waiting for the winner's row lock) and reads the
 * winner's name. created: this call made it, so no token was issued for the room before.
 */
async function ensureRoomName(
  ctx: RequestContext,
  session: SessionRow,
  now: Date,
): Promise<{ roomName: string; created: boolean }> {
  if (session.videoRoomName) return { roomName: session.videoRoomName, created: false };
  const candidate = `apt-${session.id}-${Math.floor(now.getTime() / 1000)}-${randomBytes(4).toString("hex")}`;
  const result = await ctx.db.atomic(async (tx) => {
    const [won] = await tx
      .update(sessions)
      .set({ videoRoomName: candidate })
      .where(and(eq(sessions.id, session.id), isNull(sessions.videoRoomName)))
      .returning({ roomName: sessions.videoRoomName });
    if (won?.roomName) return { roomName: won.roomName, created: true };
    const [current] = await tx
      .select({ roomName: sessions.videoRoomName })
      .from(sessions)
      .where(eq(sessions.id, session.id));
    if (!current?.roomName) throw new Error(`session ${session.id}: room name neither set nor readable`);
    return { roomName: current.roomName, created: false };
  });
  ctx.loaders.get(sessionById).clear(session.id); // the cached row still says "no room"
  return result;
}
