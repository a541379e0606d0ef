/**
 * Scenario 6: many slotsChanged subscribers on one provider, one graphql-ws socket each. A
 * booking's commit is taken as the moment the bench's own LISTEN on the outbox channel hears
 * it (the same notification the server fans out from); each subscriber's latency is from that
 * moment to its first message after the booking.
 */
import { GRAPHQL_TRANSPORT_WS_PROTOCOL as GRAPHQL_TRANSPORT_WS } from "graphql-ws";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { Socket } from "node:net";
import type postgres from "postgres";
import { EVENTS_CHANNEL } from "../../src/modules/events/outbox.js";
import { processCpuMs } from "./cpu.js";
import { percentile, sortedOf } from "./load.js";
import { BOOK_SESSION, graphql, SLOTS_CHANGED } from "./requests.js";

export interface FanOutInput {
  baseUrl: string;
  /** One per subscriber. */
  subscriberTokens: string[];
  bookerToken: string;
  providerId: number;
  from: string;
  to: string;
  /** Booked one at a time; the first is a warm-up and not measured. */
  bookings: { clientId: number; startsAt: Date; durationMinutes: number; title: string }[];
  listenSql: postgres.Sql;
  /** The server's process, for its CPU time during the deliveries. */
  serverPid: number;
  rssMiB: () => number;
  /** A full GC in the server, then its JS heap in use (MiB). */
  collectGarbage: () => Promise<number>;
}

export type FanOutResult =
  | { skipped: string }
  | {
      subscribers: number;
      connectSeconds: number;
      measuredBookings: number;
      deliveries: number;
      missed: number;
      p50Ms: number;
      p99Ms: number;
      errors: number;
      errorSamples: string[];
      /** After a full GC, before the subscribers connect / with all of them connected / after they left. */
      heapBeforeMiB: number;
      heapDuringMiB: number;
      heapAfterMiB: number;
      rssBeforeMiB: number;
      /** The peak while the bookings were delivered. */
      rssDuringMiB: number;
      rssAfterMiB: number;
      /** From the disconnect to the "after" reading. */
      settleSeconds: number;
      /** From the first booking to the last delivery, in µs of the monotonic clock (for a CPU profile's window). */
      deliveryWindowUs: [number, number];
      /** CPU ms per booking (its mutation and its fan-out to every subscriber) of the server and of this process (the subscribers' side). */
      serverCpuMsPerBooking: number;
      generatorCpuMsPerBooking: number;
    };

interface Subscriber {
  receipts: number[];
  connected: Promise<void>;
  errors: string[];
  /** Closes the socket; resolves once it is closed. */
  dispose(): Promise<void>;
}

/**
 * One subscriber: a socket speaking graphql-transport-ws (connection_init, subscribe, then next
 * messages; pings answered) over a WebSocket framed by hand on a plain TCP socket. Not
 * graphql-ws's client (about 70 µs of this process's CPU per message) nor ws's (about 40 µs:
 * a Writable stream per socket, UTF-8 validation, a string per message): with 10,000 sockets in
 * one process on the server's machine, the bench itself was then what the last receipts waited
 * for. The server's frames are unmasked (RFC 6455 5.1); ours are masked, as a client's must be.
 */
