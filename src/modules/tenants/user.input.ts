import { Field, InputType } from "type-graphql";
import { TimeZoneScalar } from "../../graphql/scalars.js";
import { Role } from "./user.type.js";

@InputType("CreateUserInput")
export class CreateUserInput {
  @Field(() => Role) role!: Role;
  @Field(() => String) username!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => String, { nullable: true }) staffId?: string | null;
  @Field(() => TimeZoneScalar, { nullable: true, description: "Defaults to the tenant's zone" }) timeZone?: string | null;
  @Field(() => String, { nullable: true, description: "The identity provider's subject (JWT sub) for this user" }) externalSubject?: string | null;
}
