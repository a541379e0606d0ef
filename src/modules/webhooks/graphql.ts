/** The webhooks module's GraphQL face: its object types and resolver (apart from index.ts, as every module's). */
export { WebhookDelivery, WebhookEndpoint, WebhookEndpointCreated } from "./webhook.type.js";
export { WebhookResolver } from "./webhook.resolver.js";
