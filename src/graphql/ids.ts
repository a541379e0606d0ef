import { GraphQLError, GraphQLID, GraphQLScalarType, Kind, parse, visit, type ASTNode, type ValueNode } from "graphql";
import { recordIdOf } from "../bounds.js";

/**
 * GraphQL's ID, as our record ids: resolvers receive a number (1..MAX_ID, src/bounds.ts: the one
 * parser and maximum), clients read a string. Written in the code as `() => RecordId`; the schema
 * maps it to IdScalar (build-schema.ts), which is named "ID" and so replaces graphql's built-in ID
 * everywhere (schema.graphql still says ID).
 */
export class RecordId {
  private constructor() {}
}

/** What the ID scalar throws for a value that is not one of our ids; formatError names the argument. */
export class BadIdError extends TypeError {
  constructor(readonly value: unknown) {
    super(`ID must be a numeric id, got ${JSON.stringify(value)}`);
  }
}

/** A variable's value or an inline literal's text as an id (bounds.ts's one rule), else BadIdError. */
function idOf(value: unknown): number {
  const id = recordIdOf(value);
  if (id === undefined) throw new BadIdError(value);
  return id;
}

function idScalar(name: string) {
  return new GraphQLScalarType<number, string>({
    name,
    description: GraphQLID.description,
    // Numbers (our rows) as decimal strings; a string (a cursor-like id already text) as it is.
    serialize: (value) =>
      typeof value === "number" && Number.isInteger(value) ? String(value) : (GraphQLID.serialize(value) as string),
    parseValue: idOf,
    parseLiteral: (ast: ValueNode) => {
      // An inline 12 or "12": its text, read like a variable's string.
      if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return idOf(ast.value);
      throw new BadIdError(`<${ast.kind}>`);
    },
  });
}

export const IdScalar = idScalar("ID");

/**
 * The same scalar under another name, for graphql-jit's copy of the schema only: graphql-jit
 * coerces a variable of a type named "ID" itself (to a string), by name, and would never call
 * parseValue. Documents it compiles name their ID variables JitID (jit-gateway.ts).
 */
export const JIT_ID_NAME = "JitID";
export const JitIdScalar = idScalar(JIT_ID_NAME);

/**
 * A bad id anywhere in the request, as the client is told of it: the argument or input field it
 * was written for (`clientId`, `lines[0].itemId`; an `input` argument is not named) and the
 * message `<field> must be a numeric id, got "abc"`. Undefined when the error is not a bad id.
 */
export function badId(error: unknown): { field: string; message: string } | undefined {
  let bad: BadIdError | undefined;
  for (
    let e: unknown = error, depth = 0;
    e && depth < 5;
    e = (e as { originalError?: unknown }).originalError, depth++
  ) {
    if (e instanceof BadIdError) bad = e;
  }
  if (!bad) return undefined;
  const field = fieldOf(error instanceof GraphQLError ? error : undefined) ?? "id";
  return { field, message: `${field} must be a numeric id, got ${JSON.stringify(bad.value)}` };
}

/** Where the bad id was written: a variable's path (through the argument it is passed to), or an inline literal's argument. */
function fieldOf(error: GraphQLError | undefined): string | undefined {
  const node = error?.nodes?.[0];
  if (!node?.loc) return undefined;
  const body = node.loc.source.body;
  if (node.kind === Kind.VARIABLE_DEFINITION) {
    const variable = node.variable.name.value;
    // 'Variable "$input" got invalid value "x" at "input.clientId"; ...' -> ".clientId"
    const at = /^Variable "\$[^"]+" got invalid value .*? at "([^"]+)";/.exec(error!.message)?.[1];
    const rest = at ? at.slice(variable.length) : "";
    return named(usedAs(body, variable) ?? variable, rest);
  }
  return literalName(body, node);
}

/** The argument or input field name, and the path below it: input.clientId -> clientId, providerIds[1] -> providerIds. */
function named(argument: string, rest: string): string {
  const path = `${argument}${rest}`.replace(/\[\d+\]$/, "");
  return path.startsWith("input.") ? path.slice("input.".length) : path;
}

/** The argument or input-object field a variable is passed as, in the document's text. */
function usedAs(body: string, variable: string): string | undefined {
  let found: string | undefined;
  try {
    visit(parse(body), {
      Variable(node, _key, parent, _path, ancestors) {
        if (found || node.name.value !== variable) return;
        // Its parent (an argument, an input field, a list, its own definition), then theirs.
        const chain = [...ancestors, parent] as Array<ASTNode | readonly ASTNode[]>;
        for (let i = chain.length - 1; i >= 0; i--) {
          const ancestor = chain[i];
          if ("kind" in ancestor && (ancestor.kind === Kind.ARGUMENT || ancestor.kind === Kind.OBJECT_FIELD)) {
            found = ancestor.name.value;
            return;
          }
          if ("kind" in ancestor && ancestor.kind === Kind.VARIABLE_DEFINITION) return;
        }
      },
    });
  } catch {
    return undefined;
  }
  return found;
}

/** The argument or input field an inline literal was written for: `id: "x1"` -> id. */
function literalName(body: string, node: ASTNode): string | undefined {
  return /(\w+)\s*:\s*$/.exec(body.slice(0, node.loc!.start))?.[1];
}
