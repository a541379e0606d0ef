import { and, desc, eq } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { auditLog, type AuditLogRow, type AuditOutcome } from "../../db/schema/index.js";
import type { RequestScope } from "../../db/scope.js";
import { badInput } from "../../errors.js";
import type { RequestContext } from "../context.js";
import { requireRole } from "../tenants/permissions.js";

/** One audited act of a request, as an adapter saw it; who, where and when come from the request. */
export interface AuditEntry {
  /** "bookSession", "POST /api/v1/sessions", "read". */
  action: string;
  /** The record's GraphQL type: "Session", "TreatmentDetail", ... */
  entity: string;
  entityId?: unknown;
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

/** Only well-formed ids are recorded: a client's arbitrary text never reaches the log. */
function entityIdOf(value: unknown): string | null {
  const text = String(value ?? "");
  return /^\d{1,15}$/.test(text) ? text : null;
}

function rowsOf(ctx: RequestContext, entries: readonly AuditEntry[]) {
  return entries.map((entry) => ({
    tenantId: ctx.tenant.id,
    actorId: ctx.viewer.id,
    action: entry.action,
    entity: entry.entity,
    entityId: entityIdOf(entry.entityId),
    outcome: entry.outcome,
    requestId: ctx.requestId,
  }));
}

/**
 * Ends the request's transaction with its audit entries. When it commits, they are written in
 * it, just before the commit: the change and its record stand or fall together. When it rolls
 * back (or the commit fails), they are written afterwards in a short transaction of their own,
 * so a rejected write is still on record; what claimed success is then recorded as an error,
 * since nothing was saved.
 */
export async function finishAudited(ctx: RequestContext & { db: RequestScope }, entries: readonly AuditEntry[], commit: boolean): Promise<void> {
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

function recordAfterRollback(ctx: RequestContext, entries: readonly AuditEntry[]): Promise<void> {
  if (!entries.length) return Promise.resolve();
  const unsaved = entries.map((entry) => (entry.outcome === "success" ? { ...entry, outcome: "error" as const } : entry));
  return ctx.deps.database.withTenant(ctx.tenant.id, (tx) => insert(tx, ctx, unsaved));
}

async function insert(tx: Tx, ctx: RequestContext, entries: readonly AuditEntry[]): Promise<void> {
  await tx.insert(auditLog).values(rowsOf(ctx, entries));
}

export const AUDIT_LOG_LIMIT = 100;

/** A record's history, newest first (at most 100 entries); ADMIN only. */
export async function listAuditLog(ctx: RequestContext, entity: string, entityId: string): Promise<AuditLogRow[]> {
  requireRole(ctx, "ADMIN");
  const id = entityIdOf(entityId);
  if (id === null) throw badInput("entityId", "entityId must be a record id");
  return ctx.db.run((tx) =>
    tx
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, ctx.tenant.id), eq(auditLog.entity, entity), eq(auditLog.entityId, id)))
      .orderBy(desc(auditLog.id))
      .limit(AUDIT_LOG_LIMIT),
  );
}
