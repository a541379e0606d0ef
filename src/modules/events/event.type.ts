import { Field, ObjectType, registerEnumType } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar, DateScalar } from "../../graphql/scalars.js";
import { DaySlots } from "../availability/graphql.js";
import { Session } from "../sessions/graphql.js";
import { SESSION_EVENT_TYPES, type SessionEventType } from "./outbox.js";

registerEnumType(SESSION_EVENT_TYPES, { name: "SessionEventType" });

@ObjectType("SlotsChange", { description: "A provider's slots changed on some dates of the subscribed range" })
export class SlotsChange {
  @Field(() => RecordId) providerId!: number;
  @Field(() => [DateScalar], { description: "The local dates (provider's zone) whose slots changed" }) dates!: string[];
  @Field(() => SESSION_EVENT_TYPES, {
    nullable: true,
    description: "The session event behind it; null for an availability change",
  })
  reason!: SessionEventType | null;
  @Field(() => [DaySlots], { description: "The recomputed slots of exactly those dates" }) days!: DaySlots[];
  @Field(() => String, { description: "Pass as `after` when resubscribing to receive what was missed" })
  cursor!: string;
}

@ObjectType("SessionEvent")
export class SessionEvent {
  @Field(() => RecordId) id!: number;
  @Field(() => SESSION_EVENT_TYPES) type!: SessionEventType;
  @Field(() => DateTimeScalar) occurredAt!: Date;
  @Field(() => Session, {
    description: "The session as it is when the event is delivered (a deleted session: its ids, times and status only)",
  })
  session!: unknown;
  @Field(() => String, { description: "Pass as `after` when resubscribing to receive what was missed" })
  cursor!: string;
}
