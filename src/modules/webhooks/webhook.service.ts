import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import {
  webhookDeliveries,
  webhookEndpoints,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "../../db/schema/index.js";
import {
  badInput,
  fieldError,
  hiddenFromCaller,
  notFound,
  throwFieldErrors,
  words,
  type FieldError,
} from "../../errors.js";
import type { RequestContext } from "../context.js";
import { isAdmin, requireRole } from "../tenants/index.js";
import { isWebhookEventType, WEBHOOK_EVENT_TYPES } from "./payload.js";
import { checkUrlForm, MAX_URL_LENGTH, UrlRefused, vetUrl } from "./url-guard.js";
import { queueEndpoint } from "./webhook.jobs.js";

/**
 * Webhook endpoints as the tenant's ADMINs manage them (every statement under the request's
 * row-level security: another tenant's endpoint or delivery is NOT_FOUND).
 */

/** deliveries(first): the default and the most one request may read per endpoint. */
export const DELIVERIES_DEFAULT = 20;
export const DELIVERIES_MAX = 100;

/** A Standard Webhooks secret: whsec_ + base64 of 32 random bytes (the package decodes it as the HMAC key). */
const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/**
 * A new endpoint and its secret (shown only here). The URL is checked completely (form, scheme,
 * every address it resolves to: url-guard.ts) and the event types against the contract's list;
 * every problem is reported at once and nothing is written.
 */
export async function createWebhookEndpoint(
  ctx: RequestContext,
  input: { url: string; events: string[] },
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  requireRole(ctx, "ADMIN");
  const allowPrivate = ctx.deps.config.webhooks.allowPrivateUrls;
  const problems: Record<string, FieldError> = {};
  const url = input.url.trim();
  try {
    // The form first (no DNS for text that is not even a URL), then the addresses.
    checkUrlForm(url, allowPrivate);
    await vetUrl(url, allowPrivate);
  } catch (err) {
    if (!(err instanceof UrlRefused)) throw err;
    const notAUrl = !URL.canParse(url) || url.length > MAX_URL_LENGTH;
    problems.url = fieldError(err.message, notAUrl ? "VALIDATION" : "URL_REFUSED");
  }
  const events = [...new Set(input.events)];
  const unknown = events.filter((type) => !isWebhookEventType(type));
  if (!events.length) problems.events = fieldError(`List at least one event type: ${WEBHOOK_EVENT_TYPES.join(", ")}`);
  else if (unknown.length)
    problems.events = fieldError(
      `Unknown event type${unknown.length > 1 ? "s" : ""} ${unknown
        .slice(0, 5)
        .map((t) => JSON.stringify(t.slice(0, 60)))
        .join(", ")}; the types are ${WEBHOOK_EVENT_TYPES.join(", ")}`,
    );
  throwFieldErrors(problems);

  const secret = newSecret();
  // created_at by the database's clock, as events' occurred_at: an endpoint hears of events from its creation on.
  const [endpoint] = await ctx.db.atomic((tx) =>
    tx
      .insert(webhookEndpoints)
      .values({ tenantId: ctx.tenant.id, url, events, secret, createdBy: ctx.viewer.id })
      .returning(),
  );
  return { endpoint, secret };
}

export function listWebhookEndpoints(ctx: RequestContext): Promise<WebhookEndpointRow[]> {
  requireRole(ctx, "ADMIN");
  return ctx.db.run((tx) =>
    tx
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.tenantId, ctx.tenant.id))
      .orderBy(asc(webhookEndpoints.id)),
  );
}

/** node(id): an ADMIN's; anyone else NOT_FOUND (as every Node they may not see). */
export async function getWebhookEndpoint(ctx: RequestContext, id: number): Promise<WebhookEndpointRow> {
  const [endpoint] = await ctx.db.run((tx) => tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)));
  if (!endpoint) throw notFound("WebhookEndpoint");
  if (!isAdmin(ctx)) throw hiddenFromCaller("WebhookEndpoint");
  return endpoint;
}

/** Removes the endpoint and its deliveries (a delivery under way finishes its one attempt and is not retried). */
export async function deleteWebhookEndpoint(ctx: RequestContext, id: number): Promise<boolean> {
  requireRole(ctx, "ADMIN");
  const deleted = await ctx.db.atomic((tx) =>
    tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id }),
  );
  if (!deleted.length) throw notFound("WebhookEndpoint");
  return true;
}

/** An endpoint's deliveries, newest first (first: 1..100, default 20). */
export function listDeliveries(
  ctx: RequestContext,
  endpoint: WebhookEndpointRow,
  first: number | null | undefined,
): Promise<WebhookDeliveryRow[]> {
  const limit = first ?? DELIVERIES_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERIES_MAX)
    throw badInput("first", words`first must be a whole number from 1 to ${DELIVERIES_MAX}`);
  return ctx.db.run((tx) =>
    tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.tenantId, ctx.tenant.id), eq(webhookDeliveries.endpointId, endpoint.id)))
      .orderBy(desc(webhookDeliveries.eventId), desc(webhookDeliveries.id))
      .limit(limit),
  );
}

/**
 * Sends a delivery again, whatever its status: the same event id and body, PENDING with a fresh
 * set of attempts, due now (in the endpoint's event order: an older event goes before the
 * endpoint's newer pending ones). A disabled endpoint stays disabled: redelivering to it is
 * refused (INVALID_TRANSITION) rather than switching it back on unasked; create a new endpoint.
 */
export async function redeliverWebhook(ctx: RequestContext, deliveryId: number): Promise<WebhookDeliveryRow> {
  requireRole(ctx, "ADMIN");
  return ctx.db.atomic(async (tx) => {
    const [found] = await tx
      .select({ delivery: webhookDeliveries, active: webhookEndpoints.active })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.id, deliveryId))
      .for("update", { of: webhookDeliveries });
    if (!found) throw notFound("WebhookDelivery");
    if (!found.active)
      throw badInput(
        "deliveryId",
        "Its endpoint was disabled after repeated failures; create a new endpoint to receive webhooks again",
        "INVALID_TRANSITION",
      );
    const [delivery] = await tx
      .update(webhookDeliveries)
      .set({
        status: "PENDING",
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        deliveredAt: null,
        nextAttemptAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(webhookDeliveries.id, deliveryId))
      .returning();
    await queueEndpoint(ctx.deps, tx, delivery.endpointId);
    return delivery;
  });
}
