import { DomainError } from "../errors.js";
import type { RequestContext } from "./context.js";

/**
 * A request's response budget (MAX_RESPONSE_BYTES): every list a request materializes (session
 * pages, plans' pages, treatment details, computed slots, and the root lists: users, plans, items,
 * units, availability rules and overrides, item usage, the audit log) is charged, row by row, as it is read
 * or computed, BEFORE any of it is serialized. Once a request is over budget every further charge
 * fails too, so the resolvers still pending stop reading instead of building a response that
 * will be refused. Text fields are bounded, so a row's size is known when it is read: the
 * estimate is the row's keys and values as JSON would print them (strings by their length).
 *
 * Only requests get a budget (GraphQL over HTTP and every REST shim, through httpContext); a
 * subscription's context serves events for hours and has its own limits.
 */
// Keyed by the request's runner (its transaction), which every copy of the context shares:
// adapters spread the context into their own objects, loaders keep the one they were bound to.
const budgets = new WeakMap<RequestContext["db"], { limit: number; used: number }>();

export function startResponseBudget(ctx: RequestContext, limit: number): void {
  budgets.set(ctx.db, { limit, used: 0 });
}

/** The error a request over its budget gets: the client asked for too much at once (ask for less). */
export function responseTooLarge(limit: number): DomainError {
  return new DomainError(
    "TOO_MUCH_WORK",
    `The response would be larger than ${limit} bytes (MAX_RESPONSE_BYTES); ask for fewer records or fields at a time (a smaller first, a shorter range)`,
  );
}

/** Charges `bytes` to the request; throws once it is over budget. */
export function chargeBytes(ctx: RequestContext, bytes: number): void {
  const budget = budgets.get(ctx.db);
  if (!budget) return;
  budget.used += bytes;
  if (budget.used > budget.limit) throw responseTooLarge(budget.limit);
}

/** Charges rows as JSON would print them (an estimate: keys, strings by length, 12 bytes per other value). */
export function chargeRows(ctx: RequestContext, rows: readonly Record<string, unknown>[]): void {
  if (!budgets.has(ctx.db)) return;
  let bytes = 0;
  for (const row of rows) {
    bytes += 2;
    for (const key in row) {
      const value = row[key];
      bytes += key.length + 4 + (typeof value === "string" ? value.length + 2 : 12);
    }
  }
  chargeBytes(ctx, bytes);
}

/** `.then(charged(ctx))`: charges a list as it is read and passes it on. */
export const charged =
  (ctx: RequestContext) =>
  <T extends object>(rows: T[]): T[] => {
    chargeRows(ctx, rows as unknown as Record<string, unknown>[]);
    return rows;
  };

/** Bytes already charged to the request (tests, metrics). */
export function chargedBytes(ctx: RequestContext): number {
  return budgets.get(ctx.db)?.used ?? 0;
}
