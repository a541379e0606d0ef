import type { Role } from "../../db/schema/index.js";
import { forbidden } from "../../errors.js";
import type { RequestContext } from "../context.js";

export function requireRole(ctx: RequestContext, ...roles: Role[]): void {
  if (!roles.includes(ctx.viewer.role)) throw forbidden(`This requires the ${roles.join(" or ")} role`);
}

export const isAdmin = (ctx: RequestContext) => ctx.viewer.role === "ADMIN";

/** "The provider defaults to the caller": the given provider, else the caller when a PROVIDER, else none. */
export const providerOrCaller = (ctx: RequestContext, providerId: number | null | undefined): number | undefined =>
  providerId ?? (ctx.viewer.role === "PROVIDER" ? ctx.viewer.id : undefined);
