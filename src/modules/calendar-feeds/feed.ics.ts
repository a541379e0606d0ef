import { createHash } from "node:crypto";
import ical, { ICalEventStatus, ICalEventTransparency } from "ical-generator";
import type { Modality, SessionStatus } from "../../db/schema/index.js";
import { sessionUid } from "../reminders/index.js";
import type { FeedContent, FeedSession } from "./feed.read.js";

const PROD_ID = { company: "sessiongraph", product: "calendar feed", language: "EN" };
/** How often calendar clients are asked to fetch again (REFRESH-INTERVAL, X-PUBLISHED-TTL). */
const REFRESH_SECONDS = 3600;

/** A session that did not happen is CANCELLED; one not yet confirmed is TENTATIVE. */
const STATUS: Record<SessionStatus, ICalEventStatus> = {
  SCHEDULED: ICalEventStatus.TENTATIVE,
  CONFIRMED: ICalEventStatus.CONFIRMED,
  COMPLETED: ICalEventStatus.CONFIRMED,
  NO_SHOW: ICalEventStatus.CONFIRMED,
  CANCELLED: ICalEventStatus.CANCELLED,
};

/** Where a session without a location of its own takes place. */
const ONLINE_LOCATION: Record<Modality, string | null> = {
  VIDEO: "Video session",
  AUDIO: "Audio call",
  CHAT: "Chat session",
  IN_PERSON: null,
};

/**
 * The feed as RFC 5545 text: one VEVENT per session, UID sessionUid (the same as in reminder
 * invitations, stable, so a calendar updates the event in place), start and end in UTC, SEQUENCE the session's revision
 * (it grows with every change of the row), DTSTAMP and LAST-MODIFIED its last change, so the
 * same sessions always give the same bytes (the ETag is their hash). SUMMARY is the session's
 * title or "Session with <the other party>", LOCATION its location or its modality; nothing else
 * of the session is written (FeedSession holds nothing else).
 */
export function renderFeed(content: FeedContent): string {
  const calendar = ical({ name: content.tenantName, prodId: PROD_ID, ttl: REFRESH_SECONDS });
  for (const session of content.sessions) {
    calendar.createEvent({
      id: sessionUid(session.id),
      start: session.startsAt,
      end: session.endsAt,
      stamp: session.updatedAt,
      created: session.createdAt,
      lastModified: session.updatedAt,
      sequence: session.revision,
      status: STATUS[session.status],
      // A cancelled session keeps its place in the calendar without making the time busy.
      transparency: session.status === "CANCELLED" ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
      summary: summaryOf(session),
      location: session.location?.trim() || ONLINE_LOCATION[session.modality],
    });
  }
  return calendar.toString();
}

function summaryOf(session: FeedSession): string {
  const title = session.title?.trim();
  if (title) return title;
  return session.otherName ? `Session with ${session.otherName}` : "Session";
}

/** A strong ETag: the body's SHA-256 (any change of what the feed shows changes it). */
export function etagOf(body: string): string {
  return `"${createHash("sha256").update(body).digest("base64url")}"`;
}

/** If-None-Match (RFC 9110 §13.1.2, weak comparison): "*" or any listed tag equal to ours. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}
