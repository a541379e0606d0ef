import DataLoader from "dataloader";
import { and, eq, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { careRelationships, sessions, users, type UserRow } from "../../db/schema/index.js";
import { anyId } from "../../db/any-id.js";
import { selectRows } from "../../db/rows.js";
import { hiddenFromCaller, notFound } from "../../errors.js";
import { byKey, type LoaderFactory, type RequestContext } from "../context.js";
import { userById } from "./user.loaders.js";

/**
 * Who may SEE which user, written once as the SQL condition over `users` that every path
 * showing a user goes through (node, users, nested User fields, subscriptions, REST shims):
 * - an ADMIN sees everyone of the tenant;
 * - a PROVIDER sees themself, the staff (providers and admins), and the clients in their care
 *   or with a session of theirs;
 * - a CLIENT sees themself and the active providers they are in care with or have a session
 *   with; an inactive or deleted user is never shown to a client.
 * Anything else does not exist for the caller. Rules that only need to look a user up (a
 * booking checking its provider) use userById instead: that is for deciding, not for showing.
 */
export function visibleUsersWhere(viewer: Pick<UserRow, "id" | "role">): SQL | undefined {
  return visibility(viewer, false);
}

/**
 * The same rule for a user who is the provider or the client of a session the viewer may see
 * (canSeeSession): that session is itself "a session of theirs", so the relationship part holds
 * and only the rest remains (nothing for a PROVIDER; for a CLIENT, that a provider is active).
 * A page of sessions shows its people through this cheaper condition instead of looking up
 * every client the provider ever had.
 */
export function visibleSessionPartiesWhere(viewer: Pick<UserRow, "id" | "role">): SQL | undefined {
  return visibility(viewer, true);
}

/** The one definition behind both: `related` says the relationship to the viewer is already known. */
function visibility(viewer: Pick<UserRow, "id" | "role">, related: boolean): SQL | undefined {
  const me = viewer.id;
  if (seesEveryUser(viewer)) return undefined;
  switch (viewer.role) {
    case "PROVIDER":
      if (related) return undefined;
      return or(
        eq(users.id, me),
        inArray(users.role, ["PROVIDER", "ADMIN"]),
        sql`${users.id} in (select ${careRelationships.clientId} from ${careRelationships} where ${careRelationships.providerId} = ${me})`,
        sql`${users.id} in (select ${sessions.clientId} from ${sessions} where ${sessions.providerId} = ${me})`,
      );
    case "CLIENT":
      return or(
        eq(users.id, me),
        and(
          eq(users.role, "PROVIDER"),
          eq(users.status, "active"),
          isNull(users.deletedAt),
          related
            ? undefined
            : or(
                sql`${users.id} in (select ${careRelationships.providerId} from ${careRelationships} where ${careRelationships.clientId} = ${me})`,
                sql`${users.id} in (select ${sessions.providerId} from ${sessions} where ${sessions.clientId} = ${me})`,
              ),
        ),
      );
  }
}

/** Whether visibleUsersWhere holds no condition for the viewer: an ADMIN sees every user of the tenant. */
export function seesEveryUser(viewer: Pick<UserRow, "role">): viewer is Pick<UserRow, "role"> & { role: "ADMIN" } {
  return viewer.role === "ADMIN";
}

/**
 * Users by id as the caller may see them (undefined when not), one statement per batch. An
 * ADMIN sees every user, so theirs is the rule loader itself: a user read for a rule and then
 * shown costs one statement, not two.
 */
export const visibleUserById: LoaderFactory<number, UserRow | undefined> = (ctx, options) => {
  if (seesEveryUser(ctx.viewer)) return ctx.loaders.get(userById);
  return new DataLoader(
    async (ids) =>
      byKey(
        ids,
        await ctx.db.run((tx) => selectRows(tx, users, and(anyId(users.id, ids), visibleUsersWhere(ctx.viewer)))),
        (u) => u.id,
      ),
    { cache: options.cache },
  );
};

/** A user to show the caller, or null when unknown or not theirs to see (nullable fields). */
export async function findVisibleUser(ctx: RequestContext, id: number | null | undefined): Promise<UserRow | null> {
  if (id == null) return null;
  return (await ctx.loaders.get(visibleUserById).load(id)) ?? null;
}

/** Several users to show, by id: the ones the caller may see (one statement). */
export async function findVisibleUsers(ctx: RequestContext, ids: readonly number[]): Promise<Map<number, UserRow>> {
  const rows = await ctx.loaders.get(visibleUserById).loadMany([...new Set(ids)]);
  return new Map(rows.filter((u): u is UserRow => !!u && !(u instanceof Error)).map((u) => [u.id, u]));
}

/**
 * A user to show the caller, or NOT_FOUND: plainly when there is no such user, through
 * hiddenFromCaller (the audit records DENIED) when one exists that the caller may not see.
 */
export async function getVisibleUser(ctx: RequestContext, id: number, entity = "User"): Promise<UserRow> {
  const user = await findVisibleUser(ctx, id);
  if (user) return user;
  if (await ctx.loaders.get(userById).load(id)) throw hiddenFromCaller(entity);
  throw notFound(entity);
}

/** Forget what the loaders hold for a user that was just changed. */
export function forgetUser(ctx: RequestContext, id: number): void {
  ctx.loaders.get(userById).clear(id);
  ctx.loaders.get(visibleUserById).clear(id);
}
