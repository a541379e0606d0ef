/**
 * A local fake of Twilio's Video REST API (just Rooms and Participants) and of Messaging's
 * message create (reminder SMS), plus a twilio
 * RequestClient that sends `https://*.twilio.com` traffic to it. The REAL twilio client
 * (URL building, auth header, paging, error parsing) runs unchanged; only the wire ends here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";
// Type only: the option/response shapes of RequestClient.request (not re-exported by the index).
import type RequestClient from "twilio/lib/base/RequestClient.js";

export interface FakeParticipant {
  sid: string;
  identity: string;
  status: "connected" | "disconnected";
  duration?: number | null;
  start_time?: string | null;
  end_time?: string | null;
}

export interface FakeRoom {
  sid: string;
  status: "in-progress" | "completed" | "failed";
  duration?: number | null;
  date_created?: string;
  end_time?: string | null;
  participants?: FakeParticipant[];
}

export interface RecordedRequest {
  method: string;
  /** Host the client meant to reach (e.g. video.twilio.com), before the rewrite. */
  host: string | undefined;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
}

const ACCOUNT_SID = `AC${"0".repeat(32)}`;
const BASE = "https://video.twilio.com/v1";

/** An SMS the fake accepted (Messages.json), as Twilio received its form fields. */
export interface FakeMessage {
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
}

export class FakeTwilio {
  readonly requests: RecordedRequest[] = [];
  readonly messages: FakeMessage[] = [];
  private readonly rooms = new Map<string, FakeRoom & { unique_name: string }>();
  private failure: number | "hang" | null = null;
  private delayMs = 0;

  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:<port> */
    readonly url: string,
  ) {}

  static async start(): Promise<FakeTwilio> {
    let fake!: FakeTwilio;
    const server = createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeTwilio(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** Program a room (replaces any room with the same unique name). */
  setRoom(uniqueName: string, room: FakeRoom): void {
    this.rooms.set(uniqueName, { ...room, unique_name: uniqueName });
  }

  /** Answer every request with this HTTP status (Twilio error JSON), or never answer ("hang"); null restores. */
  failWith(failure: number | "hang" | null): void {
    this.failure = failure;
  }

  /** Answer every request only after this long: a slow Twilio (0 restores). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  reset(): void {
    this.rooms.clear();
    this.requests.length = 0;
    this.messages.length = 0;
    this.failure = null;
    this.delayMs = 0;
  }

  /** A RequestClient for `twilio(..., { httpClient })` that talks to this server. */
  httpClient(opts?: RequestClient.RequestClientOptions): FakeTwilioRequestClient {
    return new FakeTwilioRequestClient(this.url, opts);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections(); // keep-alive sockets would hold close() open
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.delayMs) {
      const timer = setTimeout(() => this.answer(req, res), this.delayMs);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    this.answer(req, res);
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.url);
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({
      method: req.method ?? "",
      host: req.headers.host,
      path: url.pathname,
      query,
      authorization: req.headers.authorization,
    });

    if (this.failure === "hang") return; // the client's timeout has to fire
    if (this.failure !== null)
      return send(res, this.failure, twilioError(this.failure, 20500, "Internal Server Error"));

    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent); // ["v1", "Rooms", ...]
    // POST /2010-04-01/Accounts/{sid}/Messages.json (form-encoded To, From | MessagingServiceSid, Body)
    if (req.method === "POST" && parts[0] === "2010-04-01" && parts[3] === "Messages.json") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        const message = {
          to: form.get("To") ?? "",
          from: form.get("From") ?? undefined,
          messagingServiceSid: form.get("MessagingServiceSid") ?? undefined,
          body: form.get("Body") ?? "",
        };
        this.messages.push(message);
        const sid = `SM${String(this.messages.length).padStart(32, "0")}`;
        send(res, 201, { sid, account_sid: parts[2], status: "queued", ...message });
      });
      return;
    }
    if (req.method !== "GET" || parts[0] !== "v1" || parts[1] !== "Rooms")
      return send(res, 404, notFound(url.pathname));

    if (parts.length === 2) {
      // GET /v1/Rooms?Status=&UniqueName=  (Status defaults to in-progress, as on Twilio)
      const status = query.Status ?? "in-progress";
      const rooms = [...this.rooms.values()].filter(
        (r) => r.status === status && (!query.UniqueName || r.unique_name === query.UniqueName),
      );
      return send(res, 200, page("rooms", url, rooms.map(roomJson)));
    }

    const room = this.lookup(parts[2]);
    if (!room) return send(res, 404, notFound(url.pathname));
    if (parts.length === 3) return send(res, 200, roomJson(room));

    if (parts.length === 4 && parts[3] === "Participants") {
      // Twilio's default: connected ones for an in-progress room, disconnected ones otherwise.
      const status = query.Status ?? (room.status === "in-progress" ? "connected" : "disconnected");
      const participants = (room.participants ?? []).filter((p) => p.status === status);
      return send(
        res,
        200,
        page(
          "participants",
          url,
          participants.map((p) => participantJson(room, p)),
        ),
      );
    }
    return send(res, 404, notFound(url.pathname));
  }

  /** By sid (any status) or by unique name (in-progress only, as on Twilio). */
  private lookup(sidOrName: string) {
    const all = [...this.rooms.values()];
    return (
      all.find((r) => r.sid === sidOrName) ?? all.find((r) => r.unique_name === sidOrName && r.status === "in-progress")
    );
  }
}

