import { and, arrayContains, desc, eq, or } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { auditLog, type AuditLogRow, type AuditOutcome } from "../../db/schema/index.js";
import type { RequestScope } from "../../db/scope.js";
import { badInput, DomainError, field, words } from "../../errors.js";
import { recordIdOf } from "../../bounds.js";
import type { RequestContext } from "../context.js";
import { requireRole } from "../tenants/index.js";
import { charged } from "../response-budget.js";

/** One audited act of a request, as an adapter saw it; who, where and when come from the request. */
export interface AuditEntry {
  /** "bookSession", "POST /api/v1/sessions", "read". */
  action: string;
  /** The record's GraphQL type: "Session", "TreatmentDetail", ... */
  entity: string;
  entityId?: unknown;
  /** A read: every record whose clinical text the request returned. */
  entityIds?: readonly unknown[];
  outcome: AuditOutcome;
}

const OUTCOME_OF_CODE: Record<string, AuditOutcome> = {
  FORBIDDEN: "denied",
  UNAUTHENTICATED: "denied",
  BAD_USER_INPUT: "invalid",
  NOT_FOUND: "not_found",
  CONFLICT: "conflict",
};

/** An error code (DomainError, GraphQL extensions.code, REST Problem code) as an outcome; no code: success. */
export function outcomeOf(code: string | undefined): AuditOutcome {
  return code === undefined ? "success" : (OUTCOME_OF_CODE[code] ?? "error");
}

/**
 * The outcome of a failed act, from the service's own error: a record that exists but is hidden
 * from the caller (DomainError.denied) is DENIED although the caller was told NOT_FOUND.
 * Adapters pass the error as thrown, never a formatted one (that must not carry the flag).
 */
export function outcomeOfError(err: unknown, code: string | undefined): AuditOutcome {
  return err instanceof DomainError && err.denied ? "denied" : outcomeOf(code);
}

/** What a request read: the records whose clinical text it returned, by entity (in the order first read), and the reads it was refused. */
interface Reads {
  byEntity: Map<string, Set<string>>;
  denied: AuditEntry[];
}
const readsOf = new WeakMap<object, Reads>();

function readsFor(ctx: object): Reads {
  let reads = readsOf.get(ctx);
  if (!reads) readsOf.set(ctx, (reads = { byEntity: new Map(), denied: [] }));
  return reads;
}

/**
 * Clinical text (notes, provider notes, feedback) that the request returns: the record is
 * listed in the request's one read entry (readEntries). Adapters call it where clinical text
 * goes into a response, and only then, so a request that selects none pays nothing.
 */
export function recordRead(ctx: object, entity: string, id: unknown): void {
  const entityId = entityIdOf(id);
  if (entityId === null) return;
  const { byEntity } = readsFor(ctx);
  let ids = byEntity.get(entity);
  if (!ids) byEntity.set(entity, (ids = new Set()));
  ids.add(entityId);
}

/** A read of an existing record that the caller was refused, where no error carries it to the adapter (node() answers null). */
export function recordDeniedRead(ctx: object, entity: string, id: unknown): void {
  readsFor(ctx).denied.push({ action: "read", entity, entityId: id, outcome: "denied" });
}

/** The request's read entries: one per entity it returned clinical text of (entityId too when a single record), and its refused reads. */
export function readEntries(ctx: object): AuditEntry[] {
  const reads = readsOf.get(ctx);
  if (!reads) return [];
  const read = [...reads.byEntity].map(([entity, ids]) => ({
    action: "read",
    entity,
    entityId: ids.size === 1 ? [...ids][0] : undefined,
    entityIds: [...ids],
    outcome: "success" as const,
  }));
  return [...read, ...reads.denied];
}

/** Only record ids (bounds.ts) are recorded, in their decimal form: a client's arbitrary text never reaches the log. */
function entityIdOf(value: unknown): string | null {
  const id = recordIdOf(value);
  return id === undefined ? null : String(id);
}

function rowsOf(ctx: RequestContext, entries: readonly AuditEntry[]) {
  return entries.map((entry) => ({
    tenantId: ctx.tenant.id,
    actorId: ctx.viewer.id,
    action: entry.action,
    entity: entry.entity,
    entityId: entityIdOf(entry.entityId),
    entityIds: (entry.entityIds ?? []).map(entityIdOf).filter((id): id is string => id !== null),
    outcome: entry.outcome,
    requestId: ctx.requestId,
  }));
}

/**
 * Ends the request's transaction with its audit entries. When it commits, they are written in
 * it, just before the commit: the change and its record stand or fall together. When it rolls
 * back (or the commit fails), they are written afterwards in a short transaction of their own,
 * so a rejected write is still on record; a write that claimed success is then recorded as an
 * error, since nothing was saved (a read stays a success: what was read was sent).
 */
export async function finishAudited(
  ctx: RequestContext & { db: RequestScope },
  entries: readonly AuditEntry[],
  commit: boolean,
): Promise<void> {
  if (commit) {
    try {
      if (entries.length) await ctx.db.run((tx) => insert(tx, ctx, entries));
      await ctx.db.finish(true);
      return;
    } catch (err) {
      await ctx.db.finish(false);
      await recordAfterRollback(ctx, entries);
      throw err;
    }
  }
  await ctx.db.finish(false);
  await recordAfterRollback(ctx, entries);
}

/** After the request's transaction rolled back: the scope's own short transaction (RequestScope.afterwards), never the owner connection. */
function recordAfterRollback(
  ctx: RequestContext & { db: RequestScope },
  entries: readonly AuditEntry[],
): Promise<void> {
  if (!entries.length) return Promise.resolve();
  const unsaved = entries.map((entry) =>
    entry.outcome === "success" && entry.action !== "read" ? { ...entry, outcome: "error" as const } : entry,
  );
  return ctx.db.afterwards((tx) => insert(tx, ctx, unsaved));
}

async function insert(tx: Tx, ctx: RequestContext, entries: readonly AuditEntry[]): Promise<void> {
  await tx.insert(auditLog).values(rowsOf(ctx, entries));
}

export const AUDIT_LOG_LIMIT = 100;

/** A record's history, newest first (at most 100 entries), bulk reads that listed it included; ADMIN only. */
export async function listAuditLog(ctx: RequestContext, entity: string, entityId: string): Promise<AuditLogRow[]> {
  requireRole(ctx, "ADMIN");
  const id = entityIdOf(entityId);
  if (id === null) throw badInput("entityId", words`${field("entityId")} must be a record id`);
  return ctx.db
    .run((tx) =>
      tx
        .select()
        .from(auditLog)
        .where(
          and(
            eq(auditLog.tenantId, ctx.tenant.id),
            eq(auditLog.entity, entity),
            or(eq(auditLog.entityId, id), arrayContains(auditLog.entityIds, [id])),
          ),
        )
        .orderBy(desc(auditLog.id))
        .limit(AUDIT_LOG_LIMIT),
    )
    .then(charged(ctx));
}
