import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, pgTable, text, unique } from "drizzle-orm/pg-core";
import { id, instant, timestamps } from "./columns.js";
import { tenantId, users } from "./tenants.js";
import { sessionSeries } from "./series.js";
import { treatmentPlans } from "./treatment-plans.js";

import { modalityEnum, sessionStatusEnum, sessionTypeEnum } from "./session-enums.js";
import { groupSessions } from "./groups.js";

export { modalityEnum, sessionStatusEnum, sessionTypeEnum };

/**
 * A session is every legacy "session", "meeting", "appointment" and "treatment".
 * No provider and no client can hold two overlapping active sessions: see the exclusion
 * constraints in drizzle/0001_invariants.sql (drizzle-kit cannot express them).
 */
export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    tenantId: tenantId(),
    providerId: integer("provider_id").notNull(),
    clientId: integer("client_id").notNull(),
    treatmentPlanId: integer("treatment_plan_id"),
    title: text("title"),
    description: text("description"),
    type: sessionTypeEnum("type").notNull().default("THERAPY"),
    modality: modalityEnum("modality").notNull().default("IN_PERSON"),
    location: text("location"),
    startsAt: instant("starts_at").notNull(),
    endsAt: instant("ends_at").notNull(),
    actualStart: instant("actual_start"),
    actualEnd: instant("actual_end"),
    status: sessionStatusEnum("status").notNull().default("SCHEDULED"),
    notes: text("notes"),
    providerNotes: text("provider_notes"),
    clientFeedback: text("client_feedback"),
    exercisesPerformed: text("exercises_performed"),
    googleEventId: text("google_event_id"),
    outlookEventId: text("outlook_event_id"),
    videoRoomName: text("video_room_name"),
    videoRoomSid: text("video_room_sid"),
    cancelledAt: instant("cancelled_at"),
    cancelledBy: integer("cancelled_by"),
    cancellationReason: text("cancellation_reason"),
    /** The series this session is an occurrence of, and its 1-based position there (kept when detached). */
    seriesId: integer("series_id"),
    occurrenceIndex: integer("occurrence_index"),
    /** The group session this session is a seat of (its client's seat; same provider and time). */
    groupSessionId: integer("group_session_id"),
    createdBy: integer("created_by"),
    updatedBy: integer("updated_by"),
    /** Grows by one with every update of the row (drizzle/0013's trigger): a calendar feed's SEQUENCE. */
    revision: integer("revision").notNull().default(0),
    ...timestamps(),
  },
  (t) => [
    index("sessions_tenant_idx").on(t.tenantId),
    unique("sessions_tenant_id_key").on(t.tenantId, t.id),
    unique("sessions_video_room_name_key").on(t.videoRoomName),
    index("sessions_provider_starts_idx").on(t.tenantId, t.providerId, t.startsAt),
    index("sessions_client_starts_idx").on(t.tenantId, t.clientId, t.startsAt),
    index("sessions_plan_idx").on(t.tenantId, t.treatmentPlanId),
    index("sessions_series_idx").on(t.tenantId, t.seriesId, t.startsAt),
    check("sessions_ends_after_starts", sql`${t.endsAt} > ${t.startsAt}`),
    foreignKey({ name: "sessions_provider_fk", columns: [t.tenantId, t.providerId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "sessions_client_fk", columns: [t.tenantId, t.clientId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ name: "sessions_plan_fk", columns: [t.tenantId, t.treatmentPlanId], foreignColumns: [treatmentPlans.tenantId, treatmentPlans.id] }),
    index("sessions_group_idx").on(t.tenantId, t.groupSessionId),
    foreignKey({ name: "sessions_group_fk", columns: [t.tenantId, t.groupSessionId], foreignColumns: [groupSessions.tenantId, groupSessions.id] }),
    foreignKey({ name: "sessions_series_fk", columns: [t.tenantId, t.seriesId], foreignColumns: [sessionSeries.tenantId, sessionSeries.id] }),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;
export type SessionStatus = (typeof sessionStatusEnum.enumValues)[number];
export type SessionType = (typeof sessionTypeEnum.enumValues)[number];
export type Modality = (typeof modalityEnum.enumValues)[number];
