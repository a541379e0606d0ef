import { Field, ObjectType } from "type-graphql";
import { AUDIT_OUTCOMES } from "../../db/schema/index.js";
import { upperCasedEnum } from "../../graphql/enums.js";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/** How an audited act ended: the database's values (src/db/schema/audit.ts), named in GraphQL in uppercase. */
export const AuditOutcome = upperCasedEnum("AuditOutcome", AUDIT_OUTCOMES);
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

/** One row of the audit log. The actor is resolved from actorId by a field resolver. */
@ObjectType("AuditEntry")
export class AuditEntry {
  @Field(() => RecordId) id!: number;
  @Field(() => String, {
    description:
      "The mutation (bookSession), the REST route (POST /api/v1/sessions) or read (sessions' clinical text, or a refused read)",
  })
  action!: string;
  @Field(() => String, { description: "The record's type: Session, TreatmentDetail, ..." }) entity!: string;
  @Field(() => RecordId, { nullable: true }) entityId!: number | null;
  @Field(() => [RecordId], {
    description:
      "A read: every record whose notes, provider notes or feedback the request returned (one entry per request)",
  })
  entityIds!: string[];
  @Field(() => AuditOutcome) outcome!: AuditOutcome;
  @Field(() => String, { description: "The request's id, as in the server's log lines" }) requestId!: string;
  @Field(() => DateTimeScalar) occurredAt!: Date;
}
