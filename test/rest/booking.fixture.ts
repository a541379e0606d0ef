import { expect } from "vitest";
import type { RestResult } from "../helpers/rest.js";

/** Both prefixes serve the booking API: the document's /booking and its frontend's /api/booking. */
export const PREFIXES = ["/booking", "/api/booking"] as const;

/**
 * A JSON value's shape: object keys (sorted) with their shapes, array element shapes, and the
 * type of every leaf ("string", "number", "boolean", "null"). Two values with the same shape
 * have the same keys and value types everywhere.
 */
export function shapeOf(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}

/** A NestJS error body: {"statusCode", "message", "error"} with the status repeated inside. */
export function expectNestError(
  result: RestResult,
  status: number,
  error: string,
  message?: string | RegExp | string[],
) {
  expect(result.status, result.text).toBe(status);
  expect(Object.keys(result.body).sort()).toEqual(["error", "message", "statusCode"]);
  expect(result.body.statusCode).toBe(status);
  expect(result.body.error).toBe(error);
  if (Array.isArray(message)) expect(result.body.message).toEqual(message);
  else if (message instanceof RegExp) expect(result.body.message).toMatch(message);
  else if (message !== undefined) expect(result.body.message).toBe(message);
  return result.body as { statusCode: number; message: string | string[]; error: string };
}

/** A ValidationPipe failure: 400 with one message per problem, in a list. */
export function expectValidationError(result: RestResult, messages: string[]) {
  const body = expectNestError(result, 400, "Bad Request");
  expect(body.message).toEqual(expect.arrayContaining(messages));
  expect(body.message).toHaveLength(messages.length);
}
