import type { ApolloServerPlugin } from "@apollo/server";
import {
  getNamedType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLFormattedError,
  type GraphQLResolveInfo,
  type OperationDefinitionNode,
} from "graphql";
import { DomainError } from "../../errors.js";
import { outcomeOfError, readEntries, recordRead, type AuditEntry } from "../../modules/audit/index.js";
import { fragmentsOf, selectsField, type FieldWalk } from "../operation-fields.js";

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
/** A session's clinical text: reading any of it puts the session in the request's read entry. */
const CLINICAL_FIELDS = new Set(["notes", "providerNotes", "clientFeedback"]);

/**
 * The GraphQL side of the audit log: one entry per mutation root field (action: the field,
 * entity: the record's type, its id, the outcome from the field's error), one per refused
 * read of a single session (root `session` or `node`), and one per query that returns clinical
 * text of any session, at any depth (the sessions connection, a plan's sessions, node), listing
 * the sessions read.
 */
export function auditPlugin<C extends AuditedContext>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ contextValue }) {
      const fields: AuditedField[] = (contextValue.audit = []);
      return {
        async executionDidStart({ operation, document }) {
          // Most requests are queries without clinical text: no per-field hook at all for them.
          const watch = watchOf(document, operation);
          if (!watch) return;
          return {
            willResolveField({ source, info, args }) {
              if (info.path.prev) {
                // Writes are audited as writes: what a mutation answers with is its own record.
                if (watch.clinical && info.parentType.name === "Session" && CLINICAL_FIELDS.has(info.fieldName))
                  recordRead(contextValue, "Session", (source as FieldResult)?.id);
                return;
              }
              const responseKey = String(info.path.key);
              if (operation.operation === "mutation") {
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
              }
              if (SINGLE_SESSION_FIELDS.has(info.fieldName)) {
                const walk: FieldWalk = { fragments: new Map(Object.entries(info.fragments)) };
                const clinical = info.fieldNodes.some((f) => selectsField(walk, f.selectionSet, isClinical, false));
                return (error) => {
                  if (!error) return; // a success is in the read entry when it returned clinical text
                  // Before formatting, the service's own code (FORBIDDEN) or flag (denied) tells a refusal.
                  const outcome = outcomeOfError(error, error instanceof DomainError ? error.code : undefined);
                  // A refused read is always on record; another failure only when clinical text was asked for.
                  if (outcome === "denied" || clinical)
                    fields.push({
                      responseKey,
                      error,
                      entries: (code) => [
                        {
                          action: "read",
                          entity: "Session",
                          entityId: (args as Args).id,
                          outcome: outcomeOfError(error, code),
                        },
                      ],
                    });
                };
              }
            },
          };
        },
      };
    },
  };
}

interface Watch {
  /** The operation selects clinical text somewhere: Session's clinical fields are recorded. */
  clinical: boolean;
}

const watches = new WeakMap<OperationDefinitionNode, Watch | null>();

/**
 * What the audit watches in this operation, or null when nothing (no hooks at all): mutations'
 * root fields, queries' root session/node, and queries selecting clinical text at any depth.
 * Apollo keeps parsed documents, so the walk runs once per document, not per request.
 */
function watchOf(document: DocumentNode, operation: OperationDefinitionNode): Watch | null {
  let watch = watches.get(operation);
  if (watch !== undefined) return watch;
  // Without variables: a field @skip may leave out still counts (the hooks record only what runs).
  const clinical =
    operation.operation === "query" &&
    selectsField({ fragments: fragmentsOf(document) }, operation.selectionSet, isClinical, true);
  const watched =
    operation.operation !== "query" ||
    clinical ||
    operation.selectionSet.selections.some((s) => s.kind !== Kind.FIELD || SINGLE_SESSION_FIELDS.has(s.name.value));
  watch = watched ? { clinical } : null;
  watches.set(operation, watch);
  return watch;
}

/** Whether the audit watches this operation's fields (graphql-jit runs only the others: it would not call the hooks). */
export function auditsFields(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  return watchOf(document, operation) !== null;
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

/** A clinical field, by name whatever the type: the hook then records only Session's. */
const isClinical = (field: FieldNode) => CLINICAL_FIELDS.has(field.name.value);