function subscriber(url: string, token: string, subscribe: { query: string; variables: unknown }): Subscriber {
  const errors: string[] = [];
  const receipts: number[] = [];
  let onConnected!: () => void;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  let disposed = false;
  let socket: Socket | undefined;
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const fail = (message: string) => {
    errors.push(message);
    onConnected();
    onClosed();
  };

  const target = new URL(url);
  const request = http.request({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    agent: false,
    headers: {
      Connection: "Upgrade",
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      "Sec-WebSocket-Protocol": GRAPHQL_TRANSPORT_WS,
    },
  });
  request.on("error", (err) => fail(err.message));
  request.on("response", (response) => fail(`no WebSocket upgrade: HTTP ${response.statusCode}`));
  request.on("upgrade", (_response, upgraded: Socket, head: Buffer) => {
    socket = upgraded;
    socket.setNoDelay(true);
    let pending = head.length ? head : EMPTY;
    socket.on("data", (chunk: Buffer) => {
      const at = performance.now();
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        const frame = nextFrame(pending);
        if (!frame) break;
        pending = pending.subarray(frame.end);
        if (frame.opcode === TEXT) onText(frame.payload, at);
        else if (frame.opcode === PING) send(PONG, frame.payload);
        else if (frame.opcode === CLOSE) {
          if (!disposed) errors.push(`socket closed ${frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : ""}`);
          socket!.end();
        }
      }
    });
    socket.on("error", (err) => errors.push(err.message));
    socket.once("close", () => {
      if (!disposed && !errors.length) errors.push("socket closed");
      onConnected();
      onClosed();
    });
    sendJson({ type: "connection_init", payload: { authorization: `Bearer ${token}` } });
  });
  request.end();

  function send(opcode: number, payload: Buffer): void {
    socket?.write(maskedFrame(opcode, payload));
  }
  function sendJson(message: unknown): void {
    send(TEXT, Buffer.from(JSON.stringify(message)));
  }
  function onText(payload: Buffer, at: number): void {
    // A result is parsed only when it has errors: 10,000 JSON.parse calls per booking would add to what the last receipts wait for.
    if (payload.subarray(0, NEXT.length).equals(NEXT) && payload.indexOf(ERRORS) < 0) return void receipts.push(at);
    const message = JSON.parse(payload.toString()) as { type: string; payload?: { errors?: { message: string }[] } };
    if (message.type === "next") {
      if (message.payload?.errors?.length) errors.push(message.payload.errors.map((e) => e.message).join("; "));
      else receipts.push(at);
    } else if (message.type === "connection_ack") {
      sendJson({ id: "1", type: "subscribe", payload: subscribe });
      onConnected();
    } else if (message.type === "ping") sendJson({ type: "pong" });
    else if (message.type === "error") errors.push(JSON.stringify(message.payload));
  }
  return {
    receipts,
    connected,
    errors,
    dispose() {
      disposed = true;
      if (socket && !socket.destroyed) {
        send(CLOSE, Buffer.from([0x03, 0xe8])); // 1000: normal closure
        socket.end();
      } else onClosed();
      return closed;
    },
  };
}

const EMPTY = Buffer.alloc(0);
const TEXT = 0x1;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

/** The first whole frame in data (an unmasked server frame; this bench's messages are never fragmented), or undefined. */
function nextFrame(data: Buffer): { opcode: number; payload: Buffer; end: number } | undefined {
  if (data.length < 2) return undefined;
  let length = data[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  if (data.length < offset + length) return undefined;
  return { opcode: data[0] & 0x0f, payload: data.subarray(offset, offset + length), end: offset + length };
}

/** A final client frame: masked with a random key. */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const lengthBytes = payload.length < 126 ? 0 : payload.length < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + 4 + payload.length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | payload.length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const maskAt = 2 + lengthBytes;
  randomBytes(4).copy(frame, maskAt);
  for (let i = 0; i < payload.length; i++) frame[maskAt + 4 + i] = payload[i] ^ frame[maskAt + (i & 3)];
  return frame;
}

/** How the server's "next" messages for the one subscription ("1") of a socket begin. */
const NEXT = Buffer.from('{"id":"1","type":"next",');
const ERRORS = Buffer.from('"errors":');

