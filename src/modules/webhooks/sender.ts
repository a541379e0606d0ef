import http from "node:http";
import https from "node:https";
import { Webhook } from "standardwebhooks";
import { pinnedLookup, UrlRefused, vetUrl } from "./url-guard.js";

/** One delivery attempt: what to send, signed with the endpoint's secret. */
export interface Attempt {
  url: string;
  secret: string;
  /** webhook-id: the event's id, the same on every retry so receivers can de-duplicate. */
  eventId: number;
  /** The stored body, sent byte for byte on every attempt. */
  body: string;
  /** webhook-timestamp: when this attempt is made (receivers refuse old timestamps: it is signed afresh each time). */
  at: Date;
  timeoutMs: number;
  allowPrivate: boolean;
}

/** 2xx: delivered. Otherwise the status the receiver answered (if it answered) and why it failed, never its body. */
export type AttemptResult =
  { delivered: true; statusCode: number } | { delivered: false; statusCode?: number; error: string };

/** The Standard Webhooks headers of an attempt (signed with the standardwebhooks package: v1,<base64 HMAC-SHA256 of id.timestamp.body>). */
export function signedHeaders(secret: string, eventId: number, at: Date, body: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": String(eventId),
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(String(eventId), at, body),
  };
}

/**
 * POSTs one attempt: the URL is vetted again (a DNS answer may have changed since the endpoint
 * was created) and the connection goes to the vetted address. No redirect is followed (a 3xx is
 * a failed attempt), the answer's body is not read, and the whole exchange has timeoutMs.
 */
export async function attemptDelivery(attempt: Attempt): Promise<AttemptResult> {
  let vetted;
  try {
    vetted = await vetUrl(attempt.url, attempt.allowPrivate);
  } catch (err) {
    if (err instanceof UrlRefused) return { delivered: false, error: `URL refused: ${err.message}` };
    throw err;
  }
  const client = vetted.url.protocol === "https:" ? https : http;
  const headers = {
    ...signedHeaders(attempt.secret, attempt.eventId, attempt.at, attempt.body),
    "user-agent": "sessiongraph-webhooks",
  };
  return new Promise<AttemptResult>((resolve) => {
    const request = client.request(
      vetted.url,
      {
        method: "POST",
        headers: { ...headers, "content-length": Buffer.byteLength(attempt.body) },
        lookup: pinnedLookup(vetted) as never,
        signal: AbortSignal.timeout(attempt.timeoutMs),
        // One connection per attempt: a kept-alive socket would outlive the address check.
        agent: false,
      },
      (response) => {
        const statusCode = response.statusCode ?? 0;
        // The receiver's body is never read nor kept; drained so the socket closes.
        response.resume();
        response.on("end", () => {
          if (statusCode >= 200 && statusCode < 300) resolve({ delivered: true, statusCode });
          else resolve({ delivered: false, statusCode, error: `HTTP ${statusCode}` });
        });
        response.on("error", (err) =>
          resolve({ delivered: false, statusCode, error: failure(err, attempt.timeoutMs) }),
        );
      },
    );
    request.on("error", (err) => resolve({ delivered: false, error: failure(err, attempt.timeoutMs) }));
    request.end(attempt.body);
  });
}

function failure(err: Error & { code?: string }, timeoutMs: number): string {
  if (err.name === "AbortError" || err.name === "TimeoutError" || err.code === "ABORT_ERR")
    return `no answer within ${timeoutMs} ms`;
  return err.code ? `connection failed: ${err.code}` : `connection failed: ${err.message}`;
}
