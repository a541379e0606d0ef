import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Node } from "../../graphql/node.js";
import { TimeZoneScalar } from "../../graphql/scalars.js";

export enum Role {
  ADMIN = "ADMIN",
  PROVIDER = "PROVIDER",
  CLIENT = "CLIENT",
}
registerEnumType(Role, { name: "Role", description: "PROVIDER = therapist / trainer / psychologist / BCBA / staff" });

@ObjectType("Tenant")
export class Tenant {
  @Field(() => ID) id!: number;
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