export async function subscriptionFanOut(input: FanOutInput): Promise<FanOutResult> {
  const wsUrl = `${input.baseUrl.replace(/^http/, "ws")}/graphql`;
  const request = {
    query: SLOTS_CHANGED,
    variables: { providerId: String(input.providerId), from: input.from, to: input.to },
  };
  const subscribe = (token: string) => subscriber(wsUrl, token, request);

  const heapBeforeMiB = await input.collectGarbage();
  const rssBeforeMiB = input.rssMiB();
  // One subscriber first: a server without the subscription answers it with an error.
  const probe = subscribe(input.subscriberTokens[0]);
  await probe.connected;
  await sleep(500);
  if (probe.errors.length) {
    await probe.dispose();
    return { skipped: `slotsChanged subscription not available: ${probe.errors[0].slice(0, 160)}` };
  }

  const started = performance.now();
  const subscribers = [probe];
  for (let i = 1; i < input.subscriberTokens.length; i += 50) {
    const batch = input.subscriberTokens.slice(i, i + 50).map(subscribe);
    await Promise.all(batch.map((s) => s.connected));
    subscribers.push(...batch);
  }
  const connectSeconds = (performance.now() - started) / 1000;
  await quiet(subscribers);

  const commits: number[] = [];
  const { unlisten } = await input.listenSql.listen(EVENTS_CHANNEL, () => commits.push(performance.now()));
  const latencies: number[] = [];
  let missed = 0;
  const bookingErrors: string[] = [];
  let peak = input.rssMiB();
  const deliveryFrom = nowUs();
  const serverCpu0 = processCpuMs(input.serverPid);
  const generatorCpu0 = process.cpuUsage();
  try {
    for (const [k, booking] of input.bookings.entries()) {
      const seen = subscribers.map((s) => s.receipts.length);
      const commitsBefore = commits.length;
      const response = await graphql<{ bookSession: { id: string } }>(input.baseUrl, input.bookerToken, BOOK_SESSION, {
        input: {
          providerId: String(input.providerId),
          clientId: String(booking.clientId),
          startsAt: booking.startsAt.toISOString(),
          durationMinutes: booking.durationMinutes,
          title: booking.title,
        },
      });
      if (!response.data?.bookSession) {
        bookingErrors.push(`booking ${k} failed: ${response.text.slice(0, 200)}`);
        continue;
      }
      await until(
        () => commits.length > commitsBefore && subscribers.every((s, i) => s.receipts.length > seen[i]),
        10_000,
        10,
      );
      peak = Math.max(peak, input.rssMiB());
      const commit = commits[commitsBefore];
      if (k > 0 && commit !== undefined) {
        for (const [i, s] of subscribers.entries()) {
          const receipt = s.receipts[seen[i]];
          if (receipt === undefined) missed += 1;
          else latencies.push(receipt - commit);
        }
      }
      await quiet(subscribers);
    }
  } finally {
    await unlisten();
  }
  const deliveryWindowUs: [number, number] = [deliveryFrom, nowUs()];
  // The quiet() waits after each booking are idle for both sides; the CPU is that of the bookings and their deliveries.
  const generatorCpu = process.cpuUsage(generatorCpu0);
  const serverCpuMsPerBooking = (processCpuMs(input.serverPid) - serverCpu0) / input.bookings.length;
  const generatorCpuMsPerBooking = (generatorCpu.user + generatorCpu.system) / 1000 / input.bookings.length;
  const rssDuringMiB = Math.max(peak, input.rssMiB());
  const heapDuringMiB = await input.collectGarbage();
  const errorSamples = [...new Set([...bookingErrors, ...subscribers.flatMap((s) => s.errors)])].slice(0, 3);
  const errors = bookingErrors.length + subscribers.reduce((n, s) => n + s.errors.length, 0);

  await Promise.all(subscribers.map((s) => s.dispose()));
  // Memory after they leave, once the server has seen the sockets close: read every second
  // until both heap and RSS are back within 10% of the start, for at most 10 s.
  const leftAt = performance.now();
  let heapAfterMiB: number;
  let rssAfterMiB: number;
  do {
    await sleep(1000);
    heapAfterMiB = await input.collectGarbage();
    rssAfterMiB = input.rssMiB();
  } while (
    (heapAfterMiB > heapBeforeMiB * 1.1 || rssAfterMiB > rssBeforeMiB * 1.1) &&
    performance.now() - leftAt < 10_000
  );
  const sorted = sortedOf(latencies);
  return {
    subscribers: subscribers.length,
    connectSeconds,
    measuredBookings: input.bookings.length - 1,
    deliveries: latencies.length,
    missed,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
    errorSamples,
    heapBeforeMiB,
    heapDuringMiB,
    heapAfterMiB,
    rssBeforeMiB,
    rssDuringMiB,
    rssAfterMiB,
    settleSeconds: (performance.now() - leftAt) / 1000,
    deliveryWindowUs,
    serverCpuMsPerBooking,
    generatorCpuMsPerBooking,
  };
}

/** Waits until no subscriber has received anything for 300 ms (at most 5 s). */
async function quiet(subscribers: Subscriber[]): Promise<void> {
  const total = () => subscribers.reduce((n, s) => n + s.receipts.length, 0);
  const deadline = performance.now() + 5_000;
  let last = -1;
  while (performance.now() < deadline) {
    const now = total();
    if (now === last) return;
    last = now;
    await sleep(300);
  }
}

/** Polls done every pollMs (receipts are timed when they arrive, not when this notices). */
async function until(done: () => boolean, timeoutMs: number, pollMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done() && performance.now() < deadline) await sleep(pollMs);
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
