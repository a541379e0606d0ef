import "reflect-metadata";
import { isAbstractType, type GraphQLSchema } from "graphql";
import { buildSchema, getMetadataStorage, type PubSub } from "type-graphql";
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

async function build(id: typeof IdScalar): Promise<GraphQLSchema> {
  plainFields();
  const schema = await buildSchema({
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
  // type-graphql wraps every resolveType in an async function, which graphql-jit does not await.
  // Our abstract type (Node) resolves by the value's __typename (node.ts sets it): graphql's
  // default resolver reads exactly that, synchronously, in graphql-js and graphql-jit alike.
  for (const type of Object.values(schema.getTypeMap())) if (isAbstractType(type)) type.resolveType = undefined;
  return schema;
}

/**
 * Every plain field (a property of the row, no field resolver) is read by graphql itself:
 * type-graphql's own resolver for it (a closure, an object and a middleware check per field per
 * row) does the same for a schema without middlewares or @Authorized, and graphql-jit inlines a
 * field without a resolver as a property read. Should the schema ever use either, this refuses to build.
 */
function plainFields(): void {
  const storage = getMetadataStorage();
  const { middlewares, resolverMiddlewares, authorizedFields, authorizedResolver } = storage;
  if (middlewares.length || resolverMiddlewares.length || authorizedFields.length || authorizedResolver.length)
    throw new Error("type-graphql middlewares or @Authorized are in use: plain fields need type-graphql's resolvers");
  for (const type of storage.objectTypes) type.simpleResolvers ??= true;
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
