import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { ItemRow, SessionRow, TreatmentDetailRow, UnitRow, UserRow } from "../../db/schema/index.js";
import { registerNodeType } from "../../graphql/node.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import type { RequestContext } from "../context.js";
import { sessionById } from "../sessions/index.js";
import { Session } from "../sessions/graphql.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import {
  createItem,
  createUnit,
  getItem,
  getUnit,
  listItems,
  listUnits,
  updateItem,
  updateUnit,
} from "./catalog.service.js";
import { TreatmentDetailInput, TreatmentDetailLine } from "./treatment-detail.input.js";
import { itemById, treatmentDetailsBySession, unitById } from "./treatment-detail.loaders.js";
import {
  createTreatmentDetail,
  createTreatmentDetails,
  deleteTreatmentDetail,
  getTreatmentDetail,
  itemUsage,
  listTreatmentDetails,
  updateTreatmentDetail,
  type ItemUsageRow,
} from "./treatment-detail.service.js";
import { Item, ItemUsage, TreatmentDetail, Unit } from "./treatment-detail.type.js";
import { limitDescription } from "../../text-limits.js";
import { preloadedOf } from "../preloaded.js";

registerNodeType("Item", "items", (ctx, id) => getItem(ctx, id));
registerNodeType("Unit", "units", (ctx, id) => getUnit(ctx, id));
registerNodeType("TreatmentDetail", "treatment_details", (ctx, id) => getTreatmentDetail(ctx, id));

/** A detail's input as the service takes it: an omitted id is undefined. */
function parseInput(input: TreatmentDetailInput) {
  return {
    sessionId: input.sessionId ?? undefined,
    itemId: input.itemId ?? undefined,
    unitId: input.unitId ?? undefined,
    quantity: input.quantity,
  };
}

const optionalRow = <T>(loaded: Promise<T | undefined>) => loaded.then((row) => row ?? null);

@Resolver(() => Item)
export class CatalogResolver {
  @Query(() => [Item], { description: "The tenant's items, by name" })
  items(@Ctx() ctx: RequestContext): Promise<ItemRow[]> {
    return listItems(ctx);
  }

  @Query(() => [Unit], { description: "The tenant's units, by name" })
  units(@Ctx() ctx: RequestContext): Promise<UnitRow[]> {
    return listUnits(ctx);
  }

