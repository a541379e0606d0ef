import { charged } from "../response-budget.js";
import { and, asc, eq, gte, isNull, lt, sql, type SQL } from "drizzle-orm";
import { pgErrorOf } from "../../db/client.js";
import {
  items,
  sessions,
  treatmentDetails,
  units,
  type SessionRow,
  type TreatmentDetailRow,
} from "../../db/schema/index.js";
import {
  badInput,
  field,
  forbidden,
  notFound,
  noun,
  throwFieldErrors,
  words,
  type DomainError,
  type Words,
} from "../../errors.js";
import { MAX_INT4 } from "../../bounds.js";
import type { RequestContext } from "../context.js";
import { getVisibleSession, sessionById } from "../sessions/index.js";
import { canManageSession, canSeeSession, visibleSessionsWhere } from "../../rules/session-visibility.js";
import { isAdmin, providerOrCaller, requireRole, userById } from "../tenants/index.js";
import { getItem } from "./catalog.service.js";
import { itemById, selectDetails, treatmentDetailById, unitById } from "./treatment-detail.loaders.js";

/**
 * Treatment details: items used in a treatment (= a session). Transport-neutral: the GraphQL
 * resolvers and the legacy REST shim (/so/api/treatment-details) call these same functions
 * with plain integer ids and get table rows back.
 */

/** Create, or full replace (the legacy PUT): absent ids become null; quantity is required. */
export interface TreatmentDetailCommand {
  sessionId?: number | null;
  itemId?: number | null;
  unitId?: number | null;
  quantity?: number | null;
}
export type TreatmentDetailLineCommand = Omit<TreatmentDetailCommand, "sessionId">;

export interface TreatmentDetailFilter {
  sessionId?: number | null;
  itemId?: number | null;
}

export interface ItemUsageFilter {
  from: Date;
  to: Date;
  providerId?: number | null;
}
export interface ItemUsageRow {
  itemId: number | null;
  unitId: number | null;
  totalQuantity: number;
  detailCount: number;
  sessionCount: number;
}

const MAX_LINES = 200;

export async function getTreatmentDetail(ctx: RequestContext, id: number): Promise<TreatmentDetailRow> {
  const detail = await ctx.loaders.get(treatmentDetailById).load(id);
  if (!detail || !(await canSeeDetail(ctx, detail))) throw notFound("Treatment detail");
  return detail;
}

/**
 * Details the caller may see, optionally of one session and/or one item. A CLIENT or PROVIDER
 * without a session filter sees the details of their own sessions; an ADMIN sees all.
 */
export async function listTreatmentDetails(
  ctx: RequestContext,
  filter: TreatmentDetailFilter = {},
): Promise<TreatmentDetailRow[]> {
  const where: (SQL | undefined)[] = [];
  if (filter.sessionId != null) {
    await getVisibleSession(ctx, filter.sessionId);
    where.push(eq(treatmentDetails.sessionId, filter.sessionId));
  } else {
    where.push(visibleSessionsOnly(ctx));
  }
  if (filter.itemId != null) {
    await getItem(ctx, filter.itemId);
    where.push(eq(treatmentDetails.itemId, filter.itemId));
  }
  return selectDetails(ctx, and(...where));
}

export async function createTreatmentDetail(
  ctx: RequestContext,
  input: TreatmentDetailCommand,
): Promise<TreatmentDetailRow> {
  requireRole(ctx, "ADMIN", "PROVIDER");
  const session = await checkInput(ctx, input.sessionId, [input], () => "");
  requireWriteAccess(ctx, session);
  const now = ctx.deps.now();
  const [row] = await ctx.db
    .atomic((tx) =>
      tx
        .insert(treatmentDetails)
        .values(newRow(ctx, session, input, now))
        .returning(),
    )
    .catch(foreignKeyError);
  return row;
}

/** Several lines for one session in one transaction: all of them or none. */
export async function createTreatmentDetails(
  ctx: RequestContext,
  sessionId: number,
  lines: TreatmentDetailLineCommand[],
): Promise<TreatmentDetailRow[]> {
  requireRole(ctx, "ADMIN", "PROVIDER");
  if (!lines.length) throw badInput("lines", words`${field("lines")} must hold at least one line`);
  if (lines.length > MAX_LINES)
    throw badInput(
      "lines",
      words`${field("lines")} may hold at most ${MAX_LINES} lines, got ${lines.length}`,
      "TOO_MUCH_WORK",
    );
  const session = await checkInput(ctx, sessionId, lines, (i) => `lines[${i}].`);
  requireWriteAccess(ctx, session);
  const now = ctx.deps.now();
  const rows = await ctx.db
    .atomic((tx) =>
      tx
        .insert(treatmentDetails)
        .values(lines.map((line) => newRow(ctx, session, line, now)))
        .returning(),
    )
    .catch(foreignKeyError);
  return rows.sort((a, b) => a.id - b.id);
}

