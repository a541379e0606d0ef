/**
 * The page's only ways to the server: typed documents (codegen's TypedDocumentNode) sent with
 * fetch to /graphql, and graphql-ws subscriptions that survive a dropped socket by resubscribing
 * from the last cursor they saw.
 */
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws";

/** A GraphQL error as the page shows it: the server's message and its stable reason. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface WireError {
  message: string;
  extensions?: { reason?: string; fieldErrors?: Record<string, string | string[]> };
}

const printed = new WeakMap<object, string>();
function text(document: TypedDocumentNode<unknown, never>): string {
  let query = printed.get(document);
  if (query === undefined) printed.set(document, (query = print(document)));
  return query;
}

function apiError(error: WireError, status: number): ApiError {
  const fields = Object.entries(error.extensions?.fieldErrors ?? {}).map(([f, m]) => `${f}: ${[m].flat().join(", ")}`);
  const message = fields.length ? `${error.message} (${fields.join("; ")})` : error.message;
  return new ApiError(message, error.extensions?.reason ?? "UNKNOWN", status);
}

export async function request<R, V>(document: TypedDocumentNode<R, V>, variables: V, token: string): Promise<R> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: text(document as TypedDocumentNode<unknown, never>), variables }),
    });
  } catch {
    throw new ApiError("The server cannot be reached.", "UNAVAILABLE", 0);
  }
  const body = (await response.json().catch(() => undefined)) as { data?: R; errors?: WireError[] } | undefined;
  if (body?.errors?.length) throw apiError(body.errors[0], response.status);
  if (!response.ok || !body?.data) throw new ApiError(`The server answered ${response.status}.`, "UNAVAILABLE", 0);
  return body.data;
}

export type LiveState = "connecting" | "live" | "reconnecting" | "signed-out";

/**
 * One graphql-ws socket (opened when the first subscription starts). graphql-ws does not retry
 * here: each subscription resubscribes itself with `after: <its last cursor>`, so the server
 * replays exactly what was missed. One that never got a cursor (or whose cursor the server no
 * longer knows) asks its owner to read the current state again once the socket is back.
 */
export class Live {
  private readonly client: Client;
  private readonly resyncs = new Set<() => void>();

  constructor(token: string, onState: (state: LiveState) => void) {
    const url = new URL("/graphql", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.client = createClient({
      url: url.href,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      keepAlive: 10_000,
      on: {
        connecting: () => onState("connecting"),
        connected: () => {
          onState("live");
          const pending = [...this.resyncs];
          this.resyncs.clear();
          for (const resync of pending) resync();
        },
        closed: (event) => onState((event as CloseEvent | undefined)?.code === 4403 ? "signed-out" : "reconnecting"),
      },
    });
  }

  subscribe<R, V>(
    document: TypedDocumentNode<R, V>,
    variables: Omit<V, "after">,
    handlers: { cursor(data: R): string; next(data: R): void; resync(): void },
  ): () => void {
    let cursor: string | undefined;
    let stopped = false;
    let attempt = 0;
    let dispose = () => {};
    const again = () => {
      if (!stopped) setTimeout(start, Math.min(5_000, 200 * 2 ** attempt++));
    };
    const start = () => {
      if (stopped) return;
      dispose = this.client.subscribe<R>(
        { query: text(document as TypedDocumentNode<unknown, never>), variables: { ...variables, after: cursor } },
        {
          next: (result) => {
            attempt = 0;
            if (!result.data) return;
            cursor = handlers.cursor(result.data);
            handlers.next(result.data);
          },
          error: (err) => {
            if (stopped) return;
            if (Array.isArray(err)) {
              // GraphQL errors (a cursor past the retention, say): start over from the current state.
              cursor = undefined;
              handlers.resync();
            } else if (cursor === undefined) {
              // The socket dropped before anything arrived: nothing to resume from.
              this.resyncs.add(handlers.resync);
            }
            again();
          },
          complete: again,
        },
      );
    };
    start();
    return () => {
      stopped = true;
      this.resyncs.delete(handlers.resync);
      dispose();
    };
  }

  close(): void {
    void this.client.dispose();
  }
}
