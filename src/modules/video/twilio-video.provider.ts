/**
 * Twilio Programmable Video behind VideoProvider, and Twilio Messaging for the reminders' SMS
 * (same account credentials). The ONLY module that imports `twilio`.
 */
import twilio from "twilio";
import {
  notStartedRoom,
  VideoProviderError,
  type IssueTokenInput,
  type VideoParticipantSnapshot,
  type VideoProvider,
  type VideoRoomSnapshot,
} from "./video.provider.js";

// twilio is CommonJS (`export =`): under ESM the default import is the whole SDK object.
const { AccessToken } = twilio.jwt;
const { VideoGrant } = AccessToken;

/** Twilio rejects access tokens that live longer than 24 h. */
export const MAX_TOKEN_TTL_SECONDS = 86_400;

export interface TwilioVideoConfig {
  accountSid: string;
  /** API key (SK...) and its secret: sign the access tokens AND authenticate the REST calls. */
  apiKeySid: string;
  apiKeySecret: string;
  /** Tests inject a RequestClient that points at a local fake server. */
  httpClient?: twilio.RequestClient;
  /** Per-request timeout for the default HTTP client (ms). */
  timeoutMs?: number;
}

export class TwilioVideoProvider implements VideoProvider {
  private readonly client: twilio.Twilio;

  constructor(private readonly config: TwilioVideoConfig) {
    // API-key auth: key sid/secret are the Basic credentials; the account sid must be given separately.
    this.client = twilio(config.apiKeySid, config.apiKeySecret, {
      accountSid: config.accountSid,
      httpClient: config.httpClient,
      timeout: config.timeoutMs ?? 10_000,
    });
  }

  issueToken({ identity, roomName, ttlSeconds }: IssueTokenInput): string {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 1)
      throw new RangeError(`ttlSeconds must be >= 1, got ${ttlSeconds}`);
    const ttl = Math.min(Math.floor(ttlSeconds), MAX_TOKEN_TTL_SECONDS);
    const token = new AccessToken(this.config.accountSid, this.config.apiKeySid, this.config.apiKeySecret, {
      identity,
      ttl,
    });
    token.addGrant(new VideoGrant({ room: roomName }));
    return token.toJwt();
  }

  async roomStatus(roomName: string): Promise<VideoRoomSnapshot> {
    try {
      const room = await this.findRoom(roomName);
      if (!room) return notStartedRoom(roomName);
      return {
        roomName,
        roomSid: room.sid,
        status: room.status,
        participants: await this.participants(room.sid),
        durationSeconds: asInt(room.duration),
        createdAt: asDate(room.dateCreated),
      };
    } catch (err) {
      throw new VideoProviderError(`Twilio video service error: ${describe(err)}`, { cause: err });
    }
  }

  /** The room by unique name, or null when Twilio does not know it. */
  private async findRoom(roomName: string) {
    const rooms = this.client.video.v1.rooms;
    try {
      return await rooms(roomName).fetch();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // A unique name only addresses an in-progress room; a finished session is found by listing.
    const completed = await rooms.list({ uniqueName: roomName, status: "completed", limit: 20 });
    return (
      completed.sort((a, b) => (asDate(b.dateCreated)?.getTime() ?? 0) - (asDate(a.dateCreated)?.getTime() ?? 0))[0] ??
      null
    );
  }

  /** Everyone who joined: without a filter Twilio lists only `connected` ones for an in-progress room. */
  private async participants(roomSid: string): Promise<VideoParticipantSnapshot[]> {
    const participants = this.client.video.v1.rooms(roomSid).participants;
    const [connected, disconnected] = await Promise.all([
      participants.list({ status: "connected" }),
      participants.list({ status: "disconnected" }),
    ]);
    const bySid = new Map<string, VideoParticipantSnapshot>();
    for (const p of [...connected, ...disconnected]) {
      bySid.set(p.sid, {
        sid: p.sid,
        identity: p.identity,
        status: p.status,
        durationSeconds: asInt(p.duration),
        connectedAt: asDate(p.startTime),
      });
    }
    return [...bySid.values()];
  }
}

/** Sends one SMS through Twilio Messaging; what it throws says why without the message or the number. */
export interface SmsSender {
  send(to: string, body: string): Promise<void>;
}

/**
 * Twilio Messaging's `messages.create` from `from`: a phone number, or a messaging service
 * (its sid starts with MG).
 */
export class TwilioSmsSender implements SmsSender {
  private readonly client: twilio.Twilio;

  constructor(
    config: TwilioVideoConfig,
    private readonly from: string,
  ) {
    this.client = twilio(config.apiKeySid, config.apiKeySecret, {
      accountSid: config.accountSid,
      httpClient: config.httpClient,
      timeout: config.timeoutMs ?? 10_000,
    });
  }

  async send(to: string, body: string): Promise<void> {
    const sender = /^MG[0-9a-f]{32}$/i.test(this.from) ? { messagingServiceSid: this.from } : { from: this.from };
    try {
      await this.client.messages.create({ to, body, ...sender });
    } catch (err) {
      // Twilio's message text can quote the number: only its status and code leave here.
      const { status, code } = (err ?? {}) as { status?: unknown; code?: unknown };
      const tags = [typeof status === "number" ? `HTTP ${status}` : null, code != null ? `code ${String(code)}` : null];
      throw new Error(`Twilio Messaging failed: ${tags.filter(Boolean).join(", ") || "no answer"}`, {
        cause: err,
      });
    }
  }
}

// twilio-node's deserializers hand back null, or the raw value when it does not parse, despite the typings.
const asDate = (v: unknown): Date | null => (v instanceof Date && !Number.isNaN(v.getTime()) ? v : null);
const asInt = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Twilio's "resource not found": RestException (or its RFC 9457 variant) with HTTP 404 / code 20404. */
function isNotFound(err: unknown): boolean {
  const e = err as { status?: unknown; code?: unknown } | null;
  return typeof e === "object" && e !== null && (e.status === 404 || e.code === 20404);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { status, code } = err as Error & { status?: unknown; code?: unknown };
  const tags = [
    typeof status === "number" ? `HTTP ${status}` : null,
    code != null ? `code ${String(code)}` : null,
  ].filter(Boolean);
  return tags.length ? `${err.message} (${tags.join(", ")})` : err.message;
}
