import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { AvailabilityOverrideRow, AvailabilityRuleRow, UserRow } from "../../db/schema/index.js";
import { registerNodeType } from "../../graphql/node.js";
import { DateScalar, TimeZoneScalar } from "../../graphql/scalars.js";
import type { RequestContext } from "../context.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import { AvailabilityOverrideInput, AvailabilityRuleInput, AvailabilityRulePatch } from "./availability.input.js";
import * as schedule from "./schedule.service.js";
import * as slots from "./slots.service.js";
import {
  AvailabilityOverride,
  AvailabilityRule,
  DaySlots,
  FreeInterval,
  ProviderSchedulingSettings,
  ProviderSlots,
} from "./availability.type.js";

registerNodeType("AvailabilityRule", "availability_rules", (ctx, id) => schedule.getAvailabilityRule(ctx, id));
registerNodeType("AvailabilityOverride", "availability_overrides", (ctx, id) =>
  schedule.getAvailabilityOverride(ctx, id),
);

@Resolver(() => AvailabilityRule)
export class AvailabilityRuleResolver {
  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  provider(@Root() rule: AvailabilityRuleRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, rule.providerId);
  }

  @Query(() => [AvailabilityRule], {
    description: "Defaults to the caller's own rules (PROVIDER); an ADMIN without providerId gets every provider's",
  })
  availabilityRules(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
  ): Promise<AvailabilityRuleRow[]> {
    return schedule.listAvailabilityRules(ctx, providerId ?? undefined);
  }

  @Mutation(() => AvailabilityRule, { description: "A PROVIDER their own, an ADMIN anyone's" })
  createAvailabilityRule(
    @Arg("input", () => AvailabilityRuleInput) input: AvailabilityRuleInput,
    @Ctx() ctx: RequestContext,
  ): Promise<AvailabilityRuleRow> {
    return schedule.createAvailabilityRule(ctx, { ...input, providerId: input.providerId ?? undefined });
  }

  @Mutation(() => AvailabilityRule)
  updateAvailabilityRule(
    @Arg("id", () => RecordId) id: number,
    @Arg("input", () => AvailabilityRulePatch) input: AvailabilityRulePatch,
    @Ctx() ctx: RequestContext,
  ): Promise<AvailabilityRuleRow> {
    return schedule.updateAvailabilityRule(ctx, id, input);
  }

  @Mutation(() => Boolean)
  deleteAvailabilityRule(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<boolean> {
    return schedule.deleteAvailabilityRule(ctx, id);
  }
}

@Resolver(() => AvailabilityOverride)
export class AvailabilityOverrideResolver {
  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  provider(@Root() override: AvailabilityOverrideRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, override.providerId);
  }

  @Query(() => [AvailabilityOverride], {
    description: "Defaults to the caller's own (PROVIDER); from..to filters by date (inclusive)",
  })
  availabilityOverrides(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
    @Arg("from", () => DateScalar, { nullable: true }) from?: string | null,
    @Arg("to", () => DateScalar, { nullable: true }) to?: string | null,
  ): Promise<AvailabilityOverrideRow[]> {
    return schedule.listAvailabilityOverrides(ctx, { providerId: providerId ?? undefined, from, to });
  }

  @Mutation(() => AvailabilityOverride, { description: "A PROVIDER their own, an ADMIN anyone's" })
  createAvailabilityOverride(
    @Arg("input", () => AvailabilityOverrideInput) input: AvailabilityOverrideInput,
    @Ctx() ctx: RequestContext,
  ): Promise<AvailabilityOverrideRow> {
    return schedule.createAvailabilityOverride(ctx, { ...input, providerId: input.providerId ?? undefined });
  }

  @Mutation(() => Boolean)
  deleteAvailabilityOverride(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<boolean> {
    return schedule.deleteAvailabilityOverride(ctx, id);
  }
}

@Resolver()
export class SlotResolver {
  @Query(() => [DaySlots], {
    description:
      "Bookable starts per local day (provider's zone) on a 30-minute grid, with the durations that fit. " +
      "from..to at most 62 days; durations default 30/60/90/120, at most 8 distinct. A CLIENT caller's own sessions always count as busy.",
  })
  availableSlots(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId) providerId: number,
    @Arg("from", () => DateScalar) from: string,
    @Arg("to", () => DateScalar, { nullable: true }) to?: string | null,
    @Arg("durations", () => [Int], { nullable: true }) durations?: number[] | null,
    @Arg("clientId", () => RecordId, { nullable: true }) clientId?: number | null,
  ): Promise<slots.DaySlots[]> {
    return slots.availableSlots(ctx, {
      providerId,
      from,
      to,
      durations,
      clientId: clientId ?? undefined,
    });
  }

  @Query(() => [ProviderSlots], {
    description:
      "availableSlots for up to 100 distinct providers at once (each in their own zone), in the order given, a provider named twice answered once: one request for a practice's calendar",
  })
  availableSlotsByProvider(
    @Ctx() ctx: RequestContext,
    @Arg("providerIds", () => [RecordId]) providerIds: number[],
    @Arg("from", () => DateScalar) from: string,
    @Arg("to", () => DateScalar, { nullable: true }) to?: string | null,
    @Arg("durations", () => [Int], { nullable: true }) durations?: number[] | null,
    @Arg("clientId", () => RecordId, { nullable: true }) clientId?: number | null,
  ): Promise<slots.ProviderSlots[]> {
    return slots.availableSlotsByProvider(ctx, {
      providerIds,
      from,
      to,
      durations,
      clientId: clientId ?? undefined,
    });
  }

  @Query(() => [FreeInterval], {
    description:
      "The provider's working hours on the local dates from..to (their zone; at most 62 days): weekly rules with the date overrides applied, merged",
  })
  workingHours(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId) providerId: number,
    @Arg("from", () => DateScalar) from: string,
    @Arg("to", () => DateScalar, { nullable: true }) to?: string | null,
  ): Promise<slots.FreeIntervalResult[]> {
    return slots.workingHours(ctx, { providerId, from, to });
  }

  @Query(() => [FreeInterval], {
    description:
      "The maximal free gaps of the provider's working hours on a local date (default hours 08:00–20:00 without a schedule), at least minDurationMinutes (default 30) long",
  })
  freeIntervals(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId) providerId: number,
    @Arg("date", () => DateScalar) date: string,
    @Arg("minDurationMinutes", () => Int, { nullable: true }) minDurationMinutes?: number | null,
  ): Promise<slots.FreeIntervalResult[]> {
    return slots.freeIntervals(ctx, { providerId, date, minDurationMinutes });
  }

  @Query(() => ProviderSchedulingSettings, { description: "Defaults to the caller (PROVIDER)" })
  providerSchedulingSettings(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
  ): Promise<schedule.SchedulingSettings> {
    return schedule.getProviderSchedulingSettings(ctx, providerId ?? undefined);
  }

  @Mutation(() => ProviderSchedulingSettings, {
    description: "A PROVIDER their own, an ADMIN anyone's; omitted values stay",
  })
  updateProviderSchedulingSettings(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
    @Arg("minNoticeMinutes", () => Int, { nullable: true }) minNoticeMinutes?: number | null,
    @Arg("bufferMinutes", () => Int, { nullable: true }) bufferMinutes?: number | null,
    @Arg("timeZone", () => TimeZoneScalar, { nullable: true }) timeZone?: string | null,
  ): Promise<schedule.SchedulingSettings> {
    return schedule.updateProviderSchedulingSettings(ctx, {
      providerId: providerId ?? undefined,
      minNoticeMinutes,
      bufferMinutes,
      timeZone,
    });
  }
}
