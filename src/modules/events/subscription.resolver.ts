import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { parseId, parseOptionalId } from "../../graphql/ids.js";
import { DateScalar } from "../../graphql/scalars.js";
import type { RequestContext } from "../context.js";
import { SessionEvent, SlotsChange } from "./event.type.js";
import { watchSessions, watchSlots, type SessionEventResult, type SlotsChangeResult } from "./subscription.service.js";

type Data = SubscribeResolverData<unknown, Record<string, string | null | undefined>, RequestContext>;

/** Real-time changes over graphql-ws, fed by the outbox (committed events only, from any instance). */
@Resolver()
export class SubscriptionResolver {
  @Subscription(() => SlotsChange, {
    description: "The provider's bookable slots on the dates from..to (at most 62 days) that a committed change touched",
    subscribe: ({ args, context }: Data) => {
      return watchSlots(context, { providerId: parseId(args.providerId!, "providerId"), from: args.from!, to: args.to, after: args.after });
    },
  })
  slotsChanged(
    @Root() change: SlotsChangeResult,
    @Arg("providerId", () => ID) _providerId: string,
    @Arg("from", () => DateScalar) _from: string,
    @Arg("to", () => DateScalar, { nullable: true }) _to?: string,
    @Arg("after", () => String, { nullable: true, description: "A cursor: first deliver what committed after it" }) _after?: string,
  ): SlotsChangeResult {
    return change;
  }

  @Subscription(() => SessionEvent, {
    description: "Session events as they commit, for the sessions the caller may see",
    subscribe: ({ args, context }: Data) => {
      return watchSessions(context, {
        providerId: parseOptionalId(args.providerId, "providerId"),
        clientId: parseOptionalId(args.clientId, "clientId"),
        after: args.after,
      });
    },
  })
  sessionChanged(
    @Root() event: SessionEventResult,
    @Arg("providerId", () => ID, { nullable: true }) _providerId?: string,
    @Arg("clientId", () => ID, { nullable: true }) _clientId?: string,
    @Arg("after", () => String, { nullable: true, description: "A cursor: first deliver what committed after it" }) _after?: string,
  ): SessionEventResult {
    return event;
  }
}
