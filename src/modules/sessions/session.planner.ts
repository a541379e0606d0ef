import {
  and,
  fillPlaceholders,
  or,
  getTableColumns,
  getTableName,
  is,
  Param,
  sql,
  SQL,
  StringChunk,
  type SQLChunk,
  type Table,
} from "drizzle-orm";
import { PgDialect, PgTimestamp } from "drizzle-orm/pg-core";
import type DataLoader from "dataloader";
import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";
import {
  items,
  sessions,
  treatmentDetails,
  treatmentPlans,
  units,
  users,
  type Role,
  type SessionRow,
  type TreatmentDetailRow,
} from "../../db/schema/index.js";
import { rowsOf } from "../../db/client.js";
import { selectedFields, type SelectedField } from "../../graphql/operation-fields.js";
import type { RequestContext } from "../context.js";
import { chargeRows } from "../response-budget.js";
import { visibleSessionPartiesWhere, visibleUserById, visibleUsersWhere } from "../tenants/index.js";
import { seesEveryPlan, treatmentPlanById } from "../treatment-plans/index.js";
import { preload } from "../preloaded.js";
import { itemById, liveDetailsWhere, treatmentDetailsBySession, unitById } from "../treatment-details/index.js";
import {
  checkFilter,
  connectionOf,
  filterValues,
  filterWhere,
  keysetAfter,
  listSessions,
  ORDER_KEYS,
  pageArgs,
  type FilterTemplate,
  type SessionConnectionResult,
  type SessionFilter,
  type SessionOrder,
} from "./session.query.js";

/**
 * The sessions planner: a root `sessions` page is read in ONE statement that also brings, already
 * shaped as JSON, what the selection asks of each session (provider, client, cancelledBy: users as
 * the caller may see them; the plan; the live treatment details with their items and units) and
 * the total when asked, all in the same snapshot. The rows prime the request's DataLoaders, so the
 * field resolvers stay as they are and find them there: the planner decides which statements run,
 * never what a field answers. What it does not cover, the DataLoaders load as before.
 *
 * Each statement is built once per shape (viewer role, filter fields present, order, cursor or
 * not, the relations selected) with placeholders, and kept as text: a request only fills in its
 * values. Its text is stable per shape, so PostgreSQL prepares it once per connection.
 */

/** What a connection's selection asks for, as far as reading is concerned. */
export interface PageSelection {
  total: boolean;
  cursors: boolean;
  provider: boolean;
  client: boolean;
  cancelledBy: boolean;
  plan: boolean;
  details: boolean;
  item: boolean;
  unit: boolean;
}

const selections = new WeakMap<FieldNode, PageSelection>();

/**
 * The selection of the connection field being resolved. Walked without variables, so a field
 * under @skip/@include counts as selected whatever their values: the answer depends on the
 * document alone (cached by its field node), and planning a skipped field only reads a little
 * more, while missing one that runs could not happen.
 */
export function pageSelection(info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">): PageSelection {
  let found = selections.get(info.fieldNodes[0]);
  if (!found) {
    found = selectionOf(info.fieldNodes, new Map(Object.entries(info.fragments)));
    selections.set(info.fieldNodes[0], found);
  }
  return found;
}

