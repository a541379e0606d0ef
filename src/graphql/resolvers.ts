import type { NonEmptyArray } from "type-graphql";
import { UserResolver } from "../modules/tenants/user.resolver.js";
import { AvailabilityOverrideResolver, AvailabilityRuleResolver, SlotResolver } from "../modules/availability/availability.resolver.js";
import { CancellationResolver, SessionResolver } from "../modules/sessions/session.resolver.js";
import { TreatmentPlanResolver } from "../modules/treatment-plans/treatment-plan.resolver.js";
import { SubscriptionResolver } from "../modules/events/subscription.resolver.js";
import { VideoResolver } from "../modules/video/video.resolver.js";
import { AuditResolver } from "../modules/audit/audit.resolver.js";
import { CatalogResolver, ItemUsageResolver, SessionTreatmentDetailsResolver, TreatmentDetailResolver } from "../modules/treatment-details/treatment-detail.resolver.js";

/** Every resolver class of the schema: one line per module. */
export const resolvers: NonEmptyArray<Function> = [UserResolver, AvailabilityRuleResolver, AvailabilityOverrideResolver, SlotResolver, VideoResolver, CatalogResolver, TreatmentDetailResolver, ItemUsageResolver, SessionTreatmentDetailsResolver, SessionResolver, CancellationResolver, TreatmentPlanResolver, SubscriptionResolver, AuditResolver];
