/**
 * Scenario 3, the database's limit: the data of scenario 1 read straight through postgres.js,
 * as the application role with the tenant set, like the server does, at the same concurrency.
 */
import type postgres from "postgres";
import type { CapturedStatement } from "./in-process.js";

/**
 * The server's own statements (captured from one request), pipelined in one transaction.
 * prepare: named statements, parsed and planned once per connection; without it they go as
 * the server sends them today (drizzle's unnamed statements: Parse + Describe, a round trip to
 * learn the parameter types, then Bind + Execute, and a fresh plan every time).
 */
export function replayServerStatements(
  sql: postgres.Sql,
  statements: CapturedStatement[],
  prepare: boolean,
): () => Promise<void> {
  return async () => {
    await sql.begin((tx) =>
      statements.map((s) => tx.unsafe(s.text, s.parameters as postgres.ParameterOrJSON<never>[], { prepare })),
    );
  };
}

export interface PageQuery {
  tenantId: number;
  viewerId: number;
  providerId: number;
  from: Date;
  to: Date;
}

/**
 * The same page as ONE statement after the tenant is set: the viewer, the total, and 50 sessions
 * with provider, client, treatment plan and treatment details (item, unit) nested as JSON.
 * Resolves to the number of sessions on the page.
 */
export function singleStatementPage(sql: postgres.Sql, q: PageQuery): () => Promise<number> {
  const from = q.from.toISOString();
  const to = q.to.toISOString();
  return async () => {
    const [, [row]] = await sql.begin((tx) => [
      tx`select set_config('role', 'sessiongraph_app', true), set_config('app.tenant_id', ${String(q.tenantId)}, true)`,
      tx<{ viewer: unknown; total: number; nodes: unknown[] }[]>`
        with page as (
          select * from sessions
           where provider_id = ${q.providerId} and starts_at >= ${from}::timestamptz and starts_at <= ${to}::timestamptz
           order by starts_at, id limit 51
        )
        select
          (select json_build_object('id', id, 'role', role, 'status', status) from users where id = ${q.viewerId} and deleted_at is null) as viewer,
          (select count(*)::int from sessions where provider_id = ${q.providerId} and starts_at >= ${from}::timestamptz and starts_at <= ${to}::timestamptz) as total,
          coalesce((select json_agg(json_build_object(
              'id', p.id, 'title', p.title, 'status', p.status, 'type', p.type, 'modality', p.modality,
              'startsAt', p.starts_at, 'endsAt', p.ends_at, 'location', p.location, 'notes', p.notes,
              'provider', (select json_build_object('id', u.id, 'name', u.name, 'email', u.email) from users u where u.id = p.provider_id),
              'client', (select json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'phone', u.phone) from users u where u.id = p.client_id),
              'treatmentPlan', (select json_build_object('id', t.id, 'title', t.title, 'status', t.status) from treatment_plans t where t.id = p.treatment_plan_id),
              'treatmentDetails', coalesce((
                select json_agg(json_build_object(
                    'id', d.id, 'quantity', d.quantity,
                    'item', case when i.id is null then null else json_build_object('id', i.id, 'name', i.name, 'sku', i.sku) end,
                    'unit', case when un.id is null then null else json_build_object('id', un.id, 'name', un.name) end) order by d.id)
                  from treatment_details d left join items i on i.id = d.item_id left join units un on un.id = d.unit_id
                 where d.session_id = p.id and d.deleted_at is null), '[]'::json)
            ) order by p.starts_at, p.id) from page p), '[]'::json) as nodes`,
    ]);
    if (!row.viewer) throw new Error("viewer not found");
    return Math.min(row.nodes.length, 50);
  };
}