function selectionOf(
  nodes: readonly FieldNode[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): PageSelection {
  const s: PageSelection = {
    total: false,
    cursors: false,
    provider: false,
    client: false,
    cancelledBy: false,
    plan: false,
    details: false,
    item: false,
    unit: false,
  };
  const fieldsOf = (set: SelectionSetNode | undefined, inFragments?: ReadonlySet<string>): SelectedField[] =>
    set ? selectedFields({ fragments }, set, undefined, inFragments) : [];
  const under = (f: SelectedField) => fieldsOf(f.node.selectionSet, f.inFragments);
  const session = (node: SelectedField) => {
    for (const f of under(node)) {
      const name = f.node.name.value;
      if (name === "provider") s.provider = true;
      else if (name === "client") s.client = true;
      else if (name === "treatmentPlan") s.plan = true;
      else if (name === "treatmentDetails") {
        s.details = true;
        for (const g of under(f)) {
          if (g.node.name.value === "item") s.item = true;
          if (g.node.name.value === "unit") s.unit = true;
        }
      } else if (name === "cancellation" && under(f).some((g) => g.node.name.value === "cancelledBy"))
        s.cancelledBy = true;
    }
  };
  for (const node of nodes) {
    for (const f of fieldsOf(node.selectionSet)) {
      const name = f.node.name.value;
      if (name === "totalCount") s.total = true;
      else if (name === "nodes") session(f);
      else if (name === "pageInfo") {
        if (under(f).some((g) => g.node.name.value === "startCursor" || g.node.name.value === "endCursor"))
          s.cursors = true;
      } else if (name === "edges") {
        for (const g of under(f)) {
          if (g.node.name.value === "cursor") s.cursors = true;
          if (g.node.name.value === "node") session(g);
        }
      }
    }
  }
  return s;
}

/** A statement kept as text split at its parameters, and the parameters (values or placeholders). */
interface Statement {
  parts: string[];
  params: unknown[];
}

const statements = new Map<string, Statement>();
const dialect = new PgDialect();

/**
 * `json_build_array("alias"."column", …)` of a table's columns, in the order of its drizzle
 * columns; revive() names them. An array, not json_build_object: PostgreSQL builds and sends no
 * key per cell (measured with pgbench on the bench page: about 1.4× the statements per second).
 */
function jsonRow(table: Table, alias = getTableName(table)): SQL {
  const cells = Object.values(getTableColumns(table)).map((column) => `"${alias}"."${column.name}"`);
  return sql.raw(`json_build_array(${cells.join(", ")})`);
}

function buildStatement(
  role: Role,
  names: readonly (keyof FilterTemplate)[],
  order: SessionOrder,
  after: boolean,
  s: PageSelection,
): Statement {
  // Placeholders stand for the viewer's id and every bound value: the text is the shape's alone.
  const viewer = { role, id: sql.placeholder("viewer") as unknown as number };
  const template = Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as FilterTemplate;
  const where = filterWhere(viewer, template);
  const keyset = after
    ? keysetAfter(order, { key: sql.placeholder("afterKey"), id: sql.placeholder("afterId") })
    : undefined;
  const { expr } = ORDER_KEYS[order.field];
  const direction = sql.raw(order.direction);
  const inPageOrder = sql`order by page.sort_value ${direction}, page.id ${direction}`;
  const columns: SQL[] = [sql`(select json_agg(${jsonRow(sessions, "page")} ${inPageOrder}) from page) as rows`];
  if (s.cursors) columns.push(sql`(select json_agg(page.sort_key ${inPageOrder}) from page) as keys`);
  if (s.total)
    columns.push(sql`(select count(*)::int from ${sessions}${where ? sql` where ${where}` : sql``}) as total`);
  // The page's provider and client are people of sessions the viewer sees: the cheap form of the
  // visibility rule applies to them; whoever cancelled is checked against the whole rule.
  const shown = [
    (s.provider || s.client) &&
      and(
        sql`${users.id} in (${sql.raw(
          [s.provider && "select provider_id from page", s.client && "select client_id from page"]
            .filter(Boolean)
            .join(" union all "),
        )})`,
        visibleSessionPartiesWhere(viewer),
      ),
    s.cancelledBy && and(sql`${users.id} in (select cancelled_by from page)`, visibleUsersWhere(viewer)),
  ].filter((c): c is SQL => !!c);
  if (shown.length)
    columns.push(sql`(select json_agg(${jsonRow(users)}) from ${users} where ${or(...shown)}) as users`);
  if (s.plan)
    columns.push(
      sql`(select json_agg(${jsonRow(treatmentPlans)}) from ${treatmentPlans} where ${treatmentPlans.id} in (select treatment_plan_id from page)) as plans`,
    );
  const liveOfPage = and(sql`${treatmentDetails.sessionId} in (select id from page)`, liveDetailsWhere());
  if (s.details)
    columns.push(
      sql`(select json_agg(${jsonRow(treatmentDetails)} order by ${treatmentDetails.id}) from ${treatmentDetails} where ${liveOfPage}) as details`,
    );
  for (const [selected, table, column, name] of [
    [s.details && s.item, items, treatmentDetails.itemId, "items"],
    [s.details && s.unit, units, treatmentDetails.unitId, "units"],
  ] as const) {
    if (selected)
      columns.push(
        sql`(select json_agg(${jsonRow(table)}) from ${table} where ${table.id} in (select ${column} from ${treatmentDetails} where ${liveOfPage})) as ${sql.raw(name)}`,
      );
  }
  const query = dialect.sqlToQuery(sql`
    with page as (
      select ${sessions}.*, ${expr} as sort_value${s.cursors ? sql`, (${expr})::text as sort_key` : sql``}
      from ${sessions} where ${and(where, keyset) ?? sql`true`}
      order by ${expr} ${direction}, ${sessions.id} ${direction}
      limit ${sql.placeholder("limit")}
    )
    select ${sql.join(columns, sql`, `)}`);
  // No text of ours holds a `$`: every `$n` is a parameter, numbered in order.
  const parts = query.sql.split(/\$\d+/);
  if (parts.length !== query.params.length + 1) throw new Error("planner: parameters out of step with the text");
  return { parts, params: query.params };
}

function statementFor(
  role: Role,
  names: (keyof FilterTemplate)[],
  order: SessionOrder,
  after: boolean,
  s: PageSelection,
): Statement {
  const key = [
    role,
    names.join(","),
    order.field,
    order.direction,
    after,
    ...Object.values(s).map((b) => (b ? 1 : 0)),
  ].join("|");
  let found = statements.get(key);
  if (!found) statements.set(key, (found = buildStatement(role, names, order, after, s)));
  return found;
}

/** A statement of the cache with its values: chunks drizzle only joins (no builder on the way). */
function bound(statement: Statement, values: Record<string, unknown>): SQL {
  const params = fillPlaceholders(statement.params, values);
  const chunks: SQLChunk[] = [new StringChunk(statement.parts[0])];
  for (let i = 0; i < params.length; i++) chunks.push(new Param(params[i]), new StringChunk(statement.parts[i + 1]));
  return new SQL(chunks);
}

/** Per table, a function that names jsonRow's cells as a drizzle row (timestamps as Dates). */
const builders = new WeakMap<Table, (cells: unknown[]) => Record<string, unknown>>();

/**
 * Compiled once per table, so every row of a page is built by one object literal of fixed shape
 * (one hidden class, fast property access downstream). Filling an empty object key by key, as
 * the first version did, cost about 0.2 ms per Q2 request in the profile. The source is made of
 * the table's own column keys, never of data.
 */
function builderOf(table: Table): (cells: unknown[]) => Record<string, unknown> {
  let build = builders.get(table);
  if (!build) {
    const fields = Object.entries(getTableColumns(table)).map(([key, column], i) =>
      is(column, PgTimestamp)
        ? `${JSON.stringify(key)}: c[${i}] === null ? null : new Date(c[${i}])`
        : `${JSON.stringify(key)}: c[${i}]`,
    );
    build = new Function("c", `return { ${fields.join(", ")} };`) as (cells: unknown[]) => Record<string, unknown>;
    builders.set(table, build);
  }
  return build;
}

/** Rows parsed from jsonRow's arrays as the table's rows. */
function revive<T extends Table>(table: T, rows: unknown): T["$inferSelect"][] {
  if (rows === null || rows === undefined) return [];
  const list = (typeof rows === "string" ? JSON.parse(rows) : rows) as unknown[][];
  return list.map(builderOf(table)) as T["$inferSelect"][];
}

const parsed = <T>(value: unknown): T | null =>
  value === null || value === undefined ? null : ((typeof value === "string" ? JSON.parse(value) : value) as T);

/**
 * The root `sessions` connection, planned from its selection (see above). With the planner off
 * (SESSION_PLANNER=false), the DataLoader path answers alone: the tests compare the two.
 */
export async function plannedSessions(
  ctx: RequestContext,
  filter: SessionFilter,
  order: SessionOrder,
  args: { first?: number | null; after?: string | null },
  info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">,
): Promise<SessionConnectionResult> {
  if (!ctx.deps.config.sessionPlanner) return listSessions(ctx, filter, order, args);
  checkFilter(filter);
  const page = pageArgs(args, order);
  const s = pageSelection(info);
  const values: Record<string, unknown> = { ...filterValues(filter), viewer: ctx.viewer.id, limit: page.first + 1 };
  const names = Object.keys(values).filter((n) => n !== "viewer" && n !== "limit") as (keyof FilterTemplate)[];
  if (page.after) {
    values.afterKey = page.after.key;
    values.afterId = page.after.id;
  }
  const statement = statementFor(ctx.viewer.role, names, order, page.after !== undefined, s);
  const [row] = await ctx.db.run(async (tx) =>
    rowsOf<Record<string, unknown>>(await tx.execute(bound(statement, values))),
  );

  const rows = revive(sessions, row.rows);
  chargeRows(ctx, rows);
  prime(ctx, s, rows, row);
  const keys = s.cursors ? (parsed<string[]>(row.keys) ?? []) : [];
  return connectionOf(
    rows.map((session, i) => ({ session, key: keys[i] })),
    // Not selected, never read: the selection walk counts every field that may run.
    s.total ? Number(row.total) : 0,
    order,
    page,
  );
}

/**
 * The relations' rows, as their own batches would have loaded them: preloaded with each row for
 * its field resolver (src/modules/preloaded.ts), and primed into the request's loaders for any
 * other path to them (a cancellation's user, a client's view of a plan). An id the statement did
 * not return (a user hidden from the caller) is null when preloaded, absent when primed.
 */
function prime(ctx: RequestContext, s: PageSelection, page: SessionRow[], row: Record<string, unknown>): void {
  const withRow = page.map(() => ({}) as Record<string, unknown>);
  if (s.provider || s.client || s.cancelledBy) {
    const loader = ctx.loaders.get(visibleUserById);
    const found = new Map(revive(users, row.users).map((u) => [u.id, u]));
    for (const [id, user] of found) loader.prime(id, user);
    page.forEach((session, i) => {
      if (s.provider) withRow[i].provider = found.get(session.providerId) ?? null;
      if (s.client) withRow[i].client = found.get(session.clientId) ?? null;
      if (s.provider) loader.prime(session.providerId, undefined);
      if (s.client) loader.prime(session.clientId, undefined);
      if (s.cancelledBy && session.cancelledBy !== null) loader.prime(session.cancelledBy, undefined);
    });
  }
  if (s.plan) {
    // The raw plans, like treatmentPlanById; preloaded only for a viewer who sees every plan, else
    // findVisibleTreatmentPlan decides with them.
    const loader = ctx.loaders.get(treatmentPlanById);
    const found = new Map(revive(treatmentPlans, row.plans).map((p) => [p.id, p]));
    const everyPlan = seesEveryPlan(ctx.viewer);
    page.forEach((session, i) => {
      const plan = session.treatmentPlanId === null ? null : (found.get(session.treatmentPlanId) ?? null);
      if (session.treatmentPlanId !== null) loader.prime(session.treatmentPlanId, plan ?? undefined);
      if (everyPlan) withRow[i].treatmentPlan = plan;
    });
  }
  if (s.details) {
    const details = revive(treatmentDetails, row.details);
    chargeRows(ctx, details);
    const bySession = new Map<number, TreatmentDetailRow[]>(page.map((session) => [session.id, []]));
    for (const detail of details) bySession.get(detail.sessionId!)?.push(detail);
    const loader = ctx.loaders.get(treatmentDetailsBySession);
    page.forEach((session, i) => {
      const list = bySession.get(session.id)!;
      withRow[i].treatmentDetails = list;
      loader.prime(session.id, list);
    });
    if (s.item || s.unit) {
      const itemsById = primed(ctx.loaders.get(itemById), s.item ? revive(items, row.items) : []);
      const unitsById = primed(ctx.loaders.get(unitById), s.unit ? revive(units, row.units) : []);
      for (const detail of details) {
        const fields: Record<string, unknown> = {};
        if (s.item && detail.itemId !== null) fields.item = itemsById.get(detail.itemId) ?? null;
        if (s.unit && detail.unitId !== null) fields.unit = unitsById.get(detail.unitId) ?? null;
        preload(detail, fields);
      }
    }
  }
  page.forEach((session, i) => preload(session, withRow[i]));
}

/** Rows by id, primed into their loader. */
function primed<R extends { id: number }>(loader: DataLoader<number, R | undefined>, rows: R[]): Map<number, R> {
  const found = new Map(rows.map((r) => [r.id, r]));
  for (const [id, r] of found) loader.prime(id, r);
  return found;
}
