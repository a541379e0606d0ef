/**
 * The events module's public face: the outbox (written in the writer's own transaction), the
 * wake-up signal between instances (pg_notify or Redis), the dispatcher that fans committed
 * events out to subscribers, and the GraphQL subscriptions.
 */
export { EventDispatcher, fellBehind } from "./dispatcher.js";
export { EVENT_RETENTION_QUEUE, scheduleEventRetention } from "./retention.js";
export { PgNotifySignal, RedisSignal, type WakeupSignal } from "./signal.js";
export {
  EVENTS_CHANNEL,
  lockTenantEvents,
  isSessionEventType,
  recordAvailabilityEvent,
  recordGroupEvent,
  recordHoldEvent,
  recordWaitlistEvent,
  type HoldChange,
  recordSessionEvent,
  recordSessionEvents,
  recordUserEvent,
  type SessionEventInput,
} from "./outbox.js";
