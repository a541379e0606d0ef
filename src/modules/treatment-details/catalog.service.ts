import { and, asc, eq, ne } from "drizzle-orm";
import { pgErrorOf, type Tx } from "../../db/client.js";
import { items, units, type ItemRow, type UnitRow } from "../../db/schema/index.js";
import { badInput, field, notFound, words } from "../../errors.js";
import { checkTextLengths } from "../../text-limits.js";
import type { RequestContext } from "../context.js";
import { requireRole } from "../tenants/index.js";
import { itemById, unitById } from "./treatment-detail.loaders.js";
import { charged } from "../response-budget.js";

/** Items and units: the tenant's catalog. Everyone in the tenant reads it; only an ADMIN writes it. */

export interface ItemInput {
  name: string;
  sku?: string | null;
}
/** A patch: an omitted (undefined) field keeps its value; sku null clears it. */
export interface ItemPatch {
  name?: string | null;
  sku?: string | null;
}

export function listItems(ctx: RequestContext): Promise<ItemRow[]> {
  return ctx.db.run((tx) => tx.select().from(items).orderBy(asc(items.name), asc(items.id))).then(charged(ctx));
}

/** An item of the tenant, or NOT_FOUND (another tenant's item is invisible under RLS). */
export async function getItem(ctx: RequestContext, id: number): Promise<ItemRow> {
  const item = await ctx.loaders.get(itemById).load(id);
  if (!item) throw notFound("Item");
  return item;
}

export async function createItem(ctx: RequestContext, input: ItemInput): Promise<ItemRow> {
  requireRole(ctx, "ADMIN");
  checkTextLengths(input);
  const name = checkName(input.name);
  const sku = normalizeSku(input.sku);
  const now = ctx.deps.now();
  return ctx.db.atomic(async (tx) => {
    await requireFreeSku(tx, sku);
    const [item] = await tx
      .insert(items)
      .values({ tenantId: ctx.tenant.id, name, sku, createdAt: now, updatedAt: now })
      .returning()
      .catch(skuTaken(sku));
    return item;
  });
}

export async function updateItem(ctx: RequestContext, id: number, patch: ItemPatch): Promise<ItemRow> {
  requireRole(ctx, "ADMIN");
  checkTextLengths(patch);
  const current = await getItem(ctx, id);
  const name = patch.name === undefined ? current.name : checkName(patch.name);
  const sku = patch.sku === undefined ? current.sku : normalizeSku(patch.sku);
  return ctx.db.atomic(async (tx) => {
    await requireFreeSku(tx, sku, id);
    const [item] = await tx
      .update(items)
      .set({ name, sku, updatedAt: ctx.deps.now() })
      .where(eq(items.id, id))
      .returning()
      .catch(skuTaken(sku));
    if (!item) throw notFound("Item");
    ctx.loaders.get(itemById).clear(id).prime(id, item);
    return item;
  });
}

export function listUnits(ctx: RequestContext): Promise<UnitRow[]> {
  return ctx.db.run((tx) => tx.select().from(units).orderBy(asc(units.name), asc(units.id))).then(charged(ctx));
}

export async function getUnit(ctx: RequestContext, id: number): Promise<UnitRow> {
  const unit = await ctx.loaders.get(unitById).load(id);
  if (!unit) throw notFound("Unit");
  return unit;
}

export async function createUnit(ctx: RequestContext, input: { name: string }): Promise<UnitRow> {
  requireRole(ctx, "ADMIN");
  checkTextLengths(input);
  const name = checkName(input.name);
  const now = ctx.deps.now();
  const [unit] = await ctx.db.atomic((tx) =>
    tx.insert(units).values({ tenantId: ctx.tenant.id, name, createdAt: now, updatedAt: now }).returning(),
  );
  return unit;
}

export async function updateUnit(ctx: RequestContext, id: number, input: { name: string }): Promise<UnitRow> {
  requireRole(ctx, "ADMIN");
  checkTextLengths(input);
  await getUnit(ctx, id);
  const name = checkName(input.name);
  const [unit] = await ctx.db.atomic((tx) =>
    tx.update(units).set({ name, updatedAt: ctx.deps.now() }).where(eq(units.id, id)).returning(),
  );
  if (!unit) throw notFound("Unit");
  ctx.loaders.get(unitById).clear(id).prime(id, unit);
  return unit;
}

function checkName(value: string | null | undefined): string {
  const name = value?.trim() ?? "";
  if (!name) throw badInput("name", words`${field("name")} must not be empty`);
  return name;
}

/** A blank sku means none. */
const normalizeSku = (value: string | null | undefined) => value?.trim() || null;

/** A friendly error before the unique constraint would answer (and the constraint still guards races). */
async function requireFreeSku(tx: Tx, sku: string | null, exceptId?: number): Promise<void> {
  if (sku === null) return;
  const [taken] = await tx
    .select({ id: items.id })
    .from(items)
    .where(and(eq(items.sku, sku), exceptId ? ne(items.id, exceptId) : undefined));
  if (taken) throw skuError(sku, taken.id);
}

const skuError = (sku: string, id?: number) =>
  badInput("sku", words`${field("sku")} "${sku}" is already used${id ? ` by item ${id}` : ""}`);

function skuTaken(sku: string | null) {
  return (err: unknown): never => {
    if (sku !== null && pgErrorOf(err)?.code === "23505") throw skuError(sku);
    throw err;
  };
}
