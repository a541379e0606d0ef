import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema, type PubSub } from "type-graphql";
import { resolvers } from "./resolvers.js";
import { IdScalar, JitIdScalar, RecordId } from "./ids.js";
import { DateTimeScalar } from "./scalars.js";

export const SCHEMA_FILE = new URL("../../schema/schema.graphql", import.meta.url);

let schema: Promise<GraphQLSchema> | undefined;
let jitSchema: Promise<GraphQLSchema> | undefined;

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

function build(id: typeof IdScalar): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    pubSub: noTopics,
    // Inputs are validated by the services (one rule in one place, shared with the REST shims).
    validate: false,
    // Every id of the schema is our ID scalar (src/graphql/ids.ts), never graphql's built-in one.
    scalarsMap: [
      { type: Date, scalar: DateTimeScalar },
      { type: RecordId, scalar: id },
    ],
  });
}

/** The schema is the same for every app in the process: built once. */
export function getSchema(): Promise<GraphQLSchema> {
  schema ??= build(IdScalar);
  return schema;
}

/**
 * The same schema with its ID scalar named JitID, for graphql-jit only (jit-gateway.ts): jit
 * coerces variables of a type named ID by name, to strings, where resolvers expect numbers.
 */
export function getJitSchema(): Promise<GraphQLSchema> {
  jitSchema ??= getSchema().then(() => build(JitIdScalar));
  return jitSchema;
}
