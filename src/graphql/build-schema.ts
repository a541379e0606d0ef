import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { pubSub } from "./pubsub.js";
import { resolvers } from "./resolvers.js";
import { DateTimeScalar } from "./scalars.js";

export const SCHEMA_FILE = new URL("../../schema/schema.graphql", import.meta.url);

let schema: Promise<GraphQLSchema> | undefined;

/** The schema is the same for every app in the process: built once. */
export function getSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers,
    pubSub,
    // Inputs are validated by the services (one rule in one place, shared with the REST shims).
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  });
  return schema;
}
