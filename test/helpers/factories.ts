import { enterTenant, type Database, type Tx } from "../../src/db/client.js";
import {
  careRelationships,
  sessions,
  tenants,
  users,
  type SessionRow,
  type TenantRow,
  type UserRow,
} from "../../src/db/schema/index.js";

let counter = 0;
const unique = (prefix: string) => `${prefix}${process.pid}x${++counter}`;

/** Writes as the owner, with the tenant entered (RLS still checks the rows). */
export function asTenant<T>(database: Database, tenantId: number, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return database.db.transaction(async (tx) => {
    await enterTenant(tx, tenantId);
    return fn(tx as Tx);
  });
}

export async function makeTenant(database: Database, values: Partial<TenantRow> = {}): Promise<TenantRow> {
  const [tenant] = await database.db
    .insert(tenants)
    .values({ code: unique("T"), name: "Test Practice", timeZone: "America/New_York", ...values })
    .returning();
  return tenant;
}

export async function makeUser(
  database: Database,
  tenant: TenantRow,
  role: UserRow["role"],
  values: Partial<UserRow> = {},
): Promise<UserRow> {
  const username = values.username ?? unique(role.toLowerCase());
  const [user] = await asTenant(database, tenant.id, (tx) =>
    tx
      .insert(users)
      .values({
        tenantId: tenant.id,
        role,
        username,
        name: `${role[0]}${role.slice(1).toLowerCase()} ${username}`,
        timeZone: tenant.timeZone,
        email: `${username}@example.com`,
        ...values,
      })
      .returning(),
  );
  return user;
}

export async function relate(database: Database, tenant: TenantRow, provider: UserRow, client: UserRow): Promise<void> {
  await asTenant(database, tenant.id, (tx) =>
    tx.insert(careRelationships).values({ tenantId: tenant.id, providerId: provider.id, clientId: client.id }),
  );
}

/** A practice: a tenant with an admin, a provider, a client in care with them, and a second client. */
export async function makePractice(database: Database, values: Partial<TenantRow> = {}) {
  const tenant = await makeTenant(database, values);
  const admin = await makeUser(database, tenant, "ADMIN");
  const provider = await makeUser(database, tenant, "PROVIDER");
  const client = await makeUser(database, tenant, "CLIENT");
  const otherClient = await makeUser(database, tenant, "CLIENT");
  await relate(database, tenant, provider, client);
  return { tenant, admin, provider, client, otherClient };
}

export async function makeSession(
  database: Database,
  tenant: TenantRow,
  values: Partial<SessionRow> & Pick<SessionRow, "providerId" | "clientId" | "startsAt" | "endsAt">,
): Promise<SessionRow> {
  const [row] = await asTenant(database, tenant.id, (tx) =>
    tx
      .insert(sessions)
      .values({ tenantId: tenant.id, title: "Test session", ...values })
      .returning(),
  );
  return row;
}
