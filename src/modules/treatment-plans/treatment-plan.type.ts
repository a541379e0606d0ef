import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { Node } from "../../graphql/node.js";
import { DateScalar, DateTimeScalar } from "../../graphql/scalars.js";
import { User } from "../tenants/graphql.js";

export enum ClientMatchMethod {
  USERNAME = "USERNAME",
  STAFF_ID = "STAFF_ID",
  NUMERIC_ID = "NUMERIC_ID",
  NAME = "NAME",
}
registerEnumType(ClientMatchMethod, {
  name: "ClientMatchMethod",
  description: "The legacy matching rule that found a plan's client, tried in this order",
});

@ObjectType("ClientMatch")
export class ClientMatch {
  @Field(() => User) client!: User;
  @Field(() => ClientMatchMethod) method!: ClientMatchMethod;
}

@ObjectType("TreatmentPlanProgress")
export class TreatmentPlanProgress {
  @Field(() => Int, { description: "Sessions completed" }) completed!: number;
  @Field(() => Int, { description: "Sessions scheduled or confirmed" }) scheduled!: number;
  @Field(() => Int, { description: "Sessions that are not cancelled: what counts against authorizedSessions" })
  booked!: number;
  @Field(() => Int, { description: "All sessions of the plan, whatever their status" }) total!: number;
}

/** A treatment plan; its client is given explicitly (clientId) or matched from clientRef / clientName. */
@ObjectType("TreatmentPlan", { implements: Node })
export class TreatmentPlan extends Node {
  @Field(() => String, { nullable: true, description: "The legacy client id, e.g. CLIENT001" }) clientRef!:
    string | null;
  @Field(() => String, { nullable: true }) clientName!: string | null;
  @Field(() => String, { nullable: true }) planType!: string | null;
  @Field(() => String, { nullable: true }) title!: string | null;
  @Field(() => String) status!: string;
  @Field(() => DateScalar, { nullable: true }) startDate!: string | null;
  @Field(() => DateScalar, { nullable: true }) endDate!: string | null;
  @Field(() => Int, {
    nullable: true,
    description:
      "How many sessions the payer authorized (null: unlimited); every session of the plan that is not CANCELLED counts",
  })
  authorizedSessions!: number | null;
  @Field(() => DateScalar, {
    nullable: true,
    description: "No session of the plan may start after this date (in the session's provider's zone)",
  })
  authorizedUntil!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}
