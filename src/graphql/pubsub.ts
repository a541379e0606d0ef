import { createPubSub } from "@graphql-yoga/subscription";

/**
 * In-process fan-out for subscriptions. Events reach it only from the outbox listener
 * (LISTEN/NOTIFY), never straight from a mutation, so every instance delivers the same
 * committed events.
 */
export const pubSub = createPubSub();
