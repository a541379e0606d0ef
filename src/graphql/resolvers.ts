import type { NonEmptyArray } from "type-graphql";
import { UserResolver } from "../modules/tenants/user.resolver.js";

/** Every resolver class of the schema: one line per module. */
export const resolvers: NonEmptyArray<Function> = [UserResolver];
