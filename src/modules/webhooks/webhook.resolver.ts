import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { WebhookDeliveryRow, WebhookEndpointRow } from "../../db/schema/index.js";
import { RecordId } from "../../graphql/ids.js";
import { registerNodeType } from "../../graphql/node.js";
import type { RequestContext } from "../context.js";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  DELIVERIES_DEFAULT,
  DELIVERIES_MAX,
  getWebhookEndpoint,
  listDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
} from "./webhook.service.js";
import { WebhookDelivery, WebhookEndpoint, WebhookEndpointCreated } from "./webhook.type.js";
import { WEBHOOK_EVENT_TYPES } from "./payload.js";

registerNodeType("WebhookEndpoint", "webhook_endpoints", getWebhookEndpoint);

@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  @Query(() => [WebhookEndpoint], { description: "ADMIN: the tenant's webhook endpoints" })
  webhookEndpoints(@Ctx() ctx: RequestContext): Promise<WebhookEndpointRow[]> {
    return listWebhookEndpoints(ctx);
  }

  @Mutation(() => WebhookEndpointCreated, {
    description: `ADMIN: a receiver of the listed event types (${WEBHOOK_EVENT_TYPES.join(" ")}). The URL must be https and resolve only to public addresses (BAD_USER_INPUT URL_REFUSED). The secret is returned only here`,
  })
  createWebhookEndpoint(
    @Arg("url", () => String) url: string,
    @Arg("events", () => [String]) events: string[],
    @Ctx() ctx: RequestContext,
  ): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
    return createWebhookEndpoint(ctx, { url, events });
  }

  @Mutation(() => Boolean, { description: "ADMIN: removes the endpoint and its deliveries" })
  deleteWebhookEndpoint(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<boolean> {
    return deleteWebhookEndpoint(ctx, id);
  }

  @Mutation(() => WebhookDelivery, {
    description:
      "ADMIN: sends the delivery again (same webhook-id and body, a fresh set of attempts, in the endpoint's event order), whatever its status. A disabled endpoint is not switched back on: BAD_USER_INPUT INVALID_TRANSITION",
  })
  redeliverWebhook(
    @Arg("deliveryId", () => RecordId) deliveryId: number,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookDeliveryRow> {
    return redeliverWebhook(ctx, deliveryId);
  }

  @FieldResolver(() => [WebhookDelivery], {
    description: `Newest first; first: 1..${DELIVERIES_MAX}, default ${DELIVERIES_DEFAULT}`,
  })
  deliveries(
    @Root() endpoint: WebhookEndpointRow,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<WebhookDeliveryRow[]> {
    return listDeliveries(ctx, endpoint, first);
  }
}