/** Full replace of session, item, unit and quantity, as the legacy PUT. */
export async function updateTreatmentDetail(
  ctx: RequestContext,
  id: number,
  input: TreatmentDetailCommand,
): Promise<TreatmentDetailRow> {
  requireRole(ctx, "ADMIN", "PROVIDER");
  const current = await getTreatmentDetail(ctx, id);
  requireWriteAccess(ctx, await sessionOf(ctx, current.sessionId));
  const session = await checkInput(ctx, input.sessionId, [input], () => "");
  requireWriteAccess(ctx, session);
  const [row] = await ctx.db
    .atomic((tx) =>
      tx
        .update(treatmentDetails)
        .set({
          sessionId: session?.id ?? null,
          itemId: input.itemId ?? null,
          unitId: input.unitId ?? null,
          quantity: input.quantity!,
          updatedBy: ctx.viewer.id,
          updatedAt: ctx.deps.now(),
        })
        .where(and(eq(treatmentDetails.id, id), isNull(treatmentDetails.deletedAt)))
        .returning(),
    )
    .catch(foreignKeyError);
  if (!row) throw notFound("Treatment detail");
  ctx.loaders.get(treatmentDetailById).clear(id).prime(id, row);
  return row;
}

/** Soft delete: the row stays with deleted_at/deleted_by set and vanishes from every read. */
export async function deleteTreatmentDetail(ctx: RequestContext, id: number): Promise<boolean> {
  requireRole(ctx, "ADMIN", "PROVIDER");
  const current = await getTreatmentDetail(ctx, id);
  requireWriteAccess(ctx, await sessionOf(ctx, current.sessionId));
  const [row] = await ctx.db.atomic((tx) =>
    tx
      .update(treatmentDetails)
      .set({ deletedAt: ctx.deps.now(), deletedBy: ctx.viewer.id })
      .where(and(eq(treatmentDetails.id, id), isNull(treatmentDetails.deletedAt)))
      .returning({ id: treatmentDetails.id }),
  );
  if (!row) throw notFound("Treatment detail");
  ctx.loaders.get(treatmentDetailById).clear(id);
  return true;
}

/**
 * Total quantity per item and unit over the non-deleted details of the sessions starting in
 * [from, to). An ADMIN reports on everyone or one provider; a PROVIDER on their own sessions.
 */
export async function itemUsage(ctx: RequestContext, filter: ItemUsageFilter): Promise<ItemUsageRow[]> {
  requireRole(ctx, "ADMIN", "PROVIDER");
  if (!(filter.from < filter.to)) throw badInput("to", words`${field("to")} must be after ${field("from")}`);
  // A PROVIDER reports on their own sessions: the provider defaults to them, and may be no one else.
  const providerId = providerOrCaller(ctx, filter.providerId) ?? null;
  if (!isAdmin(ctx) && providerId !== ctx.viewer.id)
    throw forbidden(words`A ${noun("provider")} may only report on their own ${noun("sessions")}`);
  if (isAdmin(ctx) && providerId !== null) {
    const provider = await ctx.loaders.get(userById).load(providerId);
    if (provider?.role !== "PROVIDER") throw badInput("providerId", words`${noun("Provider")} ${providerId} not found`);
  }
  const td = treatmentDetails;
  return ctx.db
    .run((tx) =>
      tx
        .select({
          itemId: td.itemId,
          unitId: td.unitId,
          totalQuantity: sql<number>`sum(${td.quantity})`.mapWith(Number),
          detailCount: sql<number>`count(*)`.mapWith(Number),
          sessionCount: sql<number>`count(distinct ${td.sessionId})`.mapWith(Number),
        })
        .from(td)
        .innerJoin(sessions, eq(sessions.id, td.sessionId))
        .leftJoin(items, eq(items.id, td.itemId))
        .leftJoin(units, eq(units.id, td.unitId))
        .where(
          and(
            isNull(td.deletedAt),
            gte(sessions.startsAt, filter.from),
            lt(sessions.startsAt, filter.to),
            providerId !== null ? eq(sessions.providerId, providerId) : undefined,
          ),
        )
        .groupBy(td.itemId, td.unitId, items.name, units.name)
        .orderBy(asc(items.name), asc(td.itemId), asc(units.name), asc(td.unitId)),
    )
    .then(charged(ctx));
}

/** A detail is seen through its session (canSeeSession); one without a session only by an ADMIN. */
async function canSeeDetail(ctx: RequestContext, detail: TreatmentDetailRow): Promise<boolean> {
  if (detail.sessionId === null) return isAdmin(ctx);
  const session = await ctx.loaders.get(sessionById).load(detail.sessionId);
  return !!session && canSeeSession(ctx.viewer, session);
}

