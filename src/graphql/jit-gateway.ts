import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import {
  execute,
  GraphQLError,
  Kind,
  printSchema,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { JIT_ID_NAME } from "./ids.js";
import { fragmentsOf, selectedFields } from "./operation-fields.js";

/** Compiled documents kept; a client sending ever new documents only evicts the oldest. */
const MAX_COMPILED = 500;

/**
 * Apollo's gateway hook used for one thing: running queries through graphql-jit, which compiles
 * a document (and operation) once into a function instead of walking it field by field on every
 * request. Everything around execution (parsing, validation and its limits, plugins, errors)
 * stays Apollo's. graphql-js still runs:
 *  - mutations: the audit watches their root fields with Apollo's willResolveField hook, which
 *    wraps the schema's resolvers (jit's schema is a copy Apollo never wraps); queries have no
 *    per-field hook (the audit's reads are recorded by Session's field resolvers);
 *  - any request whose variables graphql-jit refuses, so the client gets graphql-js's own
 *    message (errors/fieldErrors name the variable's path in it).
 * graphql-jit compiles against `jitSchema` (the same schema whose ID scalar is named JitID,
 * build-schema.ts), with the document's ID variables renamed to match: jit coerces a variable
 * of a type named ID itself, to a string, where our resolvers receive numbers.
 */
export function jitGateway(schema: GraphQLSchema, jitSchema: GraphQLSchema): GatewayInterface {
  /** Per document and operation: its compiled query, or null when graphql-js runs it (decided once). */
  const compiled = new Map<string, CompiledQuery | null>();

  const compile = (document: DocumentNode, operation: OperationDefinitionNode, operationName: string | null) => {
    // Introspection names the schema's types: jit's copy would say JitID where the schema says ID.
    if (introspects(document, operation)) return null;
    const result = compileQuery(jitSchema, withJitIds(document), operationName ?? undefined);
    return isCompiledQuery(result) ? result : null;
  };

  const executor: GatewayExecutor = async ({ document, operation, operationName, queryHash, request, context }) => {
    const graphqlJs = () =>
      execute({
        schema,
        document,
        operationName,
        variableValues: request.variables,
        contextValue: context,
      }) as ReturnType<GatewayExecutor>;
    if (operation.operation !== "query") return graphqlJs();
    const key = `${queryHash}:${operationName ?? ""}`;
    let query = compiled.get(key);
    if (query === undefined) {
      query = compile(document, operation, operationName);
      if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, query);
    }
    if (!query) return graphqlJs();
    const result = await query.query(undefined, context, request.variables ?? {});
    // An error without a path is the request's own (its variables): graphql-js words it.
    if (result.errors?.some((e) => !e.path)) return graphqlJs();
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };

  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}

/** graphql-jit's errors only look like graphql's (no extensions object, no nodes): Apollo and formatError get real ones. */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const standard = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
  (standard as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return standard;
}

/** The document with every ID in its variable definitions named JitID (the rest is unchanged). */
function withJitIds(document: DocumentNode): DocumentNode {
  return visit(document, {
    VariableDefinition: {
      enter: (definition) => ({
        ...definition,
        type: visit(definition.type, {
          NamedType: (named) =>
            named.name.value === "ID" ? { ...named, name: { kind: Kind.NAME, value: JIT_ID_NAME } } : undefined,
        }),
      }),
    },
  });
}

/** Whether the operation asks for __schema or __type at its root (through fragments too). */
function introspects(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  return selectedFields({ fragments: fragmentsOf(document) }, operation.selectionSet).some(
    (f) => f.node.name.value === "__schema" || f.node.name.value === "__type",
  );
}
