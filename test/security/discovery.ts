/**
 * What the sweep and the fuzzers cover, read from the running system itself: the GraphQL
 * schema's root fields and the REST routes of /openapi.json. A field or route added later is
 * found here, and the tests fail until it has an entry in their tables.
 */
import {
  getNamedType,
  getNullableType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from "graphql";
import type { FieldType } from "./arbitraries.js";
import { API_NAMES, type ApiName } from "./envelopes.js";

// ------------------------------------------------------------------ GraphQL

export interface GraphqlField {
  name: string;
  /** Where an ID goes in the arguments: "id", "input.clientId", "lines[].itemId". */
  idSlots: string[];
  /** An operation calling the field with every argument as a variable of its own name. */
  document: string;
  /** The same, selecting every scalar of the result (so that its serialization runs too). */
  leavesDocument: string;
  field: GraphQLField<unknown, unknown>;
}

/** Every ID reachable from a type, through input objects and lists. */
function idPaths(type: GraphQLInputType, path: string, seen: Set<string>): string[] {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return idPaths(nullable.ofType, `${path}[]`, seen);
  if (isInputObjectType(nullable)) {
    if (seen.has(nullable.name)) return [];
    const inner = new Set(seen).add(nullable.name);
    return Object.values(nullable.getFields()).flatMap((field) => idPaths(field.type, `${path}.${field.name}`, inner));
  }
  return getNamedType(type).name === "ID" ? [path] : [];
}

/** `{ __typename }`, or with leaves every argument-free scalar and enum field of an object result. */
export function selectionOf(field: GraphQLField<unknown, unknown>, leaves: boolean): string {
  const named = getNamedType(field.type);
  if (!(isObjectType(named) || isInterfaceType(named) || isUnionType(named))) return "";
  if (!leaves || isUnionType(named)) return " { __typename }";
  const scalars = Object.values(named.getFields()).filter(
    (f) => f.args.length === 0 && isLeafType(getNamedType(f.type)),
  );
  return ` { __typename ${scalars.map((f) => f.name).join(" ")} }`;
}

function documentOf(
  operation: "query" | "mutation" | "subscription",
  field: GraphQLField<unknown, unknown>,
  leaves = false,
): string {
  const selection = selectionOf(field, leaves);
  if (field.args.length === 0) return `${operation} { ${field.name}${selection} }`;
  const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(", ");
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(", ");
  return `${operation}(${variables}) { ${field.name}(${args})${selection} }`;
}

/** The root fields of one operation type, with their ID slots and a calling document. */
export function graphqlFields(
  root: GraphQLObjectType,
  operation: "query" | "mutation" | "subscription",
): GraphqlField[] {
  return Object.values(root.getFields()).map((field) => ({
    name: field.name,
    idSlots: field.args.flatMap((arg) => idPaths(arg.type, arg.name, new Set())),
    document: documentOf(operation, field),
    leavesDocument: documentOf(operation, field, true),
    field,
  }));
}

/** A copy of value with path set: "input.clientId", "lines[].itemId" (every element of the list). */
export function withPath(value: Record<string, unknown>, path: string, leaf: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split(".");
  const copy = { ...value };
  const list = head.endsWith("[]");
  const key = list ? head.slice(0, -2) : head;
  const set = (inner: unknown) =>
    rest.length === 0 ? leaf : withPath((inner ?? {}) as Record<string, unknown>, rest.join("."), leaf);
  copy[key] = list ? ((copy[key] as unknown[] | undefined) ?? [{}]).map(set) : set(copy[key]);
  return copy;
}

// ------------------------------------------------------------------ REST (OpenAPI)

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
}

interface OpenApiOperation {
  tags?: string[];
  parameters?: Array<{ in: "path" | "query" | "header"; name: string; required?: boolean; schema: JsonSchema }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface RestRoute {
  /** "PUT /booking/meetings/{id}" */
  key: string;
  method: string;
  /** The OpenAPI path, with {param} placeholders. */
  path: string;
  api: ApiName;
  pathParams: Array<{ name: string; schema: JsonSchema }>;
  query: Array<{ name: string; required: boolean; schema: JsonSchema }>;
  body?: JsonSchema;
}

export interface IdSlot {
  /** "path.id", "query.client_id", "body.staff" */
  key: string;
  in: "path" | "query" | "body";
  name: string;
  /** An id the API takes as a JSON string ("456") rather than a number. */
  asString: boolean;
}

/** Every operation of the document, one per method and path. */
export function restRoutes(document: OpenApiDocument): RestRoute[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const api = op.tags?.[0] as ApiName;
      if (!API_NAMES.includes(api))
        throw new Error(`${method.toUpperCase()} ${path}: tagged ${op.tags?.join(", ")}, not one of the five APIs`);
      const parameters = op.parameters ?? [];
      return {
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        api,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => ({ name: p.name, schema: p.schema })),
        query: parameters
          .filter((p) => p.in === "query")
          .map((p) => ({ name: p.name, required: !!p.required, schema: p.schema })),
        body: op.requestBody?.content["application/json"]?.schema,
      };
    }),
  );
}

/** Our ids are PostgreSQL integers: a schema bounded by 2^31-1 names a record, whatever the field is called. */
const MAX_ID = 2147483647;
const namesAnId = (name: string, schema: JsonSchema) => /(^id$|_id$|Id$)/.test(name) || schema.maximum === MAX_ID;
const takesString = (schema: JsonSchema) => [schema.type].flat().includes("string");

/** Where a route takes an id: every path parameter, and query parameters and body fields that name a record. */
export function idSlots(route: RestRoute): IdSlot[] {
  return [
    ...route.pathParams.map((p): IdSlot => ({ key: `path.${p.name}`, in: "path", name: p.name, asString: true })),
    ...route.query
      .filter((p) => namesAnId(p.name, p.schema))
      .map((p): IdSlot => ({ key: `query.${p.name}`, in: "query", name: p.name, asString: true })),
    ...Object.entries(route.body?.properties ?? {})
      .filter(([name, schema]) => namesAnId(name, schema))
      .map(([name, schema]): IdSlot => ({ key: `body.${name}`, in: "body", name, asString: takesString(schema) })),
  ];
}

/** What a body field holds, read from its JSON schema. */
export function fieldTypeOf(name: string, schema: JsonSchema): FieldType | undefined {
  if (schema.enum) return { kind: "choice", values: schema.enum };
  const types = [schema.type].flat().filter((type) => type && type !== "null");
  if (types.includes("integer")) return { kind: schema.maximum === MAX_ID ? "id" : "integer" };
  if (types.includes("number")) return { kind: "number" };
  if (types.includes("boolean")) return { kind: "boolean" };
  if (!types.includes("string")) return undefined;
  if (schema.format === "date") return { kind: "date" };
  if (schema.format === "date-time" || schema.pattern?.includes("T")) return { kind: "instant" };
  if (schema.pattern) return { kind: /time/i.test(name) ? "time" : "date" };
  return { kind: /(_id|Id)$/.test(name) ? "id" : "text" };
}

/** The route's path with its parameters filled in (URL-encoded). */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for {${name}} in ${path}`);
    return encodeURIComponent(params[name]);
  });
}

export const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"];
