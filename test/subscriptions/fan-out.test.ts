import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from "graphql-ws";
import WebSocket from "ws";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { relate } from "../helpers/factories.js";
import { eventually } from "../helpers/ws.js";
import { BOOK, dataOf, iso, NOW, practiceWithHours, SESSION_CHANGED, SLOTS_CHANGED } from "./subscriptions.fixture.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof practiceWithHours>>;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await practiceWithHours(t);
  await relate(t.database, p.tenant, p.provider, p.otherClient);
});
afterAll(() => t.close());

interface Next {
  id: string;
  /** The message as it came over the wire. */
  text: string;
  payload: { data?: Record<string, any>; errors?: unknown[] };
}

/**
 * A socket speaking graphql-transport-ws by hand, so that the test picks the subscription ids
 * (graphql-ws's client numbers them with UUIDs) and sees each message's exact text.
 */
async function socketOf(token: string) {
  const socket = new WebSocket(t.url.replace(/^http/, "ws") + "/graphql", GRAPHQL_TRANSPORT_WS_PROTOCOL);
  const received: Next[] = [];
  const acknowledged = new Promise<void>((resolve, reject) => {
    socket.on("message", (data) => {
      const text = String(data);
      const message = JSON.parse(text) as { type: string; id?: string; payload?: Next["payload"] };
      if (message.type === "connection_ack") resolve();
      else if (message.type === "next") received.push({ id: message.id!, text, payload: message.payload! });
      else if (message.type === "error")
        received.push({ id: message.id!, text, payload: { errors: [message.payload] } });
    });
    socket.once("close", (code) => reject(new Error(`socket closed ${code}`)));
  });
  await new Promise((resolve) => socket.once("open", resolve));
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
  await acknowledged;
  return {
    received,
    subscribe(id: string, query: string, variables: Record<string, unknown>) {
      socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
    },
    /** What subscription `id` received, in order. */
    of: (id: string) => received.filter((message) => message.id === id),
    close: () => new Promise<void>((resolve) => (socket.once("close", () => resolve()), socket.close(1000))),
  };
}
type TestSocket = Awaited<ReturnType<typeof socketOf>>;

async function subscribed(count: number) {
  await eventually(() => t.app.deps.events.subscriberCount === count, `expected ${count} subscriptions`);
}

/** The message's text from its payload on: identical for every subscriber of one shared result. */
const payloadText = (message: Next) => message.text.slice(message.text.indexOf(`"payload":`));

