import { eq } from "drizzle-orm";
import { enterTenant, type Database } from "../../db/client.js";
import { tenants, users, type TenantRow, type UserRow } from "../../db/schema/index.js";
import { badInput, field, words } from "../../errors.js";
import { checkTextLengths } from "../../text-limits.js";
import { assertTimeZone } from "../../time.js";

/**
 * Tenants by code. The tenants table is not tenant-owned (no RLS; the app role may only read
 * it), and a code never changes, so lookups are cached for the life of the process.
 */
export class TenantDirectory {
  private readonly byCode = new Map<string, TenantRow>();

  constructor(private readonly database: Database) {}

  async byCodeOrUndefined(code: string): Promise<TenantRow | undefined> {
    const cached = this.byCode.get(code);
    if (cached) return cached;
    const [row] = await this.database.db.select().from(tenants).where(eq(tenants.code, code));
    if (row) this.byCode.set(code, row);
    return row;
  }
}

/** Creates a tenant and its first admin (CLI; runs as the owner). */
export async function createTenant(
  database: Database,
  input: { code: string; name: string; timeZone: string; adminUsername?: string },
): Promise<{ tenant: TenantRow; admin: UserRow }> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.code))
    throw badInput("code", words`${field("code")} must be 1-64 letters, digits, '-' or '_'`);
  assertTimeZone(input.timeZone, "timeZone");
  checkTextLengths({ name: input.name, username: input.adminUsername });
  return database.db.transaction(async (tx) => {
    const existing = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.code, input.code));
    if (existing.length) throw badInput("code", words`A tenant with ${field("code")} ${input.code} already exists`);
    const [tenant] = await tx
      .insert(tenants)
      .values({ code: input.code, name: input.name, timeZone: input.timeZone })
      .returning();
    await enterTenant(tx, tenant.id);
    const [admin] = await tx
      .insert(users)
      .values({
        tenantId: tenant.id,
        role: "ADMIN",
        username: input.adminUsername ?? "admin",
        name: `${input.name} Admin`,
        timeZone: input.timeZone,
      })
      .returning();
    return { tenant, admin };
  });
}
