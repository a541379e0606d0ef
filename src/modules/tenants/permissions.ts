import type { Role } from "../../db/schema/index.js";
import { forbidden } from "../../errors.js";
import type { RequestContext } from "../context.js";

export function requireRole(ctx: RequestContext, ...roles: Role[]): void {
  if (!roles.includes(ctx.viewer.role)) throw forbidden(`This requires the ${roles.join(" or ")} role`);
}

export const isAdmin = (ctx: RequestContext) => ctx.viewer.role === "ADMIN";
