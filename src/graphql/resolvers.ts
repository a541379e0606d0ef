import type { ClassType, NonEmptyArray } from "type-graphql";
import { UserResolver } from "../modules/tenants/graphql.js";
import {
  AvailabilityOverrideResolver,
  AvailabilityRuleResolver,
  SlotResolver,
} from "../modules/availability/graphql.js";
import { CancellationResolver, SessionResolver, TreatmentPlanSessionsResolver } from "../modules/sessions/graphql.js";
import { TreatmentPlanResolver } from "../modules/treatment-plans/graphql.js";
import { SeriesResolver, SessionSeriesResolver, TreatmentPlanSeriesResolver } from "../modules/series/graphql.js";
import { GroupSessionResolver, SessionGroupResolver } from "../modules/groups/graphql.js";
import { SubscriptionResolver } from "../modules/events/graphql.js";
import { SlotHoldResolver } from "../modules/holds/graphql.js";
import { SlotHoldWaitlistResolver, WaitlistResolver } from "../modules/waitlist/graphql.js";
import { VideoResolver } from "../modules/video/graphql.js";
import { AuditResolver } from "../modules/audit/graphql.js";
import { CalendarFeedResolver } from "../modules/calendar-feeds/graphql.js";
import { ReminderSettingsResolver, SessionRemindersResolver } from "../modules/reminders/graphql.js";
import { WebhookResolver } from "../modules/webhooks/graphql.js";
import {
  CatalogResolver,
  ItemUsageResolver,
  SessionTreatmentDetailsResolver,
  TreatmentDetailResolver,
} from "../modules/treatment-details/graphql.js";

/** Every resolver class of the schema: one line per module. */
export const resolvers: NonEmptyArray<ClassType> = [
  UserResolver,
  AvailabilityRuleResolver,
  AvailabilityOverrideResolver,
  SlotResolver,
  VideoResolver,
  CatalogResolver,
  TreatmentDetailResolver,
  ItemUsageResolver,
  SessionTreatmentDetailsResolver,
  SessionResolver,
  CancellationResolver,
  TreatmentPlanResolver,
  TreatmentPlanSessionsResolver,
  SeriesResolver,
  SessionSeriesResolver,
  TreatmentPlanSeriesResolver,
  SlotHoldResolver,
  GroupSessionResolver,
  SessionGroupResolver,
  SubscriptionResolver,
  WaitlistResolver,
  SlotHoldWaitlistResolver,
  AuditResolver,
  CalendarFeedResolver,
  ReminderSettingsResolver,
  SessionRemindersResolver,
  WebhookResolver,
];
