import { Field, InputType, Int, registerEnumType } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { Modality, SessionStatus, SessionType } from "./session.type.js";
import { limitDescription } from "../../text-limits.js";

export enum SessionOrderField {
  STARTS_AT = "STARTS_AT",
  ENDS_AT = "ENDS_AT",
  CREATED_AT = "CREATED_AT",
  UPDATED_AT = "UPDATED_AT",
  STATUS = "STATUS",
  TITLE = "TITLE",
}
export enum OrderDirection {
  ASC = "ASC",
  DESC = "DESC",
}
/** Which occurrences of a series an edit touches (the series module applies it). */
export enum EditScope {
  THIS = "THIS",
  THIS_AND_FOLLOWING = "THIS_AND_FOLLOWING",
  ALL = "ALL",
}
registerEnumType(EditScope, { name: "EditScope", description: "Which occurrences of a series an edit touches" });
registerEnumType(SessionOrderField, { name: "SessionOrderField" });
registerEnumType(OrderDirection, { name: "OrderDirection" });

@InputType("SessionFilter")
export class SessionFilterInput {
  @Field(() => RecordId, { nullable: true }) providerId?: number | null;
  @Field(() => RecordId, { nullable: true }) clientId?: number | null;
  @Field(() => RecordId, { nullable: true }) treatmentPlanId?: number | null;
  @Field(() => [SessionStatus], { nullable: true }) status?: SessionStatus[] | null;
  @Field(() => [SessionType], { nullable: true }) type?: SessionType[] | null;
  @Field(() => [Modality], { nullable: true }) modality?: Modality[] | null;
  @Field(() => DateTimeScalar, { nullable: true, description: "Sessions starting at or after this instant" })
  from?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: "Sessions starting at or before this instant" })
  to?: Date | null;
  @Field(() => String, {
    nullable: true,
    description: limitDescription("search", "Text in title, description or notes (case-insensitive)"),
  })
  search?: string | null;
}

@InputType("SessionOrder")
export class SessionOrderInput {
  @Field(() => SessionOrderField) field!: SessionOrderField;
  @Field(() => OrderDirection) direction!: OrderDirection;
}

/**
 * The field lists the session inputs share (type-graphql's inheritance: a subclass's input type
 * has its parent's fields). The bases are never arguments, so the schema has no type of theirs.
 */
@InputType("SessionNotesFields")
export class SessionNotesFields {
  @Field(() => String, { nullable: true, description: limitDescription("notes") }) notes?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("providerNotes") }) providerNotes?:
    string | null;
}

/** What a booking and an update both write as text. */
@InputType("SessionTextFields")
export class SessionTextFields extends SessionNotesFields {
  @Field(() => String, { nullable: true, description: limitDescription("title") }) title?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("description") }) description?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("location") }) location?: string | null;
}

@InputType("BookSessionInput")
export class BookSessionInput extends SessionTextFields {
  @Field(() => RecordId, { nullable: true, description: "Defaults to the caller when the caller is a PROVIDER" })
  providerId?: number | null;
  @Field(() => RecordId, {
    nullable: true,
    description: "Or treatmentPlanId, which resolves the client; a CLIENT books for themself",
  })
  clientId?: number | null;
  @Field(() => RecordId, { nullable: true }) treatmentPlanId?: number | null;
  @Field(() => DateTimeScalar) startsAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: "Or durationMinutes" }) endsAt?: Date | null;
  @Field(() => Int, { nullable: true }) durationMinutes?: number | null;
  @Field(() => SessionType, { nullable: true, description: "Default THERAPY" }) type?: SessionType | null;
  @Field(() => Modality, { nullable: true, description: "Default IN_PERSON" }) modality?: Modality | null;
  @Field(() => RecordId, {
    nullable: true,
    description:
      "The caller's hold (holdSlot) of exactly this provider and time: books inside it and consumes it. Another caller's is NOT_FOUND; after its expiry the booking succeeds if the time is still free, else CONFLICT HOLD_EXPIRED",
  })
  holdId?: number | null;
}

@InputType("CompleteSessionInput")
export class CompleteSessionInput extends SessionNotesFields {
  @Field(() => DateTimeScalar, { nullable: true }) actualStart?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) actualEnd?: Date | null;
  @Field(() => String, { nullable: true, description: limitDescription("clientFeedback") }) clientFeedback?:
    string | null;
  @Field(() => String, { nullable: true, description: limitDescription("exercisesPerformed") }) exercisesPerformed?:
    string | null;
}

/** Every field of a booking and of completing may be changed (same names, same types: checked by `implements`). */
@InputType("UpdateSessionInput", {
  description: "Every field optional; new times follow the rescheduleSession rules, a new status the state machine",
})
export class UpdateSessionInput
  extends SessionTextFields
  implements Partial<Omit<BookSessionInput, "providerId" | "clientId" | "startsAt">>, Partial<CompleteSessionInput>
{
  @Field(() => SessionType, { nullable: true }) type?: SessionType | null;
  @Field(() => Modality, { nullable: true }) modality?: Modality | null;
  @Field(() => String, { nullable: true, description: limitDescription("clientFeedback") }) clientFeedback?:
    string | null;
  @Field(() => String, { nullable: true, description: limitDescription("exercisesPerformed") }) exercisesPerformed?:
    string | null;
  @Field(() => DateTimeScalar, { nullable: true }) startsAt?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) endsAt?: Date | null;
  @Field(() => Int, { nullable: true, description: "Instead of endsAt" }) durationMinutes?: number | null;
  @Field(() => SessionStatus, { nullable: true }) status?: SessionStatus | null;
  @Field(() => DateTimeScalar, { nullable: true }) actualStart?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) actualEnd?: Date | null;
  @Field(() => RecordId, { nullable: true }) treatmentPlanId?: number | null;
  @Field(() => String, { nullable: true, description: limitDescription("googleEventId") }) googleEventId?:
    string | null;
  @Field(() => String, { nullable: true, description: limitDescription("outlookEventId") }) outlookEventId?:
    string | null;
}
