import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

/** A real graphql-ws client on the test server's /graphql. */
export interface Subscriber<T> {
  /** Everything received so far (data or errors). */
  received: Array<{ data?: T; errors?: Array<{ message: string; extensions?: Record<string, any> }> }>;
  /** Resolves with the n-th result (1-based) once it arrives; rejects after timeoutMs. */
  nth(
    n: number,
    timeoutMs?: number,
  ): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: Record<string, any> }> }>;
  /** Resolves once the server acknowledged the subscription's socket (connection_ack). */
  connected: Promise<void>;
  /** The close event of the socket, once the server or we close it. */
  closed: Promise<{ code: number; reason: string }>;
  /** The subscription completed or failed. */
  ended: Promise<void>;
  dispose(): Promise<void>;
}

export function subscribe<T = Record<string, any>>(
  url: string,
  token: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Subscriber<T> {
  let onConnected!: () => void;
  let onClosed!: (event: { code: number; reason: string }) => void;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client: Client = createClient({
    url: url.replace(/^http/, "ws") + "/graphql",
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: {
      connected: () => onConnected(),
      closed: (event) =>
        onClosed({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }),
    },
    onNonLazyError: () => {},
  });
  const received: Subscriber<T>["received"] = [];
  const transportFailures = new WeakSet<object>();
  const waiters: Array<() => void> = [];
  const ended = new Promise<void>((resolve) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          received.push(value as Subscriber<T>["received"][number]);
          for (const wake of waiters.splice(0)) wake();
        },
        error: (error) => {
          const entry = {
            errors: Array.isArray(error) ? error : [{ message: String((error as Error).message ?? error) }],
          };
          // A closed socket is no GraphQL error (it has a close code, not a reason).
          if (!Array.isArray(error)) transportFailures.add(entry);
          received.push(entry);
          for (const wake of waiters.splice(0)) wake();
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  return {
    received,
    connected,
    closed,
    ended,
    async nth(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} results, got ${received.length}: ${JSON.stringify(received)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, left);
        });
      }
      const result = received[n - 1];
      // Issue 15: every GraphQL error carries a stable reason, over graphql-ws as over HTTP.
      const unreasoned = transportFailures.has(result)
        ? []
        : (result.errors ?? []).filter((e) => typeof e.extensions?.reason !== "string");
      if (unreasoned.length) throw new Error(`GraphQL error without extensions.reason: ${JSON.stringify(unreasoned)}`);
      return result;
    },
    async dispose() {
      await client.dispose();
    },
  };
}

/** Waits until cond() holds (polling), or fails with the message. */
export async function eventually(
  cond: () => boolean | Promise<boolean>,
  message: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