  @Mutation(() => Item, { description: "ADMIN only; sku is unique within the tenant" })
  createItem(
    @Arg("name", () => String, { description: limitDescription("name") }) name: string,
    @Arg("sku", () => String, { nullable: true, description: limitDescription("sku") }) sku: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<ItemRow> {
    return createItem(ctx, { name, sku });
  }

  @Mutation(() => Item, { description: "ADMIN only. An omitted argument keeps its value; sku: null clears it" })
  updateItem(
    @Arg("id", () => RecordId) id: number,
    @Arg("name", () => String, { nullable: true, description: limitDescription("name") })
    name: string | null | undefined,
    @Arg("sku", () => String, { nullable: true, description: limitDescription("sku") }) sku: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<ItemRow> {
    return updateItem(ctx, id, { name, sku });
  }

  @Mutation(() => Unit, { description: "ADMIN only" })
  createUnit(
    @Arg("name", () => String, { description: limitDescription("name") }) name: string,
    @Ctx() ctx: RequestContext,
  ): Promise<UnitRow> {
    return createUnit(ctx, { name });
  }

  @Mutation(() => Unit, { description: "ADMIN only" })
  updateUnit(
    @Arg("id", () => RecordId) id: number,
    @Arg("name", () => String, { description: limitDescription("name") }) name: string,
    @Ctx() ctx: RequestContext,
  ): Promise<UnitRow> {
    return updateUnit(ctx, id, { name });
  }
}

@Resolver(() => TreatmentDetail)
export class TreatmentDetailResolver {
  @Query(() => [TreatmentDetail], {
    description: "Details the caller may see, optionally of one session and/or one item",
  })
  treatmentDetails(
    @Ctx() ctx: RequestContext,
    @Arg("sessionId", () => RecordId, { nullable: true }) sessionId?: number | null,
    @Arg("itemId", () => RecordId, { nullable: true }) itemId?: number | null,
  ): Promise<TreatmentDetailRow[]> {
    return listTreatmentDetails(ctx, { sessionId: sessionId ?? undefined, itemId: itemId ?? undefined });
  }

  @Query(() => TreatmentDetail, { nullable: true })
  treatmentDetail(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<TreatmentDetailRow> {
    return getTreatmentDetail(ctx, id);
  }

  @Query(() => [ItemUsage], {
    description:
      "Total quantity per item and unit over the sessions starting in [from, to); ADMIN, or a PROVIDER for their own sessions",
  })
  itemUsage(
    @Arg("from", () => DateTimeScalar) from: Date,
    @Arg("to", () => DateTimeScalar) to: Date,
    @Ctx() ctx: RequestContext,
    @Arg("providerId", () => RecordId, { nullable: true }) providerId?: number | null,
  ): Promise<ItemUsageRow[]> {
    return itemUsage(ctx, { from, to, providerId: providerId ?? undefined });
  }

  @Mutation(() => TreatmentDetail, { description: "ADMIN or the session's provider" })
  createTreatmentDetail(
    @Arg("input", () => TreatmentDetailInput) input: TreatmentDetailInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TreatmentDetailRow> {
    return createTreatmentDetail(ctx, parseInput(input));
  }

  @Mutation(() => [TreatmentDetail], {
    description: "Several lines for one session in one transaction: all or nothing",
  })
  createTreatmentDetails(
    @Arg("sessionId", () => RecordId) sessionId: number,
    @Arg("lines", () => [TreatmentDetailLine]) lines: TreatmentDetailLine[],
    @Ctx() ctx: RequestContext,
  ): Promise<TreatmentDetailRow[]> {
    const parsed = lines.map((line) => ({
      itemId: line.itemId ?? undefined,
      unitId: line.unitId ?? undefined,
      quantity: line.quantity,
    }));
    return createTreatmentDetails(ctx, sessionId, parsed);
  }

  @Mutation(() => TreatmentDetail, {
    description: "Full replace of session, item, unit and quantity (an omitted id becomes null)",
  })
  updateTreatmentDetail(
    @Arg("id", () => RecordId) id: number,
    @Arg("input", () => TreatmentDetailInput) input: TreatmentDetailInput,
    @Ctx() ctx: RequestContext,
  ): Promise<TreatmentDetailRow> {
    return updateTreatmentDetail(ctx, id, parseInput(input));
  }

  @Mutation(() => Boolean, { description: "Soft delete; deleting again is NOT_FOUND" })
  deleteTreatmentDetail(@Arg("id", () => RecordId) id: number, @Ctx() ctx: RequestContext): Promise<boolean> {
    return deleteTreatmentDetail(ctx, id);
  }

  // The detail is visible, hence so is its session.
  @FieldResolver(() => Session, { nullable: true })
  session(@Root() detail: TreatmentDetailRow, @Ctx() ctx: RequestContext): Promise<SessionRow | null> {
    return detail.sessionId === null
      ? Promise.resolve(null)
      : optionalRow(ctx.loaders.get(sessionById).load(detail.sessionId));
  }

  @FieldResolver(() => Item, { nullable: true })
  item(@Root() detail: TreatmentDetailRow, @Ctx() ctx: RequestContext): ItemRow | null | Promise<ItemRow | null> {
    if (detail.itemId === null) return null;
    return preloadedOf<ItemRow>(detail, "item") ?? optionalRow(ctx.loaders.get(itemById).load(detail.itemId));
  }

  @FieldResolver(() => Unit, { nullable: true })
  unit(@Root() detail: TreatmentDetailRow, @Ctx() ctx: RequestContext): UnitRow | null | Promise<UnitRow | null> {
    if (detail.unitId === null) return null;
    return preloadedOf<UnitRow>(detail, "unit") ?? optionalRow(ctx.loaders.get(unitById).load(detail.unitId));
  }

  @FieldResolver(() => User, { nullable: true, description: "null when unknown or the caller may not see this user" })
  createdBy(@Root() detail: TreatmentDetailRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, detail.createdBy);
  }

  @FieldResolver(() => User, { nullable: true, description: "null when unknown or the caller may not see this user" })
  updatedBy(@Root() detail: TreatmentDetailRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, detail.updatedBy);
  }
}

@Resolver(() => ItemUsage)
export class ItemUsageResolver {
  @FieldResolver(() => Item, { nullable: true })
  item(@Root() usage: ItemUsageRow, @Ctx() ctx: RequestContext): Promise<ItemRow | null> {
    return usage.itemId === null ? Promise.resolve(null) : optionalRow(ctx.loaders.get(itemById).load(usage.itemId));
  }

  @FieldResolver(() => Unit, { nullable: true })
  unit(@Root() usage: ItemUsageRow, @Ctx() ctx: RequestContext): Promise<UnitRow | null> {
    return usage.unitId === null ? Promise.resolve(null) : optionalRow(ctx.loaders.get(unitById).load(usage.unitId));
  }
}

/** Session.treatmentDetails: the details of a page of sessions, with items and units, in one statement. */
@Resolver(() => Session)
export class SessionTreatmentDetailsResolver {
  @FieldResolver(() => [TreatmentDetail])
  treatmentDetails(
    @Root() session: SessionRow,
    @Ctx() ctx: RequestContext,
  ): TreatmentDetailRow[] | Promise<TreatmentDetailRow[]> {
    return (
      preloadedOf<TreatmentDetailRow[]>(session, "treatmentDetails") ??
      ctx.loaders.get(treatmentDetailsBySession).load(session.id)
    );
  }
}
