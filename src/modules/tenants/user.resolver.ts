import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { UserRow } from "../../db/schema/index.js";
import { fetchNode, Node, registerNodeType } from "../../graphql/node.js";
import type { RequestContext } from "../context.js";
import { CreateUserInput, UpdateUserInput } from "./user.input.js";
import { assignClient, createUser, listUsers, updateUser } from "./user.service.js";
import { getVisibleUser } from "./user.visibility.js";
import { Role, Tenant, User } from "./user.type.js";
import { limitDescription } from "../../text-limits.js";

registerNodeType("User", "users", (ctx, id) => getVisibleUser(ctx, id));

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { description: "The caller" })
  me(@Ctx() ctx: RequestContext): UserRow {
    return ctx.viewer;
  }

  @Query(() => Tenant, { description: "The caller's tenant" })
  tenant(@Ctx() ctx: RequestContext): Tenant {
    return ctx.tenant;
  }

  @Query(() => Node, { nullable: true, description: "Any record by its id (ids are unique across types)" })
  node(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<object | null> {
    return fetchNode(ctx, id);
  }

  @Query(() => [User])
  users(
    @Ctx() ctx: RequestContext,
    @Arg("role", () => Role, { nullable: true }) role?: Role | null,
    @Arg("search", () => String, { nullable: true, description: limitDescription("search") }) search?: string | null,
  ): Promise<UserRow[]> {
    return listUsers(ctx, { role, search });
  }

  @Mutation(() => User, { description: "ADMIN only" })
  createUser(
    @Arg("input", () => CreateUserInput) input: CreateUserInput,
    @Ctx() ctx: RequestContext,
  ): Promise<UserRow> {
    return createUser(ctx, input);
  }

  @Mutation(() => User, {
    description: "Changes a user's role or status; ADMIN only, not their own. The user's next request sees it.",
  })
  updateUser(
    @Arg("id", () => RecordId) id: number,
    @Arg("input", () => UpdateUserInput) input: UpdateUserInput,
    @Ctx() ctx: RequestContext,
  ): Promise<UserRow> {
    return updateUser(ctx, id, input);
  }

  @Mutation(() => Boolean, {
    description: "Creates the care relationship that lets the client book with the provider; ADMIN only",
  })
  assignClient(
    @Arg("providerId", () => RecordId) providerId: number,
    @Arg("clientId", () => RecordId) clientId: number,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return assignClient(ctx, providerId, clientId);
  }
}
