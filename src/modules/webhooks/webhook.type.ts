import { Field, Int, ObjectType } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { Node } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/** A receiver of the tenant's events (Standard Webhooks). deliveries is a field resolver. */
@ObjectType("WebhookEndpoint", { implements: Node })
export class WebhookEndpoint extends Node {
  @Field(() => String) url!: string;
  @Field(() => [String], { description: "The event types sent to it (session.booked, ...)" }) events!: string[];
  @Field(() => Boolean, { description: "false once disabled after repeated FAILED deliveries (nothing more is sent)" })
  active!: boolean;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType("WebhookEndpointCreated")
export class WebhookEndpointCreated {
  @Field(() => WebhookEndpoint) endpoint!: unknown;
  @Field(() => String, {
    description: "whsec_ + base64: verifies the webhook-signature header. Shown only here, never again",
  })
  secret!: string;
}

/** One event sent (or to be sent) to one endpoint. */
@ObjectType("WebhookDelivery")
export class WebhookDelivery {
  @Field(() => RecordId) id!: number;
  @Field(() => RecordId, { description: "The webhook-id header: the same on every attempt" }) eventId!: number;
  @Field(() => String) eventType!: string;
  @Field(() => String, { description: "PENDING, DELIVERED, or FAILED (retries exhausted)" }) status!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => Int, { nullable: true, description: "The HTTP status of the last attempt (null: no answer)" })
  lastStatusCode!: number | null;
  @Field(() => DateTimeScalar, { nullable: true }) nextAttemptAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
}
