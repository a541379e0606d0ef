/**
 * The video service behind a small interface, so the rest of the app never depends on one
 * vendor's SDK (only the Twilio adapter imports `twilio`) and tests can substitute a fake.
 */

export interface VideoParticipantSnapshot {
  sid: string;
  identity: string;
  /** Provider's participant status, e.g. "connected" / "disconnected". */
  status: string;
  durationSeconds: number | null;
  connectedAt: Date | null;
}

export interface VideoRoomSnapshot {
  roomName: string;
  /** null when the provider does not know the room (status "not-started"). */
  roomSid: string | null;
  /** "not-started" when unknown to the provider, else the provider's status ("in-progress", "completed", "failed"). */
  status: string;
  participants: VideoParticipantSnapshot[];
  durationSeconds: number | null;
  createdAt: Date | null;
}

export interface IssueTokenInput {
  identity: string;
  roomName: string;
  /** Requested lifetime; providers may cap it (Twilio: 24 h). */
  ttlSeconds: number;
}

export interface VideoProvider {
  /** A signed access token (JWT) letting `identity` join `roomName`. Works offline. */
  issueToken(input: IssueTokenInput): string;
  /** Current state of a room; status "not-started" with [] participants when the provider does not know it. */
  roomStatus(roomName: string): Promise<VideoRoomSnapshot>;
}

/** The provider could not answer: unreachable, timed out, 5xx, or an unexpected reply. */
export class VideoProviderError extends Error {
  override name = "VideoProviderError";
}

/** The snapshot of a room the provider has never seen (or no longer knows). */
export const notStartedRoom = (roomName: string): VideoRoomSnapshot => ({
  roomName,
  roomSid: null,
  status: "not-started",
  participants: [],
  durationSeconds: null,
  createdAt: null,
});