/** canSeeSession as SQL, for lists: an ADMIN sees everything, anyone else details of their own sessions. */
function visibleSessionsOnly(ctx: RequestContext): SQL | undefined {
  const visible = visibleSessionsWhere(ctx.viewer);
  return visible && sql`${treatmentDetails.sessionId} in (select ${sessions.id} from ${sessions} where ${visible})`;
}

/** Who writes a session's details: an ADMIN, or the session's provider; a detail without a session only an ADMIN. */
function requireWriteAccess(ctx: RequestContext, session: SessionRow | null): void {
  if (session ? canManageSession(ctx.viewer, session) : isAdmin(ctx)) return;
  throw forbidden(
    session
      ? words`Only an ADMIN or the ${noun("session")}'s ${noun("provider")} may change its treatment details`
      : words`Only an ADMIN may record a treatment detail without a ${noun("session")}`,
  );
}

async function sessionOf(ctx: RequestContext, sessionId: number | null): Promise<SessionRow | null> {
  return sessionId === null ? null : ((await ctx.loaders.get(sessionById).load(sessionId)) ?? null);
}

/**
 * Every check of the input before anything is written, all field errors at once: the session,
 * items and units must exist in the tenant (so no foreign-key error reaches the caller) and
 * each quantity must be a positive integer. Returns the session (null when none is given).
 */
async function checkInput(
  ctx: RequestContext,
  sessionId: number | null | undefined,
  lines: TreatmentDetailLineCommand[],
  prefix: (index: number) => string,
): Promise<SessionRow | null> {
  const errors: Record<string, Words> = {};
  const loaded = sessionId == null ? null : await ctx.loaders.get(sessionById).load(sessionId);
  // Someone else's session is answered exactly like an unknown one (or another tenant's): the
  // same field error, so an id reveals nothing; only the audit learns it was denied.
  const hidden = !!loaded && !canSeeSession(ctx.viewer, loaded);
  const session = hidden ? undefined : loaded;
  if (sessionId != null && !session) errors.sessionId = words`${noun("Session")} ${sessionId} not found`;
  const [foundItems, foundUnits] = await Promise.all([
    ctx.loaders.get(itemById).loadMany(lines.flatMap((l) => (l.itemId == null ? [] : [l.itemId]))),
    ctx.loaders.get(unitById).loadMany(lines.flatMap((l) => (l.unitId == null ? [] : [l.unitId]))),
  ]);
  const itemIds = new Set(foundItems.flatMap((r) => (r && !(r instanceof Error) ? [r.id] : [])));
  const unitIds = new Set(foundUnits.flatMap((r) => (r && !(r instanceof Error) ? [r.id] : [])));
  lines.forEach((line, i) => {
    const q = line.quantity;
    if (q === null || q === undefined) errors[`${prefix(i)}quantity`] = words`${field("quantity")} is required`;
    else if (typeof q !== "number" || !Number.isInteger(q) || q <= 0 || q > MAX_INT4)
      errors[`${prefix(i)}quantity`] = words`${field("quantity")} must be a positive integer, got ${JSON.stringify(q)}`;
    if (line.itemId != null && !itemIds.has(line.itemId))
      errors[`${prefix(i)}itemId`] = words`Item ${line.itemId} not found`;
    if (line.unitId != null && !unitIds.has(line.unitId))
      errors[`${prefix(i)}unitId`] = words`Unit ${line.unitId} not found`;
  });
  try {
    throwFieldErrors(errors);
  } catch (err) {
    // A hidden session among the bad fields: the audit records the attempt as DENIED.
    (err as DomainError).denied = hidden;
    throw err;
  }
  return session ?? null;
}

function newRow(ctx: RequestContext, session: SessionRow | null, line: TreatmentDetailLineCommand, now: Date) {
  return {
    tenantId: ctx.tenant.id,
    sessionId: session?.id ?? null,
    itemId: line.itemId ?? null,
    unitId: line.unitId ?? null,
    quantity: line.quantity!,
    createdBy: ctx.viewer.id,
    createdAt: now,
    updatedAt: now,
  };
}

const FOREIGN_KEYS: Record<string, [field: string, message: Words]> = {
  treatment_details_session_fk: ["sessionId", words`${noun("Session")} not found`],
  treatment_details_item_fk: ["itemId", words`Item not found`],
  treatment_details_unit_fk: ["unitId", words`Unit not found`],
};

/** Defensive: a reference removed between the check and the write is still bad input, not a 500. */
function foreignKeyError(err: unknown): never {
  const pg = pgErrorOf(err);
  if (pg?.code === "23503") {
    const [name, message] = FOREIGN_KEYS[pg.constraint ?? ""] ?? ["input", words`A referenced record not found`];
    throw badInput(name, message);
  }
  throw err;
}
