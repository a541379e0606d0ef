import {
  Arg,
  Ctx,
  FieldResolver,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from "type-graphql";
import type { SessionRow, SlotHoldRow, UserRow, WaitlistEntryRow } from "../../db/schema/index.js";
import { RecordId } from "../../graphql/ids.js";
import { registerNodeType } from "../../graphql/node.js";
import type { RequestContext } from "../context.js";
import { SlotHold } from "../holds/graphql.js";
import { Session } from "../sessions/graphql.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import { JoinWaitlistInput } from "./waitlist.input.js";
import {
  acceptWaitlistOffer,
  declineWaitlistOffer,
  findVisibleEntry,
  getVisibleEntry,
  joinWaitlist,
  leaveWaitlist,
  listWaitlist,
  offerOf,
  positionOf,
  sessionOf,
  updateWaitlistSettings,
  waitlistSettings,
} from "./waitlist.service.js";
import { watchWaitlist } from "./waitlist.subscription.js";
import { WaitlistEntry, WaitlistSettings, WaitlistStatus } from "./waitlist.type.js";

registerNodeType("WaitlistEntry", "waitlist_entries", getVisibleEntry);

type Data = SubscribeResolverData<unknown, { providerId?: number | null; clientId?: number | null }, RequestContext>;

@Resolver(() => WaitlistEntry)
export class WaitlistResolver {
  @Query(() => [WaitlistEntry], {
    description:
      "Waitlist entries the caller sees (a CLIENT their own, a PROVIDER their own, an ADMIN all), first come first served",
  })
  waitlist(
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
    @Arg("clientId", () => RecordId, { nullable: true }) clientId?: number | null,
    @Arg("status", () => [WaitlistStatus], { nullable: true }) status?: WaitlistStatus[] | null,
  ): Promise<WaitlistEntryRow[]> {
    return listWaitlist(ctx, { providerId, clientId, status });
  }

  @Query(() => WaitlistSettings, { description: "ADMIN" })
  waitlistSettings(@Ctx() ctx: RequestContext): Promise<{ offerMinutes: number }> {
    return waitlistSettings(ctx);
  }

  @Mutation(() => WaitlistEntry, {
    description:
      "Waits for any start in [earliest, latest] with the provider; a slot already free is offered at once (a hold for offerMinutes)",
  })
  joinWaitlist(
    @Arg("input", () => JoinWaitlistInput) input: JoinWaitlistInput,
    @Ctx() ctx: RequestContext,
  ): Promise<WaitlistEntryRow> {
    return joinWaitlist(ctx, input);
  }

  @Mutation(() => WaitlistEntry, { description: "CANCELLED; an offer's hold is released" })
  leaveWaitlist(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<WaitlistEntryRow> {
    return leaveWaitlist(ctx, id);
  }

  @Mutation(() => Session, {
    description: "Books the offered slot (id: the WaitlistEntry's); CONFLICT HOLD_EXPIRED once the offer has expired",
  })
  acceptWaitlistOffer(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<SessionRow> {
    return acceptWaitlistOffer(ctx, id);
  }

  @Mutation(() => WaitlistEntry, {
    description:
      "WAITING again (id: the WaitlistEntry's); the slot goes to the next fitting entry and is not offered to this one again",
  })
  declineWaitlistOffer(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<WaitlistEntryRow> {
    return declineWaitlistOffer(ctx, id);
  }

  @Mutation(() => WaitlistSettings, { description: "ADMIN; offerMinutes 5..1440 (default 15)" })
  updateWaitlistSettings(
    @Arg("offerMinutes", () => Int) offerMinutes: number,
    @Ctx() ctx: RequestContext,
  ): Promise<{ offerMinutes: number }> {
    return updateWaitlistSettings(ctx, offerMinutes);
  }

  @Subscription(() => WaitlistEntry, {
    description: "Waitlist entries as their changes commit, filtered like waitlist()",
    subscribe: ({ args, context }: Data) =>
      watchWaitlist(context, { providerId: args.providerId ?? undefined, clientId: args.clientId ?? undefined }),
  })
  waitlistChanged(
    @Root() entry: WaitlistEntryRow,
    @Arg("providerId", () => RecordId, { nullable: true }) _providerId?: number,
    @Arg("clientId", () => RecordId, { nullable: true }) _clientId?: number,
  ): WaitlistEntryRow {
    return entry;
  }

  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  client(@Root() entry: WaitlistEntryRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, entry.clientId);
  }

  @FieldResolver(() => User, { nullable: true, description: "null when the caller may not see this user" })
  provider(@Root() entry: WaitlistEntryRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, entry.providerId);
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: "1-based among the provider's WAITING entries, first come first served; null unless WAITING",
  })
  position(@Root() entry: WaitlistEntryRow, @Ctx() ctx: RequestContext): Promise<number | null> {
    return positionOf(ctx, entry);
  }

  @FieldResolver(() => SlotHold, { nullable: true, description: "The offered slot, while OFFERED" })
  offer(@Root() entry: WaitlistEntryRow, @Ctx() ctx: RequestContext): Promise<SlotHoldRow | null> {
    return offerOf(ctx, entry);
  }

  @FieldResolver(() => Session, { nullable: true, description: "The booked session, once BOOKED" })
  session(@Root() entry: WaitlistEntryRow, @Ctx() ctx: RequestContext): Promise<SessionRow | null> {
    return sessionOf(ctx, entry);
  }
}

/** SlotHold.waitlistEntry: the waitlist's to resolve (holds know no waitlist). */
@Resolver(() => SlotHold)
export class SlotHoldWaitlistResolver {
  @FieldResolver(() => WaitlistEntry, { nullable: true, description: "Set when the hold is a waitlist offer" })
  waitlistEntry(@Root() hold: SlotHoldRow, @Ctx() ctx: RequestContext): Promise<WaitlistEntryRow | null> {
    return findVisibleEntry(ctx, hold.waitlistEntryId);
  }
}
