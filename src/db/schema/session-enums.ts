import { pgEnum } from "drizzle-orm/pg-core";

export const sessionStatusEnum = pgEnum("session_status", ["SCHEDULED", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"]);
export const sessionTypeEnum = pgEnum("session_type", ["PERSONAL", "GROUP", "ONLINE", "ASSESSMENT", "CONSULTATION", "THERAPY"]);
export const modalityEnum = pgEnum("modality", ["VIDEO", "AUDIO", "IN_PERSON", "CHAT"]);
