import type { ApolloServerPlugin } from "@apollo/server";
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  type DocumentNode,
  type FieldNode,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { DomainError } from "../../errors.js";
import { outcomeOfError, readEntries, type AuditEntry } from "../../modules/audit/index.js";
import { fragmentsOf, selectedFields, selectsField } from "../operation-fields.js";

/**
 * A root field to audit, once its outcome is known: the code of its error as the client gets
 * it (formatError decides; a statement timeout, for one, is UNAVAILABLE), and the error as the
 * resolver threw it (DomainError.denied, which the client never sees).
 */
interface AuditedField {
  responseKey: string;
  error: unknown;
  entries(code: string | undefined): AuditEntry[];
}

/** Where a request collects its audited fields; commitPlugin writes their entries with its transaction (finishAudited). */
export interface AuditedContext {
  audit?: AuditedField[];
}

/** The request's audit entries, given the errors of its response: its root fields', then its one read entry. */
export function auditEntries(ctx: AuditedContext, errors: readonly GraphQLFormattedError[]): AuditEntry[] {
  const fields = (ctx.audit ?? []).flatMap((field) => {
    if (!field.error) return field.entries(undefined);
    // The field's own error (path [key]), not one of a nested field.
    const own = errors.find((e) => e.path?.length === 1 && e.path[0] === field.responseKey);
    const code = own?.extensions?.code;
    return field.entries(typeof code === "string" ? code : "INTERNAL_SERVER_ERROR");
  });
  return [...fields, ...readEntries(ctx)];
}

type Args = { id?: unknown };
type FieldResult = { id?: unknown; __typename?: string } | null | undefined;

/** Root fields that return one session. */
const SINGLE_SESSION_FIELDS = new Set(["session", "node"]);
/** A session's clinical text: asking for any of it makes a failed single-session read one on record. */
const CLINICAL_FIELDS = new Set(["notes", "providerNotes", "clientFeedback"]);

/**
 * The GraphQL side of the audit log: one entry per mutation root field (action: the field,
 * entity: the record's type, its id, the outcome from the field's error), one per refused
 * read of a single session (root `session` or `node`), and one per query that returns clinical
 * text of any session, at any depth (the sessions connection, a plan's sessions, node), listing
 * the sessions read: Session's clinical field resolvers record those (session.resolver.ts).
 * Queries get no per-field hook, so graphql-jit runs every one of them (jit-gateway.ts): a
 * failed single-session read is found among the response's errors instead.
 */
export function auditPlugin<C extends AuditedContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ contextValue }) {
      const fields: AuditedField[] = (contextValue.audit = []);
      return {
        async executionDidStart({ operation }) {
          if (operation.operation !== "mutation") return;
          return {
            willResolveField({ info, args }) {
              // Writes are audited as writes: what a mutation answers with is its own record.
              if (info.path.prev) return;
              const responseKey = String(info.path.key);
              return (error, result) =>
                fields.push({
                  responseKey,
                  error,
                  entries: (code) =>
                    writeEntries(
                      info,
                      args as Args,
                      outcomeOfError(error, code),
                      result as FieldResult | FieldResult[],
                    ),
                });
            },
          };
        },
        async didEncounterErrors({ errors, operation, document, schema, request }) {
          if (operation?.operation !== "query" || !document) return;
          // A root field's own error (path [key]) is a failed read of it; a nested field's is not.
          const own = errors.filter((e) => e.path?.length === 1);
          if (own.length) fields.push(...failedReads(own, document, operation, schema, request.variables));
        },
      };
    },
  };
}

/**
 * The failed reads of single sessions among a query's root errors: a refusal always (before
 * formatting, the service's own code, FORBIDDEN, or its denied flag tell it), another failure
 * only when the field asked for clinical text. A success is in the read entry when it returned clinical text.
 */
function failedReads(
  errors: readonly GraphQLError[],
  document: DocumentNode,
  operation: OperationDefinitionNode,
  schema: GraphQLSchema,
  rawVariables: Record<string, unknown> | undefined,
): AuditedField[] {
  // The variables coerced (they did, or execution would not have run), for @skip/@include and the id argument.
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}).coerced ?? {};
  const fragments = fragmentsOf(document);
  const roots = selectedFields({ fragments, variables }, operation.selectionSet);
  const queryFields = schema.getQueryType()!.getFields();
  const out: AuditedField[] = [];
  for (const failure of errors) {
    const responseKey = String(failure.path![0]);
    const nodes = roots.filter((f) => f.responseKey === responseKey).map((f) => f.node);
    const name = nodes[0]?.name.value;
    if (!name || !SINGLE_SESSION_FIELDS.has(name)) continue;
    const error = failure.originalError ?? failure;
    const outcome = outcomeOfError(error, error instanceof DomainError ? error.code : undefined);
    // Below the root, every field counts, @skip or not (the audit's conservative view).
    const clinical = nodes.some((f) => selectsField({ fragments }, f.selectionSet, isClinical, false));
    if (outcome !== "denied" && !clinical) continue;
    const { id } = getArgumentValues(queryFields[name], nodes[0], variables) as Args;
    out.push({
      responseKey,
      error,
      entries: (code) => [{ action: "read", entity: "Session", entityId: id, outcome: outcomeOfError(error, code) }],
    });
  }
  return out;
}

/** One entry per written record (a list result: one per item), or one for the attempt. */
function writeEntries(
  info: GraphQLResolveInfo,
  args: Args,
  outcome: AuditEntry["outcome"],
  result: FieldResult | FieldResult[],
): AuditEntry[] {
  const named = getNamedType(info.returnType).name;
  // deleteSession: Boolean -> the noun after the verb.
  const entity = named === "Boolean" ? info.fieldName.replace(/^[a-z]+/, "") : named;
  const ids =
    Array.isArray(result) && result.length ? result.map((r) => r?.id) : [args.id ?? (result as FieldResult)?.id];
  return ids.map((entityId) => ({ action: info.fieldName, entity, entityId, outcome }));
}

/** A clinical field, by name whatever the type (a session's, when under root session or node). */
const isClinical = (field: FieldNode) => CLINICAL_FIELDS.has(field.name.value);
