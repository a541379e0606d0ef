import { Field, ObjectType } from "type-graphql";
import { roleEnum } from "../../db/schema/index.js";
import { databaseEnum } from "../../graphql/enums.js";
import { RecordId } from "../../graphql/ids.js";
import { Node } from "../../graphql/node.js";
import { TimeZoneScalar } from "../../graphql/scalars.js";

/** The database's role enum (src/db/schema/tenants.ts) as GraphQL's Role. */
export const Role = databaseEnum("Role", roleEnum.enumValues, {
  description: "PROVIDER = therapist / trainer / psychologist / BCBA / staff",
});
export type Role = (typeof Role)[keyof typeof Role];

@ObjectType("Tenant")
export class Tenant {
  @Field(() => RecordId) id!: number;
  @Field(() => String) code!: string;
  @Field(() => String) name!: string;
  @Field(() => TimeZoneScalar) timeZone!: string;
}

@ObjectType("User", { implements: Node })
export class User extends Node {
  @Field(() => Role) role!: Role;
  @Field(() => String) username!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true }) staffId?: string | null;
  @Field(() => String) status!: string;
  @Field(() => TimeZoneScalar) timeZone!: string;
}