describe(`fan-out of one event to many subscribers (${engine})`, () => {
  it("a shared result reaches every subscription as the same bytes, each under its own id, in order; another document gets its own", async () => {
    const variables = { providerId: String(p.provider.id), from: "2030-01-07", to: "2030-01-13" };
    const datesOnly = `subscription($providerId: ID!, $from: Date!, $to: Date) { slotsChanged(providerId: $providerId, from: $from, to: $to) { dates } }`;
    // 16 sockets of two clients; each subscribes twice with the same document: under "1" (the same id
    // on every socket) and under an id of its own; the first also with another document.
    const sockets: TestSocket[] = [];
    for (let i = 0; i < 16; i++) sockets.push(await socketOf(i % 2 ? p.tokens.otherClient : p.tokens.client));
    sockets.forEach((socket, i) => {
      socket.subscribe("1", SLOTS_CHANGED, variables);
      socket.subscribe(`own-${i}`, SLOTS_CHANGED, variables);
    });
    sockets[0].subscribe("dates", datesOnly, variables);
    await subscribed(33);

    const booked = dataOf(
      await t.gql(
        BOOK,
        { input: { clientId: String(p.client.id), startsAt: iso(15), durationMinutes: 30 } },
        p.tokens.provider,
      ),
    );
    // Slots are computed when an event is delivered: cancel only once the booking's are out.
    await eventually(
      () => sockets.every((socket, i) => socket.of("1").length === 1 && socket.of(`own-${i}`).length === 1),
      "every subscription gets the booking",
    );
    dataOf(
      await t.gql(
        `mutation($id: ID!) { cancelSession(id: $id, reason: "moved") { id } }`,
        { id: booked.bookSession.id },
        p.tokens.provider,
      ),
    );
    await eventually(
      () => sockets.every((socket) => socket.received.length >= 4),
      "every subscription gets both events",
    );
    await eventually(() => sockets[0].of("dates").length === 2, "the other document gets both events");
    // Give a stray or doubled delivery time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const [booking, cancellation] = sockets[0].of("1");
    expect(booking.payload.data!.slotsChanged).toMatchObject({ dates: ["2030-01-07"], reason: "BOOKED" });
    expect(
      booking.payload.data!.slotsChanged.days[0].slots.map((slot: { startsAt: string }) => slot.startsAt),
    ).not.toContain(iso(15));
    expect(cancellation.payload.data!.slotsChanged).toMatchObject({ dates: ["2030-01-07"], reason: "CANCELLED" });
    expect(Number(cancellation.payload.data!.slotsChanged.cursor)).toBeGreaterThan(
      Number(booking.payload.data!.slotsChanged.cursor),
    );
    sockets.forEach((socket, i) => {
      const ids = socket.received.map((message) => message.id).filter((id) => id !== "dates");
      expect(ids.sort()).toEqual(["1", "1", `own-${i}`, `own-${i}`].sort());
      for (const id of ["1", `own-${i}`]) {
        const messages = socket.of(id);
        // The same bytes as everyone's, in the order the events committed, under this subscription's id.
        expect(messages.map(payloadText)).toEqual([payloadText(booking), payloadText(cancellation)]);
        expect(
          messages.map((message) => message.text.startsWith(`{"id":${JSON.stringify(id)},"type":"next",`)),
        ).toEqual([true, true]);
      }
    });
    expect(sockets[0].of("dates").map((message) => message.payload.data)).toEqual([
      { slotsChanged: { dates: ["2030-01-07"] } },
      { slotsChanged: { dates: ["2030-01-07"] } },
    ]);
    await Promise.all(sockets.map((socket) => socket.close()));
    await subscribed(0);
  });

  it("viewers of one event still get their own results: a client only their own session, without provider notes", async () => {
    type Viewer = "client" | "otherClient" | "provider" | "admin";
    const viewers: Viewer[] = ["client", "otherClient", "provider", "admin"];
    const sockets = new Map<Viewer, TestSocket[]>();
    for (const viewer of viewers)
      sockets.set(viewer, [await socketOf(p.tokens[viewer]), await socketOf(p.tokens[viewer])]);
    for (const list of sockets.values()) for (const socket of list) socket.subscribe("1", SESSION_CHANGED, {});
    // The same event also reaches slotsChanged subscribers (the shared path) on the clients' sockets.
    for (const socket of sockets.get("client")!)
      socket.subscribe("slots", SLOTS_CHANGED, { providerId: String(p.provider.id), from: "2030-01-07" });
    await subscribed(10);

    const book = async (clientId: number, hour: number) =>
      dataOf(
        await t.gql(
          BOOK,
          { input: { clientId: String(clientId), startsAt: iso(hour), durationMinutes: 30, providerNotes: "private" } },
          p.tokens.provider,
        ),
      ).bookSession.id as string;
    const mine = await book(p.client.id, 16);
    const theirs = await book(p.otherClient.id, 17);
    await eventually(
      () => [...sockets.values()].flat().every((socket) => socket.of("1").length >= 1),
      "every viewer gets an event",
    );
    await eventually(
      () => ["provider", "admin"].every((v) => sockets.get(v as Viewer)!.every((s) => s.of("1").length === 2)),
      "provider and admin get both",
    );
    await eventually(
      () => sockets.get("client")!.every((socket) => socket.of("slots").length === 2),
      "slotsChanged gets both",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const sessionsOf = (viewer: Viewer) =>
      sockets.get(viewer)!.map((socket) =>
        socket.of("1").map((message) => {
          const { session } = message.payload.data!.sessionChanged;
          return { id: session.id, providerNotes: session.providerNotes, client: session.client.id };
        }),
      );
    const clientView = [{ id: mine, providerNotes: null, client: String(p.client.id) }];
    expect(sessionsOf("client")).toEqual([clientView, clientView]);
    const otherView = [{ id: theirs, providerNotes: null, client: String(p.otherClient.id) }];
    expect(sessionsOf("otherClient")).toEqual([otherView, otherView]);
    const fullView = [
      { id: mine, providerNotes: "private", client: String(p.client.id) },
      { id: theirs, providerNotes: "private", client: String(p.otherClient.id) },
    ];
    expect(sessionsOf("provider")).toEqual([fullView, fullView]);
    expect(sessionsOf("admin")).toEqual([fullView, fullView]);
    // Nothing of another client's session, nor its notes, was written to a client's socket.
    for (const socket of [...sockets.get("client")!, ...sockets.get("otherClient")!])
      for (const message of socket.received) expect(message.text).not.toContain("private");
    await Promise.all([...sockets.values()].flat().map((socket) => socket.close()));
    await subscribed(0);
  });
});
