import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { SlotHoldRow, UserRow } from "../../db/schema/index.js";
import { RecordId } from "../../graphql/ids.js";
import { registerNodeType } from "../../graphql/node.js";
import type { RequestContext } from "../context.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import { HoldSlotInput } from "./hold.input.js";
import { getVisibleHold, holdSlot, releaseHold } from "./hold.service.js";
import { SlotHold } from "./hold.type.js";

registerNodeType("SlotHold", "slot_holds", getVisibleHold);

@Resolver(() => SlotHold)
export class SlotHoldResolver {
  @Query(() => SlotHold, {
    nullable: true,
    description: "Its creator, client, provider or an ADMIN; NOT_FOUND for anyone else",
  })
  slotHold(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<SlotHoldRow> {
    return getVisibleHold(ctx, id);
  }

  @Mutation(() => SlotHold, {
    description:
      "Keeps a slot for ttlSeconds: availableSlots stops offering it, and a booking into it by anyone but the holder (bookSession with holdId) is CONFLICT SLOT_HELD. A CLIENT holds for themself where they could book; a PROVIDER their own time; an ADMIN any provider's",
  })
  holdSlot(@Arg("input", () => HoldSlotInput) input: HoldSlotInput, @Ctx() ctx: RequestContext): Promise<SlotHoldRow> {
    return holdSlot(ctx, { ...input, clientId: input.clientId ?? undefined });
  }

  @Mutation(() => Boolean, { description: "Frees the hold early; false when it was gone already" })
  releaseHold(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<boolean> {
    return releaseHold(ctx, id);
  }

  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  provider(@Root() hold: SlotHoldRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, hold.providerId);
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: "null when the hold names no client, or the caller may not see them",
  })
  client(@Root() hold: SlotHoldRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, hold.clientId);
  }
}