/** Sends `https://*.twilio.com/...` to the fake server; everything else is the real RequestClient. */
export class FakeTwilioRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    opts?: RequestClient.RequestClientOptions,
  ) {
    super(opts);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    if (target.protocol === "https:" && /(^|\.)twilio\.com$/.test(target.hostname)) {
      const rewritten = new URL(target.pathname + target.search, this.baseUrl);
      // Keep the intended host visible to the fake, like a transparent proxy would.
      opts = { ...opts, uri: rewritten.href, headers: { ...opts.headers, Host: target.host } };
    }
    return super.request(opts);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function twilioError(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

const notFound = (path: string) =>
  twilioError(404, 20404, `The requested resource ${path.replace(/^\/v1/, "")} was not found`);

/** Twilio's list envelope: records under meta.key, single page. */
function page(key: string, url: URL, records: unknown[]) {
  const self = `${BASE}${url.pathname.replace(/^\/v1/, "")}?PageSize=50&Page=0`;
  return {
    [key]: records,
    meta: {
      page: 0,
      page_size: 50,
      first_page_url: self,
      previous_page_url: null,
      url: self,
      next_page_url: null,
      key,
    },
  };
}

function roomJson(room: FakeRoom & { unique_name: string }) {
  const created = room.date_created ?? new Date().toISOString();
  return {
    sid: room.sid,
    status: room.status,
    date_created: created,
    date_updated: created,
    account_sid: ACCOUNT_SID,
    enable_turn: true,
    unique_name: room.unique_name,
    status_callback: null,
    status_callback_method: "POST",
    end_time: room.end_time ?? null,
    duration: room.duration ?? null,
    type: "group",
    max_participants: 50,
    max_participant_duration: 14400,
    max_concurrent_published_tracks: 170,
    record_participants_on_connect: false,
    video_codecs: ["VP8", "H264"],
    media_region: "us1",
    audio_only: false,
    empty_room_timeout: 5,
    unused_room_timeout: 5,
    large_room: false,
    url: `${BASE}/Rooms/${room.sid}`,
    links: {
      participants: `${BASE}/Rooms/${room.sid}/Participants`,
      recordings: `${BASE}/Rooms/${room.sid}/Recordings`,
    },
  };
}

function participantJson(room: FakeRoom, p: FakeParticipant) {
  const start = p.start_time ?? null;
  return {
    sid: p.sid,
    room_sid: room.sid,
    account_sid: ACCOUNT_SID,
    status: p.status,
    identity: p.identity,
    date_created: start,
    date_updated: start,
    start_time: start,
    end_time: p.end_time ?? null,
    duration: p.duration ?? null,
    url: `${BASE}/Rooms/${room.sid}/Participants/${p.sid}`,
    links: {
      published_tracks: `${BASE}/Rooms/${room.sid}/Participants/${p.sid}/PublishedTracks`,
      subscribed_tracks: `${BASE}/Rooms/${room.sid}/Participants/${p.sid}/SubscribedTracks`,
      subscribe_rules: `${BASE}/Rooms/${room.sid}/Participants/${p.sid}/SubscribeRules`,
    },
  };
}
