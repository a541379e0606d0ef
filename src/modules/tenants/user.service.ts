import { and, asc, eq, ilike, isNull, or, type SQL } from "drizzle-orm";
import { containsPattern } from "../../db/any-id.js";
import { careRelationships, users, type Role, type UserRow } from "../../db/schema/index.js";
import { badInput, field, forbidden, notFound, throwFieldErrors, words, type Words } from "../../errors.js";
import { recordUserEvent } from "../events/index.js";
import { checkTextLengths } from "../../text-limits.js";
import { isTimeZone } from "../../time.js";
import type { RequestContext } from "../context.js";
import { requireRole } from "./permissions.js";
import { userById } from "./user.loaders.js";
import { forgetUser, visibleUsersWhere } from "./user.visibility.js";
import { charged } from "../response-budget.js";

export interface UpdateUserCommand {
  role?: Role | null;
  status?: string | null;
}

/** A user's status: only active users authenticate; deleted is for good (the row stays, with deleted_at). */
export const USER_STATUSES = ["active", "inactive", "deleted"] as const;

export interface CreateUserCommand {
  role: Role;
  username: string;
  name: string;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  staffId?: string | null;
  timeZone?: string | null;
  externalSubject?: string | null;
}

/**
 * A user of the tenant with this role, or NOT_FOUND, for a rule to decide with (a booking
 * checking its provider): not for showing. What a caller is shown goes through user.visibility.ts.
 */
export async function getUserWithRole(ctx: RequestContext, id: number, role: Role, entity: string): Promise<UserRow> {
  const user = await ctx.loaders.get(userById).load(id);
  if (!user || user.role !== role) throw notFound(entity);
  return user;
}

/** The active users the caller may see (visibleUsersWhere), filtered by role and search. */
export async function listUsers(
  ctx: RequestContext,
  filter: { role?: Role | null; search?: string | null },
): Promise<UserRow[]> {
  checkTextLengths(filter);
  const where: (SQL | undefined)[] = [];
  if (filter.role) where.push(eq(users.role, filter.role));
  if (filter.search) {
    const pattern = containsPattern(filter.search);
    where.push(
      or(
        ilike(users.name, pattern),
        ilike(users.username, pattern),
        ilike(users.email, pattern),
        ilike(users.staffId, pattern),
      ),
    );
  }
  where.push(visibleUsersWhere(ctx.viewer));
  where.push(eq(users.status, "active"));
  return ctx.db
    .run((tx) =>
      tx
        .select()
        .from(users)
        .where(and(...where))
        .orderBy(asc(users.name), asc(users.id)),
    )
    .then(charged(ctx));
}

export async function createUser(ctx: RequestContext, input: CreateUserCommand): Promise<UserRow> {
  requireRole(ctx, "ADMIN");
  checkTextLengths(input);
  const errors: Record<string, Words> = {};
  const username = input.username.trim();
  if (!/^[\w.@+-]{1,150}$/.test(username))
    errors.username = words`${field("username")} must be 1-150 letters, digits or . @ + - _`;
  if (!input.name.trim()) errors.name = words`${field("name")} must not be empty`;
  if (input.timeZone != null && !isTimeZone(input.timeZone))
    errors.timeZone = words`${field("timeZone")} must be an IANA time zone, got "${input.timeZone}"`;
  if (input.email != null && !/^[^\s@]+@[^\s@]+$/.test(input.email))
    errors.email = words`${field("email")} is not a valid address`;
  throwFieldErrors(errors);
  return ctx.db.atomic(async (tx) => {
    const [taken] = await tx.select({ id: users.id }).from(users).where(eq(users.username, username));
    if (taken) throw badInput("username", words`${field("username")} "${username}" is already taken`);
    const [user] = await tx
      .insert(users)
      .values({
        tenantId: ctx.tenant.id,
        role: input.role,
        username,
        name: input.name.trim(),
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        staffId: input.staffId ?? null,
        timeZone: input.timeZone ?? ctx.tenant.timeZone,
        externalSubject: input.externalSubject ?? null,
      })
      .returning();
    await recordUserEvent(tx, ctx, user.id, ["created"]);
    return user;
  });
}

/**
 * Changes a user's role or status (deleted: for good); ADMIN only, and never their own (an
 * ADMIN cannot lock themselves out). Takes effect at once: the user's next request, on any
 * instance, reads the user again (recordUserEvent).
 */
export async function updateUser(ctx: RequestContext, id: number, input: UpdateUserCommand): Promise<UserRow> {
  requireRole(ctx, "ADMIN");
  const { role, status } = input;
  if (status != null && !(USER_STATUSES as readonly string[]).includes(status))
    throw badInput("status", words`${field("status")} must be one of ${USER_STATUSES.join(", ")}, got "${status}"`);
  if (id === ctx.viewer.id) throw forbidden("An ADMIN cannot change their own role or status");
  const now = ctx.deps.now();
  const set = { ...(role != null && { role }), ...(status != null && { status }) };
  const changed = Object.keys(set);
  const row = await ctx.db.atomic(async (tx) => {
    const [updated] = await tx
      .update(users)
      .set({ ...set, ...(status === "deleted" && { deletedAt: now }), updatedAt: now })
      .where(and(eq(users.id, id), isNull(users.deletedAt)))
      .returning();
    if (!updated) throw notFound("User");
    if (changed.length) await recordUserEvent(tx, ctx, id, changed);
    return updated;
  });
  forgetUser(ctx, id);
  return row;
}

/** A care relationship: the client may book with the provider. Idempotent. */
export async function assignClient(ctx: RequestContext, providerId: number, clientId: number): Promise<boolean> {
  requireRole(ctx, "ADMIN");
  await getUserWithRole(ctx, providerId, "PROVIDER", "Provider");
  await getUserWithRole(ctx, clientId, "CLIENT", "Client");
  await ctx.db.atomic((tx) =>
    tx.insert(careRelationships).values({ tenantId: ctx.tenant.id, providerId, clientId }).onConflictDoNothing(),
  );
  return true;
}

export async function hasCareRelationship(ctx: RequestContext, providerId: number, clientId: number): Promise<boolean> {
  const rows = await ctx.db.run((tx) =>
    tx
      .select({ id: careRelationships.id })
      .from(careRelationships)
      .where(and(eq(careRelationships.providerId, providerId), eq(careRelationships.clientId, clientId))),
  );
  return rows.length > 0;
}
