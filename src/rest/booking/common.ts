import { notFound } from "../../errors.js";
import { parseRecordId } from "../../bounds.js";

/**
 * The routes are registered under two prefixes (/booking and /api/booking): each registration
 * names its operations so the OpenAPI operationIds and summaries stay unique.
 */
export interface RouteNaming {
  describe(operation: string, summary: string): { tags: string[]; operationId: string; summary: string };
}

export function routeNaming(operationPrefix: string, summarySuffix: string): RouteNaming {
  return {
    describe: (operation, summary) => ({
      tags: ["booking"],
      operationId: `${operationPrefix}${operation[0].toUpperCase()}${operation.slice(1)}`,
      summary: `${summary}${summarySuffix}`,
    }),
  };
}

/** A path or body id: ids are opaque strings to legacy clients, so one that is not ours is simply not found. */
export function bookingId(value: string, entity: string): number {
  const id = parseRecordId(value);
  if (id === undefined) throw notFound(entity);
  return id;
}
