import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { AuditLogRow, UserRow } from "../../db/schema/index.js";
import type { RequestContext } from "../context.js";
import { findVisibleUser } from "../tenants/index.js";
import { User } from "../tenants/graphql.js";
import { listAuditLog } from "./audit.service.js";
import { AuditEntry } from "./audit.type.js";

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => [AuditEntry], {
    description:
      "Who wrote, read the clinical text of (alone or in a list), or was refused a record, newest first, at most 100 entries; ADMIN only",
  })
  auditLog(
    @Arg("entity", () => String) entity: string,
    @Arg("entityId", () => RecordId) entityId: number,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditLogRow[]> {
    return listAuditLog(ctx, entity, String(entityId));
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: "null when the user no longer exists or the caller may not see them",
  })
  actor(@Root() entry: AuditLogRow, @Ctx() ctx: RequestContext): Promise<UserRow | null> {
    return findVisibleUser(ctx, entry.actorId);
  }
}
