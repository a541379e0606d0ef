import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { TenantRow, UserRow } from "../../db/schema/index.js";
import { users } from "../../db/schema/index.js";
import { forbidden, unauthenticated } from "../../errors.js";
import type { Runner } from "../context.js";
import type { TokenVerifier } from "./jwt.js";
import type { TenantDirectory } from "./tenant.service.js";
import type { ViewerCache } from "./viewer-cache.js";
import { selectRows } from "../../db/rows.js";
import { parseRecordId } from "../../bounds.js";

export interface Authenticated {
  tenant: TenantRow;
  subject: string;
  /** When the token stops being valid (long-lived connections end then). */
  expiresAt: Date;
}

/**
 * Who is calling: the token names a tenant and a subject; the user (and so the role) comes from
 * the database, never from the token. Shared by GraphQL over HTTP, graphql-ws and the REST shims.
 */
export class AuthService {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly tenants: TenantDirectory,
    private readonly viewers: ViewerCache,
  ) {}

  /** Verifies the token and resolves its tenant (no tenant-scoped SQL yet). */
  async authenticate(authorization: string | undefined, tenantHeader?: string): Promise<Authenticated> {
    const token = bearerToken(authorization);
    if (!token) throw unauthenticated("Authentication required: send Authorization: Bearer <token>");
    const claims = await this.verifier.verify(token);
    // A valid token that names another tenant than the header: the caller is known, the tenant is
    // not theirs (403, as README says), on GraphQL and every shim alike.
    if (tenantHeader !== undefined && tenantHeader !== claims.tenant)
      throw forbidden(TENANT_MISMATCH, "TENANT_MISMATCH");
    const tenant = await this.tenants.byCodeOrUndefined(claims.tenant);
    if (!tenant) throw unauthenticated(`Unknown tenant "${claims.tenant}"`);
    return { tenant, subject: claims.sub, expiresAt: new Date(claims.exp * 1000) };
  }

  /** The active user the subject names, inside the tenant (RLS applies); kept a few seconds (ViewerCache). */
  viewer(db: Runner, tenantId: number, subject: string): Promise<UserRow> {
    return this.viewers.get(tenantId, subject, () => this.readViewer(db, subject));
  }

  private async readViewer(db: Runner, subject: string): Promise<UserRow> {
    // A subject that is a record id may name the user by id; -1 names no one.
    const numeric = parseRecordId(subject) ?? -1;
    const [user] = await db.run((tx) =>
      selectRows(
        tx,
        users,
        and(or(eq(users.externalSubject, subject), eq(users.id, numeric)), isNull(users.deletedAt)),
        // An identity-provider subject wins over a numeric id that happens to be equal.
        sql`order by (${users.externalSubject} = ${subject}) desc nulls last limit 1`,
      ),
    );
    if (!user) throw unauthenticated("Unknown user for this token");
    if (user.status !== "active") throw unauthenticated("User is not active");
    return user;
  }
}

const TENANT_MISMATCH = "X-Tenant-Code does not match the token's tenant";

export function bearerToken(authorization: string | undefined): string | undefined {
  const m = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}
