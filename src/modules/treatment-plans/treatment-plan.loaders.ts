import DataLoader from "dataloader";
import { and, eq, ne, or, sql, type SQL } from "drizzle-orm";
import { sessions, treatmentPlans, users, type TreatmentPlanRow, type UserRow } from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";
import { anyId, anyOf } from "../../db/any-id.js";
import { parseRecordId } from "../../bounds.js";
import { isActiveSql } from "../../rules/session-states.js";
import { userById } from "../tenants/index.js";

export const treatmentPlanById: LoaderFactory<number, TreatmentPlanRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => tx.select().from(treatmentPlans).where(anyId(treatmentPlans.id, ids))),
        (p) => p.id,
      ),
    { cache },
  );

export type ClientMatchMethod = "USERNAME" | "STAFF_ID" | "NUMERIC_ID" | "NAME";
export interface ClientMatch {
  client: UserRow;
  method: ClientMatchMethod;
}
export type MatchKey = Pick<TreatmentPlanRow, "clientRef" | "clientName">;

/** client_ref is tried as a user id only when it is one (bounds.ts: all digits, within MAX_ID). */
const numericRef = (ref: string | null) => (ref === null ? undefined : parseRecordId(ref));
/** An empty client_name would "contain" in every name: it never matches. */
const nameOf = (key: MatchKey) => (key.clientName?.trim() ? key.clientName : undefined);
/** "Contains, ignoring case": the same test in SQL (prefilter) and here (the decision). */
const containsName = (user: UserRow, name: string) => user.name.toLowerCase().includes(name.toLowerCase());

/**
 * The legacy scheduler's client matching (sapphire-scheduler-sessions.md), in its order, among
 * the tenant's CLIENT users: username == client_ref; staff_id == client_ref; id == client_ref
 * when numeric; name contains client_name (case-insensitive). Several candidates for one rule:
 * the lowest id. Candidates for a whole batch of plans come from ONE statement.
 */
export function pickClient(key: MatchKey, candidates: UserRow[]): ClientMatch | null {
  const ref = key.clientRef;
  const id = numericRef(ref);
  const name = nameOf(key);
  const rules: [ClientMatchMethod, (u: UserRow) => boolean][] = [
    ["USERNAME", (u) => ref !== null && u.username === ref],
    ["STAFF_ID", (u) => ref !== null && u.staffId === ref],
    ["NUMERIC_ID", (u) => id !== undefined && u.id === id],
    ["NAME", (u) => name !== undefined && containsName(u, name)],
  ];
  const byId = [...candidates].sort((a, b) => a.id - b.id);
  for (const [method, test] of rules) {
    const client = byId.find(test);
    if (client) return { client, method };
  }
  return null;
}

export const clientMatchByKey: LoaderFactory<MatchKey, ClientMatch | null> = (ctx, { cache }) =>
  new DataLoader(
    async (keys) => {
      const refs = [...new Set(keys.map((k) => k.clientRef).filter((r): r is string => r !== null))];
      const ids = [...new Set(keys.map((k) => numericRef(k.clientRef)).filter((n): n is number => n !== undefined))];
      const names = [...new Set(keys.map(nameOf).filter((n): n is string => n !== undefined))];
      const any: SQL[] = [];
      if (refs.length) any.push(anyOf(users.username, refs, "text"), anyOf(users.staffId, refs, "text"));
      if (ids.length) any.push(anyId(users.id, ids));
      for (const name of names) any.push(sql`strpos(lower(${users.name}), lower(${name})) > 0`);
      const candidates = any.length
        ? await ctx.db.run((tx) =>
            tx
              .select()
              .from(users)
              .where(and(eq(users.role, "CLIENT"), ne(users.status, "deleted"), or(...any))),
          )
        : [];
      // Showing a matched client looks it up by id again: it is already here.
      const byId = ctx.loaders.get(userById);
      for (const user of candidates) byId.prime(user.id, user);
      return keys.map((key) => pickClient(key, candidates));
    },
    { cache, cacheKeyFn: (key) => JSON.stringify([key.clientRef, key.clientName]) },
  );

export interface PlanProgress {
  completed: number;
  scheduled: number;
  /** Sessions that are not CANCELLED: what counts against the plan's authorizedSessions. */
  booked: number;
  total: number;
}

/** Session counts per plan, one statement per batch. */
export const progressByPlan: LoaderFactory<number, PlanProgress> = (ctx, { cache }) =>
  new DataLoader(
    async (planIds) => {
      const rows = await ctx.db.run((tx) =>
        tx
          .select({
            planId: sessions.treatmentPlanId,
            completed: sql<number>`count(*) filter (where ${sessions.status} = 'COMPLETED')`.mapWith(Number),
            scheduled: sql<number>`count(*) filter (where ${isActiveSql()})`.mapWith(Number),
            booked: sql<number>`count(*) filter (where ${sessions.status} <> 'CANCELLED')`.mapWith(Number),
            total: sql<number>`count(*)`.mapWith(Number),
          })
          .from(sessions)
          .where(anyId(sessions.treatmentPlanId, planIds))
          .groupBy(sessions.treatmentPlanId),
      );
      return byKey(planIds, rows, (r) => r.planId!).map(
        (r) => r ?? { completed: 0, scheduled: 0, booked: 0, total: 0 },
      );
    },
    { cache },
  );
