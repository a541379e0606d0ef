import { Field, InputType, Int } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { SessionTextFields } from "../sessions/graphql.js";
import { Modality, SessionType } from "../sessions/graphql.js";
import { SeriesConflictPolicy } from "./series.type.js";

@InputType("BookSeriesInput")
export class BookSeriesInput extends SessionTextFields {
  @Field(() => RecordId, { nullable: true, description: "Defaults to the caller when the caller is a PROVIDER" })
  providerId?: number | null;
  @Field(() => RecordId, { nullable: true, description: "Or treatmentPlanId, which resolves the client" })
  clientId?: number | null;
  @Field(() => RecordId, { nullable: true }) treatmentPlanId?: number | null;
  @Field(() => DateTimeScalar, { description: "The first occurrence (DTSTART)" }) startsAt!: Date;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => String, {
    description:
      "RRULE value: FREQ=DAILY|WEEKLY|MONTHLY with INTERVAL, BYDAY (1MO/-1FR in MONTHLY), BYMONTHDAY, BYSETPOS, and COUNT or UNTIL (one is required); at most 200 occurrences and 2 years",
  })
  recurrence!: string;
  @Field(() => SeriesConflictPolicy, { nullable: true, description: "Default ALL_OR_NOTHING" })
  conflictPolicy?: SeriesConflictPolicy | null;
  @Field(() => SessionType, { nullable: true, description: "Default THERAPY" }) type?: SessionType | null;
  @Field(() => Modality, { nullable: true, description: "Default IN_PERSON" }) modality?: Modality | null;
}
