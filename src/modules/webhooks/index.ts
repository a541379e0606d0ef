/**
 * The webhooks module's public face: the background deliverer (fan-out of committed events into
 * deliveries, and each endpoint's job that sends them), its queue names, the URL rule and the
 * event types. Endpoints are managed through GraphQL (./graphql.ts).
 */
export { WebhookDeliverer } from "./webhook.delivery.js";
export { WEBHOOK_CONSUMER, WEBHOOK_QUEUE, type EndpointJob } from "./webhook.jobs.js";
export { WEBHOOK_EVENT_TYPES, webhookOf, type WebhookBody, type WebhookEventType } from "./payload.js";
export { isPublicAddress, vetUrl, UrlRefused } from "./url-guard.js";
export { signedHeaders } from "./sender.js";
