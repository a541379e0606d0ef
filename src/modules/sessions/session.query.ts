import { and, ilike, is, or, Placeholder, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { visibleSessionsWhere } from "../../rules/session-visibility.js";
import {
  sessions,
  type Modality,
  type SessionRow,
  type SessionStatus,
  type SessionType,
  type UserRow,
} from "../../db/schema/index.js";
import { modalityEnum, sessionStatusEnum, sessionTypeEnum } from "../../db/schema/index.js";
import { anyId, anyOf, containsPattern } from "../../db/any-id.js";
import { rowsOf } from "../../db/client.js";
import { isRecordId, MAX_PAGE } from "../../bounds.js";
import { decodeRow } from "../../db/rows.js";
import { chargeRows } from "../response-budget.js";
import { badInput, field, throwFieldErrors, words, type Words } from "../../errors.js";
import { checkTextLengths } from "../../text-limits.js";
import type { RequestContext } from "../context.js";
import { isActiveSql } from "../../rules/session-states.js";

/** One filter for every reader of sessions: GraphQL connections, stats and the REST shims' pages. */
export interface SessionFilter {
  providerId?: number;
  clientId?: number;
  treatmentPlanId?: number;
  /** The occurrences of one series. */
  seriesId?: number;
  status?: SessionStatus[];
  type?: SessionType[];
  modality?: Modality[];
  /** Sessions starting at or after this instant. */
  from?: Date;
  /** Sessions starting at or before this instant (inclusive, like the legacy end_date). */
  to?: Date;
  /** Case-insensitive text in title, description or notes. */
  search?: string;
}

export type SessionOrderField = "STARTS_AT" | "ENDS_AT" | "CREATED_AT" | "UPDATED_AT" | "STATUS" | "TITLE";
export interface SessionOrder {
  field: SessionOrderField;
  direction: "ASC" | "DESC";
}
export const DEFAULT_ORDER: SessionOrder = { field: "STARTS_AT", direction: "ASC" };

/** Pages hold at most this many sessions; larger `first` / per_page values are clamped to it. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * A filter's values as its statement binds them, by name (empty lists and blank searches dropped,
 * instants as ISO text, the search as its ILIKE pattern). The names are the planner's placeholders
 * too (session.planner.ts): which names are present is part of a statement's shape.
 */
export interface FilterValues {
  providerId?: number;
  clientId?: number;
  treatmentPlanId?: number;
  seriesId?: number;
  status?: readonly string[];
  type?: readonly string[];
  modality?: readonly string[];
  from?: string;
  to?: string;
  search?: string;
}

export function filterValues(filter: SessionFilter): FilterValues {
  const values: FilterValues = {};
  if (filter.providerId !== undefined) values.providerId = filter.providerId;
  if (filter.clientId !== undefined) values.clientId = filter.clientId;
  if (filter.treatmentPlanId !== undefined) values.treatmentPlanId = filter.treatmentPlanId;
  if (filter.seriesId !== undefined) values.seriesId = filter.seriesId;
  // An empty list filters on nothing (the legacy "status=" query parameter means "any").
  if (filter.status?.length) values.status = filter.status;
  if (filter.type?.length) values.type = filter.type;
  if (filter.modality?.length) values.modality = filter.modality;
  if (filter.from) values.from = filter.from.toISOString();
  if (filter.to) values.to = filter.to.toISOString();
  const search = filter.search?.trim();
  if (search) values.search = containsPattern(search);
  return values;
}

/** A bound value, or the planner's placeholder standing for it. */
type Bound<T> = T | Placeholder;
export type FilterTemplate = { [K in keyof FilterValues]: Bound<FilterValues[K]> };
const bind = (value: unknown): SQLWrapper => (is(value, Placeholder) ? value : sql.param(value));

/**
 * The WHERE of filter values (or of placeholders standing for them), visibility included: the
 * one definition behind the DataLoader path's statements and the planner's.
 */
export function filterWhere(viewer: Pick<UserRow, "id" | "role">, v: FilterTemplate): SQL | undefined {
  const where: (SQL | undefined)[] = [visibleSessionsWhere(viewer)];
  if (v.providerId !== undefined) where.push(sql`${sessions.providerId} = ${bind(v.providerId)}`);
  if (v.clientId !== undefined) where.push(sql`${sessions.clientId} = ${bind(v.clientId)}`);
  if (v.treatmentPlanId !== undefined) where.push(sql`${sessions.treatmentPlanId} = ${bind(v.treatmentPlanId)}`);
  if (v.seriesId !== undefined) where.push(sql`${sessions.seriesId} = ${bind(v.seriesId)}`);
  // Each list is one array parameter: the statement text does not vary with its length.
  if (v.status !== undefined) where.push(anyOf(sessions.status, v.status, sessionStatusEnum.enumName));
  if (v.type !== undefined) where.push(anyOf(sessions.type, v.type, sessionTypeEnum.enumName));
  if (v.modality !== undefined) where.push(anyOf(sessions.modality, v.modality, modalityEnum.enumName));
  if (v.from !== undefined) where.push(sql`${sessions.startsAt} >= ${bind(v.from)}::timestamptz`);
  if (v.to !== undefined) where.push(sql`${sessions.startsAt} <= ${bind(v.to)}::timestamptz`);
  if (v.search !== undefined) {
    const pattern = bind(v.search);
    where.push(
      or(ilike(sessions.title, pattern), ilike(sessions.description, pattern), ilike(sessions.notes, pattern)),
    );
  }
  return and(...where);
}

/** The WHERE of a filter, visibility included. */
export function sessionWhere(ctx: RequestContext, filter: SessionFilter = {}): SQL | undefined {
  return filterWhere(ctx.viewer, filterValues(filter));
}

/** A filter whose range is backwards is bad input (shared by every reader). */
export function checkFilter(filter: SessionFilter): void {
  checkTextLengths(filter);
  if (filter.from && filter.to && filter.to < filter.from)
    throw badInput("to", words`${field("to")} must not be before ${field("from")}`);
}

/** Each order field: its SQL expression and the type its cursor key is cast back to. */
export const ORDER_KEYS: Record<SessionOrderField, { expr: SQL; type: string }> = {
  STARTS_AT: { expr: sql`${sessions.startsAt}`, type: "timestamptz" },
  ENDS_AT: { expr: sql`${sessions.endsAt}`, type: "timestamptz" },
  CREATED_AT: { expr: sql`${sessions.createdAt}`, type: "timestamptz" },
  UPDATED_AT: { expr: sql`${sessions.updatedAt}`, type: "timestamptz" },
  // Lifecycle order (the enum's): SCHEDULED, CONFIRMED, COMPLETED, CANCELLED, NO_SHOW.
  STATUS: { expr: sql`${sessions.status}`, type: "session_status" },
  // Case-insensitive, byte order: the same on every engine and locale; no title sorts first.
  TITLE: { expr: sql`lower(coalesce(${sessions.title}, '')) collate "C"`, type: "text" },
};

/** What a cursor's key may hold, by the type it is cast back to: as the database prints it. */
const CURSOR_KEY: Record<string, (key: string) => boolean> = {
  timestamptz: (key) =>
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(key) &&
    !Number.isNaN(Date.parse(key.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00"))),
  session_status: (key) => (sessionStatusEnum.enumValues as readonly string[]).includes(key),
  text: () => true,
};

export interface Cursor {
  field: SessionOrderField;
  key: string;
  id: number;
}

/** Opaque to clients: the order field, the row's order key (as the database prints it) and its id. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.field, cursor.key, cursor.id])).toString("base64url");
}

const badCursor = () =>
  badInput("after", words`${field("after")} is not a cursor returned by this connection`, "INVALID_CURSOR");

export function decodeCursor(value: string, order: SessionOrder): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[1] !== "string" ||
    !Number.isSafeInteger(parsed[2]) ||
    !(parsed[0] in ORDER_KEYS)
  ) {
    throw badCursor();
  }
  if (parsed[0] !== order.field)
    throw badInput(
      "after",
      words`${field("after")} is a cursor of a ${parsed[0]} ordering, not of ${order.field}`,
      "INVALID_CURSOR",
    );
  // A forged key or id would fail its cast in the page's statement (a 500 with the SQL): refused here instead.
  if (!isRecordId(parsed[2]) || !CURSOR_KEY[ORDER_KEYS[parsed[0] as SessionOrderField].type](parsed[1])) {
    throw badCursor();
  }
  return { field: parsed[0], key: parsed[1], id: parsed[2] };
}

interface PageRequest {
  limit: number;
  offset?: number;
  after?: Cursor;
}

/** The keyset condition "after this cursor" in an ordering (key and id may be the planner's placeholders). */
export function keysetAfter(
  order: SessionOrder,
  after: { key: Bound<string>; id: Bound<number> } | undefined,
): SQL | undefined {
  if (!after) return undefined;
  const { expr, type } = ORDER_KEYS[order.field];
  return order.direction === "ASC"
    ? sql`(${expr}, ${sessions.id}) > (${after.key}::${sql.raw(type)}, ${after.id})`
    : sql`(${expr}, ${sessions.id}) < (${after.key}::${sql.raw(type)}, ${after.id})`;
}

/**
 * ONE statement for a page and the filter's total: the one-row count left-joined to the page
 * (a subquery with its own order, limit and offset), so an empty page still brings its total.
 */
async function selectPage(ctx: RequestContext, filter: SessionFilter, order: SessionOrder, page: PageRequest) {
  const where = sessionWhere(ctx, filter);
  const { expr } = ORDER_KEYS[order.field];
  const keyset = keysetAfter(order, page.after);
  const direction = sql.raw(order.direction);
  return ctx.db.run(async (tx) => {
    const result = rowsOf<Record<string, unknown> & { total: number; sort_key: string | null }>(
      await tx.execute(sql`
        with counted as (select count(*)::int as total from ${sessions}${where ? sql` where ${where}` : sql``})
        select counted.total, page.* from counted left join (
          select ${sessions}.*, ${expr} as sort_value, (${expr})::text as sort_key from ${sessions}
          where ${and(where, keyset) ?? sql`true`}
          order by ${expr} ${direction}, ${sessions.id} ${direction}
          limit ${page.limit} offset ${page.offset ?? 0}
        ) page on true
        order by page.sort_value ${direction}, page.id ${direction}`),
    );
    const total = Number(result[0]?.total ?? 0);
    const found = result.filter((r) => r.id !== null);
    chargeRows(ctx, found);
    return { total, rows: found.map((r) => ({ session: decodeRow(sessions, r), key: r.sort_key! })) };
  });
}

/**
 * The pages of many treatment plans (their sessions the caller sees, by start) in ONE statement:
 * each plan's rows are numbered by a window over the plan (counting only those after the cursor),
 * the first `limit` of each kept, and each plan's total counted by a second window.
 */
async function selectPlanPages(ctx: RequestContext, planIds: readonly number[], page: PageRequest) {
  const order = DEFAULT_ORDER;
  const { expr } = ORDER_KEYS[order.field];
  const keyset = keysetAfter(order, page.after) ?? sql`true`;
  const where = and(sessionWhere(ctx), anyId(sessions.treatmentPlanId, planIds));
  return ctx.db.run(async (tx) => {
    const result = rowsOf<
      Record<string, unknown> & {
        total: number;
        sort_key: string;
        treatment_plan_id: number;
        after_cursor: boolean;
        page_position: number;
      }
    >(
      await tx.execute(sql`
        select ranked.* from (
          select ${sessions}.*, ${expr} as sort_value, (${expr})::text as sort_key, (${keyset}) as after_cursor,
            count(*) over (partition by ${sessions.treatmentPlanId})::int as total,
            count(*) filter (where ${keyset}) over (partition by ${sessions.treatmentPlanId} order by ${expr}, ${sessions.id})::int as page_position,
            row_number() over (partition by ${sessions.treatmentPlanId} order by ${expr}, ${sessions.id}) as nth
          from ${sessions} where ${where}
        ) ranked
        -- The first row of every plan comes too (kept out of the page when the cursor is past it): it brings the plan's total.
        where (ranked.after_cursor and ranked.page_position <= ${page.limit}) or ranked.nth = 1
        order by ranked.treatment_plan_id, ranked.sort_value, ranked.id`),
    );
    const byPlan = new Map<number, { total: number; rows: { session: SessionRow; key: string }[] }>();
    const inPage = result.filter((r) => r.after_cursor && r.page_position <= page.limit);
    chargeRows(ctx, inPage);
    for (const r of result) {
      const planId = Number(r.treatment_plan_id);
      if (!byPlan.has(planId)) byPlan.set(planId, { total: Number(r.total), rows: [] });
    }
    for (const r of inPage)
      byPlan.get(Number(r.treatment_plan_id))!.rows.push({ session: decodeRow(sessions, r), key: r.sort_key });
    return byPlan;
  });
}

export interface SessionConnectionResult {
  edges: { cursor: string; node: SessionRow }[];
  nodes: SessionRow[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** Checked `first` (default 20, clamped to 100) and decoded `after` of a Relay page. */
export function pageArgs(
  args: { first?: number | null; after?: string | null },
  order: SessionOrder = DEFAULT_ORDER,
): { first: number; after?: Cursor } {
  if (args.first != null && args.first < 0) throw badInput("first", words`${field("first")} must not be negative`);
  const first = Math.min(args.first ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { first, after: args.after ? decodeCursor(args.after, order) : undefined };
}

/**
 * A Relay connection from up to first + 1 rows (the extra one only says there is a next page).
 * Cursors (edges, start and end) are built only when the response asks for them: a page read
 * without them (session.planner.ts) has no keys.
 */
export function connectionOf(
  rows: { session: SessionRow; key: string }[],
  total: number,
  order: SessionOrder,
  { first, after }: { first: number; after?: Cursor },
): SessionConnectionResult {
  const page = rows.length > first ? rows.slice(0, first) : rows;
  const cursorOf = (r: { session: SessionRow; key: string }) =>
    encodeCursor({ field: order.field, key: r.key, id: r.session.id });
  let edges: SessionConnectionResult["edges"] | undefined;
  return {
    get edges() {
      return (edges ??= page.map((r) => ({ cursor: cursorOf(r), node: r.session })));
    },
    nodes: page.map((r) => r.session),
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== undefined,
      get startCursor() {
        return page.length ? cursorOf(page[0]) : null;
      },
      get endCursor() {
        return page.length ? cursorOf(page[page.length - 1]) : null;
      },
    },
    totalCount: total,
  };
}

/** A Relay page: `first` defaults to 20 and is clamped to 100; `after` is a cursor of the same ordering. */
export async function listSessions(
  ctx: RequestContext,
  filter: SessionFilter = {},
  order: SessionOrder = DEFAULT_ORDER,
  args: { first?: number | null; after?: string | null } = {},
): Promise<SessionConnectionResult> {
  checkFilter(filter);
  const page = pageArgs(args, order);
  const { total, rows } = await selectPage(ctx, filter, order, { limit: page.first + 1, after: page.after });
  return connectionOf(rows, total, order, page);
}

/** The same page (first, after; by start) of each of many plans' sessions, in ONE statement. */
export async function listSessionsOfPlans(
  ctx: RequestContext,
  planIds: readonly number[],
  args: { first?: number | null; after?: string | null },
): Promise<SessionConnectionResult[]> {
  const page = pageArgs(args);
  const byPlan = await selectPlanPages(ctx, planIds, { limit: page.first + 1, after: page.after });
  return planIds.map((id) => {
    const found = byPlan.get(id);
    return connectionOf(found?.rows ?? [], found?.total ?? 0, DEFAULT_ORDER, page);
  });
}

/** Offset paging for the REST shims: page from 1, perPage clamped to 1..100. */
export async function listSessionsPage(
  ctx: RequestContext,
  filter: SessionFilter = {},
  order: SessionOrder = DEFAULT_ORDER,
  paging: { page?: number; perPage?: number } = {},
): Promise<{ rows: SessionRow[]; total: number; page: number; perPage: number }> {
  checkFilter(filter);
  const errors: Record<string, Words> = {};
  const page = paging.page ?? 1;
  const perPage = paging.perPage ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(page) || page < 1) errors.page = words`${field("page")} must be a positive integer`;
  // Past it, OFFSET would outgrow what the database takes: the client's mistake, not a 500.
  else if (page > MAX_PAGE) errors.page = words`${field("page")} must be at most ${MAX_PAGE}`;
  if (!Number.isInteger(perPage) || perPage < 1) errors.perPage = words`${field("perPage")} must be a positive integer`;
  throwFieldErrors(errors);
  const size = Math.min(perPage, MAX_PAGE_SIZE);
  const { total, rows } = await selectPage(ctx, filter, order, { limit: size, offset: (page - 1) * size });
  return { rows: rows.map((r) => r.session), total, page, perPage: size };
}

/** Every session of a filter, page by page: for the legacy lists that had no paging. */
export async function listAllSessions(
  ctx: RequestContext,
  filter: SessionFilter = {},
  order: SessionOrder = DEFAULT_ORDER,
): Promise<SessionRow[]> {
  const rows: SessionRow[] = [];
  for (let page = 1; ; page++) {
    const result = await listSessionsPage(ctx, filter, order, { page, perPage: MAX_PAGE_SIZE });
    rows.push(...result.rows);
    if (result.rows.length < result.perPage || rows.length >= result.total) return rows;
  }
}

export interface SessionStatsResult {
  total: number;
  byStatus: { status: SessionStatus; count: number }[];
  byType: { type: SessionType; count: number }[];
  upcoming: number;
}

/** Counts over the sessions the caller sees (same filter), in one statement. */
export async function sessionStats(ctx: RequestContext, filter: SessionFilter = {}): Promise<SessionStatsResult> {
  checkFilter(filter);
  const now = ctx.deps.now();
  const rows = await ctx.db.run((tx) =>
    tx
      .select({
        status: sessions.status,
        type: sessions.type,
        count: sql<number>`count(*)`.mapWith(Number),
        upcoming:
          sql<number>`count(*) filter (where ${isActiveSql()} and ${sessions.startsAt} > ${now.toISOString()}::timestamptz)`.mapWith(
            Number,
          ),
      })
      .from(sessions)
      .where(sessionWhere(ctx, filter))
      .groupBy(sessions.status, sessions.type),
  );
  const sum = (
    pick: (r: (typeof rows)[number]) => boolean,
    value: (r: (typeof rows)[number]) => number = (r) => r.count,
  ) => rows.filter(pick).reduce((n, r) => n + value(r), 0);
  return {
    total: sum(() => true),
    byStatus: sessionStatusEnum.enumValues.map((status) => ({ status, count: sum((r) => r.status === status) })),
    byType: sessionTypeEnum.enumValues.map((type) => ({ type, count: sum((r) => r.type === type) })),
    upcoming: sum(
      () => true,
      (r) => r.upcoming,
    ),
  };
}
