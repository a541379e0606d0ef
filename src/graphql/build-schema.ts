import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema, type PubSub } from "type-graphql";
import { resolvers } from "./resolvers.js";
import { DateTimeScalar } from "./scalars.js";

export const SCHEMA_FILE = new URL("../../schema/schema.graphql", import.meta.url);

let schema: Promise<GraphQLSchema> | undefined;

/**
 * type-graphql insists on a pubSub once there are subscriptions, but ours never use topics:
 * each declares its own `subscribe`, fed by the outbox (src/modules/events/dispatcher.ts).
 */
const noTopics: PubSub = {
  publish: () => {
    throw new Error("topics are not used: events go through the outbox");
  },
  subscribe: () => {
    throw new Error("topics are not used: subscriptions declare their own subscribe");
  },
};

/** The schema is the same for every app in the process: built once. */
export function getSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers,
    pubSub: noTopics,
    // Inputs are validated by the services (one rule in one place, shared with the REST shims).
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  });
  return schema;
}
