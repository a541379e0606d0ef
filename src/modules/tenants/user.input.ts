import { Field, InputType } from "type-graphql";
import { TimeZoneScalar } from "../../graphql/scalars.js";
import { Role } from "./user.type.js";
import { limitDescription } from "../../text-limits.js";

@InputType("CreateUserInput")
export class CreateUserInput {
  @Field(() => Role) role!: Role;
  @Field(() => String, { description: limitDescription("username") }) username!: string;
  @Field(() => String, { description: limitDescription("name") }) name!: string;
  @Field(() => String, { nullable: true, description: limitDescription("firstName") }) firstName?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("lastName") }) lastName?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("email") }) email?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("phone") }) phone?: string | null;
  @Field(() => String, { nullable: true, description: limitDescription("staffId") }) staffId?: string | null;
  @Field(() => TimeZoneScalar, { nullable: true, description: "Defaults to the tenant's zone" }) timeZone?:
    string | null;
  @Field(() => String, {
    nullable: true,
    description: limitDescription("externalSubject", "The identity provider's subject (JWT sub) for this user"),
  })
  externalSubject?: string | null;
}

@InputType("UpdateUserInput", { description: "What to change (null or absent: unchanged)" })
export class UpdateUserInput {
  @Field(() => Role, { nullable: true }) role?: Role | null;
  @Field(() => String, { nullable: true, description: "active, inactive (cannot sign in) or deleted (for good)" })
  status?: string | null;
}
