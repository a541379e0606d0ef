import type { ApolloServerPlugin } from "@apollo/server";
import { getNamedType, Kind, type FragmentDefinitionNode, type GraphQLFormattedError, type GraphQLResolveInfo, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import { outcomeOf, type AuditEntry } from "../modules/audit/audit.service.js";

/**
 * A root field to audit, once its outcome is known: the code of its error as the client gets
 * it (formatError decides; a statement timeout, for one, is UNAVAILABLE).
 */
interface AuditedField {
  responseKey: string;
  failed: boolean;
  entries(code: string | undefined): AuditEntry[];
}

/** Where a request collects its audited fields; commitPlugin writes their entries with its transaction (finishAudited). */
export interface AuditedContext {
  audit?: AuditedField[];
}

/** The request's audit entries, given the errors of its response. */
export function auditEntries(ctx: AuditedContext, errors: readonly GraphQLFormattedError[]): AuditEntry[] {
  return (ctx.audit ?? []).flatMap((field) => {
    if (!field.failed) return field.entries(undefined);
    // The field's own error (path [key]), not one of a nested field.
    const own = errors.find((e) => e.path?.length === 1 && e.path[0] === field.responseKey);
    const code = own?.extensions?.code;
    return field.entries(typeof code === "string" ? code : "INTERNAL_SERVER_ERROR");
  });
}

type Args = { id?: unknown };
type FieldResult = { id?: unknown; __typename?: string } | null | undefined;

/** Root fields that return one session, and its fields that are notes. */
const SINGLE_SESSION_FIELDS = new Set(["session", "node"]);
const NOTE_FIELDS = new Set(["notes", "providerNotes"]);

/**
 * The GraphQL side of the audit log: one entry per mutation root field (action: the field,
 * entity: the record's type, its id, the outcome from the field's error code), and one per
 * read of a single session's notes (root `session` or `node` selecting notes or providerNotes).
 */
export function auditPlugin<C extends AuditedContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ contextValue }) {
      const fields: AuditedField[] = (contextValue.audit = []);
      return {
        async executionDidStart({ operation }) {
          // Most requests are queries without a session's notes: no per-field hook at all for them.
          if (!auditsFields(operation)) return;
          return {
            willResolveField({ info, args }) {
              if (info.path.prev) return;
              const responseKey = String(info.path.key);
              if (operation.operation === "mutation") {
                return (error, result) => fields.push({ responseKey, failed: !!error, entries: (code) => writeEntries(info, args as Args, code, result as FieldResult | FieldResult[]) });
              }
              if (operation.operation === "query" && SINGLE_SESSION_FIELDS.has(info.fieldName) && info.fieldNodes.some((f) => selectsNotes(f.selectionSet, info.fragments))) {
                return (error, result) => fields.push({ responseKey, failed: !!error, entries: (code) => notesRead(info, args as Args, code, result as FieldResult) });
              }
            },
          };
        },
      };
    },
  };
}

/** Whether the audit watches this operation's root fields: mutations, and queries that may read a single session's notes. */
export function auditsFields(operation: OperationDefinitionNode): boolean {
  return operation.operation !== "query" || operation.selectionSet.selections.some((s) => s.kind !== Kind.FIELD || SINGLE_SESSION_FIELDS.has(s.name.value));
}

/** One entry per written record (a list result: one per item), or one for the attempt. */
function writeEntries(info: GraphQLResolveInfo, args: Args, code: string | undefined, result: FieldResult | FieldResult[]): AuditEntry[] {
  const named = getNamedType(info.returnType).name;
  // deleteSession: Boolean -> the noun after the verb.
  const entity = named === "Boolean" ? info.fieldName.replace(/^[a-z]+/, "") : named;
  const outcome = outcomeOf(code);
  const ids = Array.isArray(result) && result.length ? result.map((r) => r?.id) : [args.id ?? (result as FieldResult)?.id];
  return ids.map((entityId) => ({ action: info.fieldName, entity, entityId, outcome }));
}

/** A session's notes were read, or an attempt to was refused; node() of something else is no notes read. */
function notesRead(info: GraphQLResolveInfo, args: Args, code: string | undefined, result: FieldResult): AuditEntry[] {
  const isSession = info.fieldName === "session" ? result != null : result?.__typename === "Session";
  if (code === undefined && !isSession) return [];
  return [{ action: "read", entity: "Session", entityId: args.id, outcome: outcomeOf(code) }];
}

/** The field's own selections (through fragments) name notes; nested records' fields do not count. */
function selectsNotes(selectionSet: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>): boolean {
  return !!selectionSet?.selections.some((s) => {
    if (s.kind === Kind.FIELD) return NOTE_FIELDS.has(s.name.value);
    if (s.kind === Kind.INLINE_FRAGMENT) return selectsNotes(s.selectionSet, fragments);
    return selectsNotes(fragments[s.name.value]?.selectionSet, fragments);
  });
}
