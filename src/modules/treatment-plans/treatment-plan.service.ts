import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import { anyOf } from "../../db/any-id.js";
import { treatmentPlans, type TreatmentPlanRow, type UserRow } from "../../db/schema/index.js";
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
import { violatedAuthorization } from "./plan-authorization.js";

export type { ClientMatch, ClientMatchMethod, PlanProgress } from "./treatment-plan.loaders.js";

export interface TreatmentPlanCommand {
  clientId?: number | null;
  clientRef?: string | null;
  clientName?: string | null;
  planType?: string | null;
  title?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  authorizedSessions?: number | null;
  authorizedUntil?: string | null;
}

export interface TreatmentPlanPatchCommand {
  clientRef?: string | null;
  clientName?: string | null;
  planType?: string | null;
  title?: string | null;
  status?: string | null;
  startDate?: string | null;
  endDate?: string | null;
  authorizedSessions?: number | null;
  authorizedUntil?: string | null;
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

/** How many more sessions the plan authorizes; null when unlimited. Batched with progress. */
export async function remainingSessions(ctx: RequestContext, plan: TreatmentPlanRow): Promise<number | null> {
  if (plan.authorizedSessions === null) return null;
  return plan.authorizedSessions - (await planProgress(ctx, plan)).booked;
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

/** Whole numbers from 0 (GraphQL's Int is already whole; the service takes no one's word for it). */
function checkAuthorization(input: { authorizedSessions?: number | null; authorizedUntil?: string | null }) {
  const errors: Record<string, Words> = {};
  const n = input.authorizedSessions;
  if (n != null && !(Number.isInteger(n) && n >= 0 && n <= MAX_AUTHORIZED_SESSIONS))
    errors.authorizedSessions = words`${field("authorizedSessions")} must be a whole number from 0 to ${MAX_AUTHORIZED_SESSIONS}, or null for unlimited`;
  if (input.authorizedUntil != null && !isCalendarDate(input.authorizedUntil))
    errors.authorizedUntil = words`${field("authorizedUntil")} must be a date YYYY-MM-DD, got "${input.authorizedUntil}"`;
  return errors;
}

/** More than any course of treatment; keeps the column within PostgreSQL's integer. */
const MAX_AUTHORIZED_SESSIONS = 10_000;

/**
 * An authorization narrowed below what the plan already has booked is refused, not left
 * overdrawn: the plan trigger (drizzle/0009) decides; this words it on the field, with the count.
 */
async function narrowedAuthorization(
  ctx: RequestContext,
  planId: number,
  err: unknown,
): Promise<DomainError | undefined> {
  const rule = violatedAuthorization(err);
  if (!rule) return undefined;
  if (rule === "UNTIL")
    return badInput(
      "authorizedUntil",
      words`Some ${noun("sessions")} of this plan start after ${field("authorizedUntil")}; cancel or reschedule them first`,
      "BOOKED_BEYOND_AUTHORIZATION",
    );
  const { booked } = await ctx.loaders.get(progressByPlan).clear(planId).load(planId);
  return badInput(
    "authorizedSessions",
    words`${booked} ${noun("sessions")} of this plan are booked (not cancelled): ${field("authorizedSessions")} cannot be lower; cancel ${noun("sessions")} first`,
    "BOOKED_BEYOND_AUTHORIZATION",
  );
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
    authorizedSessions: input.authorizedSessions ?? null,
    authorizedUntil: input.authorizedUntil ?? null,
  };
  const errors = { ...checkDates(values.startDate, values.endDate), ...checkAuthorization(values) };
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
  if (patch.authorizedSessions !== undefined) set.authorizedSessions = patch.authorizedSessions;
  if (patch.authorizedUntil !== undefined) set.authorizedUntil = patch.authorizedUntil;
  const errors = {
    ...checkDates(
      set.startDate !== undefined ? set.startDate : plan.startDate,
      set.endDate !== undefined ? set.endDate : plan.endDate,
    ),
    ...checkAuthorization(set),
  };
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
  const [updated] = await ctx.db
    .atomic((tx) =>
      tx
        .update(treatmentPlans)
        .set({ ...set, updatedAt: ctx.deps.now() })
        .where(eq(treatmentPlans.id, plan.id))
        .returning(),
    )
    .catch(async (err: unknown) => {
      throw (await narrowedAuthorization(ctx, plan.id, err)) ?? err;
    });
  ctx.loaders.get(treatmentPlanById).clear(plan.id).prime(plan.id, updated);
  return updated;
}
