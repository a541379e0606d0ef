import { rest, type RestResult } from "../helpers/rest.js";
import { setup } from "../treatment-details/treatment-details.fixture.js";

export const BASE = "/so/api/treatment-details";

/** An instant as the Go API writes it: UTC, Z, no zero fraction. */
export const INSTANT_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?Z$/;

export interface CallOptions {
  /** The caller's token; null sends no Authorization header. Default: the admin of practice a. */
  token?: string | null;
  body?: unknown;
  rawBody?: string;
  /** Replaces the documented headers (X-Tenant-Code of practice a, Content-Type: application/json). */
  headers?: Record<string, string>;
}

/**
 * The treatment-details fixture (practices a and b, sessions, items, units, tokens) plus `call`,
 * which sends a request to /so/api/treatment-details with the headers every documented example sends.
 */
export async function setupRest() {
  const f = await setup();
  const documentedHeaders = { "X-Tenant-Code": f.a.tenant.code, "Content-Type": "application/json" };
  const call = <T = any>(method: string, path: string, options: CallOptions = {}): Promise<RestResult<T>> =>
    rest<T>(f.t.url, method, `${BASE}${path}`, {
      token: options.token === null ? undefined : (options.token ?? f.tokens.admin),
      body: options.body,
      rawBody: options.rawBody,
      headers: options.headers ?? documentedHeaders,
    });
  return { ...f, call, documentedHeaders };
}

/**
 * The shape of a JSON value, to compare an answer with a documented example: key sets, value
 * types (integer, string, UTC instant, null), and the distinct shapes of array elements.
 */
export function shapeOf(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return [...new Map(value.map((v) => [JSON.stringify(shapeOf(v)), shapeOf(v)])).values()];
  if (typeof value === "object")
    return Object.fromEntries(
      Object.keys(value!)
        .sort()
        .map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]),
    );
  if (typeof value === "string") return INSTANT_Z.test(value) ? "instant (UTC, Z)" : "string";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
