import { Arg, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateScalar } from "../../graphql/scalars.js";
import type { RequestContext } from "../context.js";
import { SessionEvent, SlotsChange } from "./event.type.js";
import { watchSessions, watchSlots, type SessionEventResult, type SlotsChangeResult } from "./subscription.service.js";

/** Arguments as the ID scalar parsed them: ids are numbers; `after` (a cursor, not an id) stays text for its own parser. */
type Data = SubscribeResolverData<
  unknown,
  { providerId?: number | null; clientId?: number | null; from?: string; to?: string | null; after?: string | null },
  RequestContext
>;

/** Real-time changes over graphql-ws, fed by the outbox (committed events only, from any instance). */
@Resolver()
export class SubscriptionResolver {
  @Subscription(() => SlotsChange, {
    description:
      "The provider's bookable slots on the dates from..to (at most 62 days) that a committed change touched",
    subscribe: ({ args, context }: Data) => {
      return watchSlots(context, { providerId: args.providerId!, from: args.from!, to: args.to, after: args.after });
    },
  })
  slotsChanged(
    @Root() change: SlotsChangeResult,
    @Arg("providerId", () => RecordId) _providerId: number,
    @Arg("from", () => DateScalar) _from: string,
    @Arg("to", () => DateScalar, { nullable: true }) _to?: string,
    @Arg("after", () => String, { nullable: true, description: "A cursor: first deliver what committed after it" })
    _after?: string,
  ): SlotsChangeResult {
    return change;
  }

  @Subscription(() => SessionEvent, {
    description: "Session events as they commit, for the sessions the caller may see",
    subscribe: ({ args, context }: Data) => {
      return watchSessions(context, {
        providerId: args.providerId ?? undefined,
        clientId: args.clientId ?? undefined,
        after: args.after,
      });
    },
  })
  sessionChanged(
    @Root() event: SessionEventResult,
    @Arg("providerId", () => RecordId, { nullable: true }) _providerId?: number,
    @Arg("clientId", () => RecordId, { nullable: true }) _clientId?: number,
    @Arg("after", () => String, { nullable: true, description: "A cursor: first deliver what committed after it" })
    _after?: string,
  ): SessionEventResult {
    return event;
  }
}
