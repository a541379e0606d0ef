import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import { anyOf } from "../../db/any-id.js";
import { treatmentPlans, type TreatmentPlanRow, type UserRow } from "../../db/schema/index.js";
import { badInput, field, forbidden, notFound, noun, throwFieldErrors, words, type Words } from "../../errors.js";
import { checkTextLengths } from "../../text-limits.js";
import { isCalendarDate } from "../../time.js";
import type { RequestContext } from "../context.js";
import { findVisibleUser, getUserWithRole, requireRole, userById } from "../tenants/index.js";
import {
  clientMatchByKey,
  progressByPlan,
  treatmentPlanById,
  type ClientMatch,
  type PlanProgress,
} from "./treatment-plan.loaders.js";
import { charged } from "../response-budget.js";

export type { ClientMatch, ClientMatchMethod, PlanProgress } from "./treatment-plan.loaders.js";

export interface TreatmentPlanCommand {
  clientId?: number | null;
  clientRef?: string | null;
  clientName?: string | null;
  planType?: string | null;
  title?: string | null;
  startDate?: string | null;
  endDate?: string | null;
}

export interface TreatmentPlanPatchCommand {
  clientRef?: string | null;
  clientName?: string | null;
  planType?: string | null;
  title?: string | null;
  status?: string | null;
  startDate?: string | null;
  endDate?: string | null;
}

/**
 * The legacy client matching of a plan (clientRef / clientName; see treatment-plan.loaders.ts),
 * or null when no CLIENT user matches. The plan's explicit clientId is not part of it: see planClient.
 */
export function matchClient(
  ctx: RequestContext,
  plan: Pick<TreatmentPlanRow, "clientRef" | "clientName">,
): Promise<ClientMatch | null> {
  return ctx.loaders.get(clientMatchByKey).load({ clientRef: plan.clientRef, clientName: plan.clientName });
}

/**
 * The plan's client, for rules (who sees the plan, whose sessions it books): its explicit clientId
 * first, else the matched client; null when neither. Not for showing: see visiblePlanClient.
 */
export async function planClient(ctx: RequestContext, plan: TreatmentPlanRow): Promise<UserRow | null> {
  if (plan.clientId !== null) return (await ctx.loaders.get(userById).load(plan.clientId)) ?? null;
  return (await matchClient(ctx, plan))?.client ?? null;
}

/** The plan's client as the caller may see it (user.visibility.ts); null when none or hidden. */
export async function visiblePlanClient(ctx: RequestContext, plan: TreatmentPlanRow): Promise<UserRow | null> {
  return findVisibleUser(ctx, (await planClient(ctx, plan))?.id);
}

/** The legacy matching as the caller may see it: null when no client matches or the one that does is hidden. */
export async function visibleClientMatch(
  ctx: RequestContext,
  plan: Pick<TreatmentPlanRow, "clientRef" | "clientName">,
): Promise<ClientMatch | null> {
  const match = await matchClient(ctx, plan);
  const client = await findVisibleUser(ctx, match?.client.id);
  return match && client ? { ...match, client } : null;
}

/** The documented error when a plan names no client user (sapphire-scheduler-sessions.md). */
export function unmatchedClientMessage(plan: Pick<TreatmentPlanRow, "clientRef" | "clientName">): string {
  return `Could not find a client user matching treatment plan client_id "${plan.clientRef ?? ""}" or client_name "${plan.clientName ?? ""}". Please specify client manually.`;
}

/**
 * Who sees a plan, the one rule for treatmentPlan(id), node, Session.treatmentPlan and every
 * other path to a plan: ADMIN and PROVIDER every plan of the tenant (plans belong to the
 * practice and providers book from them); a CLIENT only plans whose client is them.
 */
async function canSeePlan(ctx: RequestContext, plan: TreatmentPlanRow): Promise<boolean> {
  return seesEveryPlan(ctx.viewer) || (await planClient(ctx, plan))?.id === ctx.viewer.id;
}

/** The part of canSeePlan that needs no plan: whether the viewer sees every plan of the tenant. */
export function seesEveryPlan(viewer: Pick<UserRow, "role">): boolean {
  return viewer.role !== "CLIENT";
}

export async function getTreatmentPlan(ctx: RequestContext, id: number): Promise<TreatmentPlanRow> {
  const plan = await ctx.loaders.get(treatmentPlanById).load(id);
  if (!plan) throw notFound("Treatment plan");
  if (!(await canSeePlan(ctx, plan))) throw forbidden("You do not have permission to view this treatment plan");
  return plan;
}

/** A plan nested in something the caller sees (a session): null when none or not theirs to see. */
export async function findVisibleTreatmentPlan(
  ctx: RequestContext,
  id: number | null,
): Promise<TreatmentPlanRow | null> {
  if (id === null) return null;
  const plan = await ctx.loaders.get(treatmentPlanById).load(id);
  return plan && (await canSeePlan(ctx, plan)) ? plan : null;
}

