import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";

/** How an audited act ended (the database stores the lowercase values). */
export enum AuditOutcome {
  SUCCESS = "success",
  DENIED = "denied",
  INVALID = "invalid",
  NOT_FOUND = "not_found",
  CONFLICT = "conflict",
  ERROR = "error",
}
registerEnumType(AuditOutcome, { name: "AuditOutcome" });

/** One row of the audit log. The actor is resolved from actorId by a field resolver. */
@ObjectType("AuditEntry")
export class AuditEntry {
  @Field(() => ID) id!: number;
  @Field(() => String, { description: "The mutation (bookSession), the REST route (POST /api/v1/sessions) or read (sessions' clinical text, or a refused read)" }) action!: string;
  @Field(() => String, { description: "The record's type: Session, TreatmentDetail, ..." }) entity!: string;
  @Field(() => ID, { nullable: true }) entityId!: string | null;
  @Field(() => [ID], { description: "A read: every record whose notes, provider notes or feedback the request returned (one entry per request)" }) entityIds!: string[];
  @Field(() => AuditOutcome) outcome!: AuditOutcome;
  @Field(() => String, { description: "The request's id, as in the server's log lines" }) requestId!: string;
  @Field(() => DateTimeScalar) occurredAt!: Date;
}
