import { Field, Int, ObjectType } from "type-graphql";
import { Node } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/** A catalog entry of the tenant: something used in treatments. */
@ObjectType("Item", { implements: Node })
export class Item extends Node {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true, description: "Unique within the tenant" }) sku!: string | null;
}

/** A unit of measurement of the tenant. */
@ObjectType("Unit", { implements: Node })
export class Unit extends Node {
  @Field(() => String) name!: string;
}

/**
 * One line of item usage in a treatment (= a session). The row's ids (sessionId, itemId,
 * unitId, createdBy, updatedBy) are resolved to objects by field resolvers through loaders.
 */
@ObjectType("TreatmentDetail", { implements: Node })
export class TreatmentDetail extends Node {
  @Field(() => Int, { description: "A positive integer" }) quantity!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

/** Total usage of one item in one unit over the sessions of a period. */
@ObjectType("ItemUsage")
export class ItemUsage {
  @Field(() => Int, { description: "Sum of the quantities" }) totalQuantity!: number;
  @Field(() => Int, { description: "How many treatment details were summed" }) detailCount!: number;
  @Field(() => Int, { description: "In how many sessions the item was used" }) sessionCount!: number;
  /** Resolved to Item / Unit by field resolvers; null when the details name none. */
  itemId!: number | null;
  unitId!: number | null;
}
