import DataLoader from "dataloader";
import type { AvailabilityOverrideRow, AvailabilityRuleRow } from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";
import { overridesByIds, rulesByIds } from "./availability.repository.js";

export const ruleById: LoaderFactory<number, AvailabilityRuleRow | undefined> = (ctx, { cache }) =>
  new DataLoader(async (ids) => byKey(ids, await ctx.db.run((tx) => rulesByIds(tx, ids)), (r) => r.id), { cache });

export const overrideById: LoaderFactory<number, AvailabilityOverrideRow | undefined> = (ctx, { cache }) =>
  new DataLoader(async (ids) => byKey(ids, await ctx.db.run((tx) => overridesByIds(tx, ids)), (o) => o.id), { cache });