/** Plans of the tenant, or of one client (explicitly assigned or matched to them); a CLIENT gets their own. */
export async function listTreatmentPlans(ctx: RequestContext, clientId?: number): Promise<TreatmentPlanRow[]> {
  if (ctx.viewer.role === "CLIENT") {
    if (clientId !== undefined && clientId !== ctx.viewer.id)
      throw forbidden(words`${noun("Client")}s can only list their own treatment plans`);
    clientId = ctx.viewer.id;
  }
  if (clientId === undefined)
    return ctx.db.run((tx) => tx.select().from(treatmentPlans).orderBy(asc(treatmentPlans.id))).then(charged(ctx));
  const client = await getUserWithRole(ctx, clientId, "CLIENT", "Client");
  // Plans that could match this client (a superset), then the exact matching decides.
  const mayMatch = or(
    eq(treatmentPlans.clientId, client.id),
    and(
      isNull(treatmentPlans.clientId),
      or(
        anyOf(treatmentPlans.clientRef, [client.username, client.staffId ?? "", String(client.id)], "text"),
        sql`btrim(${treatmentPlans.clientName}) <> '' and strpos(lower(${client.name}), lower(${treatmentPlans.clientName})) > 0`,
      ),
    ),
  );
  const candidates = await ctx.db.run((tx) =>
    tx.select().from(treatmentPlans).where(mayMatch).orderBy(asc(treatmentPlans.id)),
  );
  const owners = await Promise.all(candidates.map((plan) => planClient(ctx, plan)));
  return charged(ctx)(candidates.filter((_, i) => owners[i]?.id === client.id));
}

export function planProgress(ctx: RequestContext, plan: TreatmentPlanRow): Promise<PlanProgress> {
  return ctx.loaders.get(progressByPlan).load(plan.id);
}

const text = (value: string | null | undefined) => (value == null || value.trim() === "" ? null : value.trim());

function checkDates(startDate: string | null, endDate: string | null): Record<string, Words> {
  const errors: Record<string, Words> = {};
  if (startDate !== null && !isCalendarDate(startDate))
    errors.startDate = words`${field("startDate")} must be a date YYYY-MM-DD, got "${startDate}"`;
  if (endDate !== null && !isCalendarDate(endDate))
    errors.endDate = words`${field("endDate")} must be a date YYYY-MM-DD, got "${endDate}"`;
  if (!Object.keys(errors).length && startDate !== null && endDate !== null && endDate < startDate)
    errors.endDate = words`${field("endDate")} must not be before ${field("startDate")}`;
  return errors;
}

/** A plan must name its client somehow. */
const NEEDS_CLIENT = words`a treatment plan needs ${field("clientId")}, ${field("clientRef")} or ${field("clientName")}`;

/** ADMIN or PROVIDER. A plan names its client by clientId, or by clientRef / clientName for matching. */
export async function createTreatmentPlan(ctx: RequestContext, input: TreatmentPlanCommand): Promise<TreatmentPlanRow> {
  requireRole(ctx, "ADMIN", "PROVIDER");
  checkTextLengths(input);
  const values = {
    clientRef: text(input.clientRef),
    clientName: text(input.clientName),
    planType: text(input.planType),
    title: text(input.title),
    startDate: input.startDate ?? null,
    endDate: input.endDate ?? null,
  };
  const errors = checkDates(values.startDate, values.endDate);
  if (input.clientId == null && values.clientRef === null && values.clientName === null) {
    errors.clientRef = NEEDS_CLIENT;
  }
  throwFieldErrors(errors);
  if (input.clientId != null) await getUserWithRole(ctx, input.clientId, "CLIENT", "Client");
  const now = ctx.deps.now();
  const [plan] = await ctx.db.atomic((tx) =>
    tx
      .insert(treatmentPlans)
      .values({
        tenantId: ctx.tenant.id,
        clientId: input.clientId ?? null,
        ...values,
        createdBy: ctx.viewer.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning(),
  );
  return plan;
}

/** ADMIN or PROVIDER; only the fields given change (null clears, except status). */
export async function updateTreatmentPlan(
  ctx: RequestContext,
  id: number,
  patch: TreatmentPlanPatchCommand,
): Promise<TreatmentPlanRow> {
  requireRole(ctx, "ADMIN", "PROVIDER");
  checkTextLengths(patch);
  const plan = await getTreatmentPlan(ctx, id);
  const set: Partial<TreatmentPlanRow> = {};
  for (const key of ["clientRef", "clientName", "planType", "title"] as const)
    if (patch[key] !== undefined) set[key] = text(patch[key]);
  if (patch.startDate !== undefined) set.startDate = patch.startDate;
  if (patch.endDate !== undefined) set.endDate = patch.endDate;
  const errors = checkDates(
    set.startDate !== undefined ? set.startDate : plan.startDate,
    set.endDate !== undefined ? set.endDate : plan.endDate,
  );
  if (patch.status !== undefined) {
    if (text(patch.status) === null) errors.status = words`${field("status")} must not be empty`;
    else set.status = text(patch.status)!;
  }
  throwFieldErrors(errors);
  const clientRef = set.clientRef !== undefined ? set.clientRef : plan.clientRef;
  const clientName = set.clientName !== undefined ? set.clientName : plan.clientName;
  if (plan.clientId === null && clientRef === null && clientName === null) {
    throw badInput("clientRef", NEEDS_CLIENT);
  }
  const [updated] = await ctx.db.atomic((tx) =>
    tx
      .update(treatmentPlans)
      .set({ ...set, updatedAt: ctx.deps.now() })
      .where(eq(treatmentPlans.id, plan.id))
      .returning(),
  );
  ctx.loaders.get(treatmentPlanById).clear(plan.id).prime(plan.id, updated);
  return updated;
}
