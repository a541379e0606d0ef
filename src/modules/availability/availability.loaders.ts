import DataLoader from "dataloader";
import { anyId } from "../../db/any-id.js";
import { selectRows } from "../../db/rows.js";
import {
  availabilityOverrides,
  availabilityRules,
  type AvailabilityOverrideRow,
  type AvailabilityRuleRow,
} from "../../db/schema/index.js";
import { byKey, type LoaderFactory } from "../context.js";

export const ruleById: LoaderFactory<number, AvailabilityRuleRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => selectRows(tx, availabilityRules, anyId(availabilityRules.id, ids))),
        (r) => r.id,
      ),
    { cache },
  );

export const overrideById: LoaderFactory<number, AvailabilityOverrideRow | undefined> = (ctx, { cache }) =>
  new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => selectRows(tx, availabilityOverrides, anyId(availabilityOverrides.id, ids))),
        (o) => o.id,
      ),
    { cache },
  );
