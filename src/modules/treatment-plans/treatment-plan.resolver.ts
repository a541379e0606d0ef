import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { TreatmentPlanRow, UserRow } from "../../db/schema/index.js";
import { registerNodeType } from "../../graphql/node.js";
import type { RequestContext } from "../context.js";
import { User } from "../tenants/graphql.js";
import { TreatmentPlanInput, TreatmentPlanPatch } from "./treatment-plan.input.js";
import {
  createTreatmentPlan,
  getTreatmentPlan,
  listTreatmentPlans,
  visiblePlanClient,
  planProgress,
  remainingSessions,
  updateTreatmentPlan,
  visibleClientMatch,
  type ClientMatch as ClientMatchResult,
  type PlanProgress,
} from "./treatment-plan.service.js";
import { ClientMatch, TreatmentPlan, TreatmentPlanProgress } from "./treatment-plan.type.js";

registerNodeType("TreatmentPlan", "treatment_plans", getTreatmentPlan);

@Resolver(() => TreatmentPlan)
export class TreatmentPlanResolver {
  @Query(() => [TreatmentPlan], {
    description: "The tenant's plans, or one client's (assigned or matched); a CLIENT gets their own",
  })
  treatmentPlans(
    @Ctx() ctx: RequestContext,
    @Arg("clientId", () => RecordId, { nullable: true }) clientId?: number | null,
  ): Promise<TreatmentPlanRow[]> {
    return listTreatmentPlans(ctx, clientId ?? undefined);
  }

  @Query(() => TreatmentPlan, { nullable: true })
  treatmentPlan(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<TreatmentPlanRow> {
    return getTreatmentPlan(ctx, id);
  }

  @Mutation(() => TreatmentPlan, { description: "ADMIN or PROVIDER" })
  createTreatmentPlan(
    @Arg("input", () => TreatmentPlanInput) input: TreatmentPlanInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TreatmentPlanRow> {
    return createTreatmentPlan(ctx, { ...input, clientId: input.clientId ?? undefined });
  }

  @Mutation(() => TreatmentPlan, { description: "ADMIN or PROVIDER" })
  updateTreatmentPlan(
    @Arg("id", () => RecordId) id: number,
    @Arg("input", () => TreatmentPlanPatch) input: TreatmentPlanPatch,
    @Ctx() ctx: RequestContext,
  ): Promise<TreatmentPlanRow> {
    return updateTreatmentPlan(ctx, id, input);
  }

  @FieldResolver(() => User, { nullable: true, description: "The assigned client, else the matched one" })
  client(@Root() plan: TreatmentPlanRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return visiblePlanClient(ctx, plan);
  }

  @FieldResolver(() => ClientMatch, {
    nullable: true,
    description: "How clientRef / clientName match a client user; null when none does or the caller may not see it",
  })
  clientMatch(@Root() plan: TreatmentPlanRow, @Ctx() ctx: RequestContext): Promise<ClientMatchResult | null> {
    return visibleClientMatch(ctx, plan);
  }

  @FieldResolver(() => TreatmentPlanProgress, { description: "Counts over all the plan's sessions" })
  progress(@Root() plan: TreatmentPlanRow, @Ctx() ctx: RequestContext): Promise<PlanProgress> {
    return planProgress(ctx, plan);
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: "How many more sessions authorizedSessions allows (cancelling one frees it); null when unlimited",
  })
  remainingSessions(@Root() plan: TreatmentPlanRow, @Ctx() ctx: RequestContext): Promise<number | null> {
    return remainingSessions(ctx, plan);
  }
}
