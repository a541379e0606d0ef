import { sql } from "drizzle-orm";
import {
  items,
  treatmentDetails,
  units,
  type ItemRow,
  type TreatmentDetailRow,
  type UnitRow,
} from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";

/** The clock of these tests: a mutable instant in the future, so updates can move it on. */
export const clock = { now: new Date("2030-01-06T12:00:00Z") };
export const at = (day: number, hour: number) => new Date(Date.UTC(2030, 0, day, hour));

/**
 * Practice a (admin, provider with client, a second provider with otherClient) and practice b,
 * each with a session, an item and a unit; tokens for every role.
 */
export async function setup() {
  const t = await startTestApp({ now: () => clock.now });
  const db = t.database;
  const a = await makePractice(db);
  const b = await makePractice(db);
  const otherProvider = await makeUser(db, a.tenant, "PROVIDER");
  const session = await makeSession(db, a.tenant, {
    providerId: a.provider.id,
    clientId: a.client.id,
    startsAt: at(7, 9),
    endsAt: at(7, 10),
  });
  const otherSession = await makeSession(db, a.tenant, {
    providerId: otherProvider.id,
    clientId: a.otherClient.id,
    startsAt: at(7, 11),
    endsAt: at(7, 12),
  });
  const bSession = await makeSession(db, b.tenant, {
    providerId: b.provider.id,
    clientId: b.client.id,
    startsAt: at(7, 9),
    endsAt: at(7, 10),
  });
  const [item, bItem] = [
    await makeItem(t, a.tenant.id, "Theraband", "TB-1"),
    await makeItem(t, b.tenant.id, "B item", "B-1"),
  ];
  const [unit, bUnit] = [await makeUnit(t, a.tenant.id, "piece"), await makeUnit(t, b.tenant.id, "B unit")];
  const tokens = {
    admin: await t.token(a.admin, a.tenant),
    provider: await t.token(a.provider, a.tenant),
    otherProvider: await t.token(otherProvider, a.tenant),
    client: await t.token(a.client, a.tenant),
    otherClient: await t.token(a.otherClient, a.tenant),
    bAdmin: await t.token(b.admin, b.tenant),
  };
  return { t, a, b, otherProvider, session, otherSession, bSession, item, bItem, unit, bUnit, tokens };
}

export async function makeItem(
  t: TestApp,
  tenantId: number,
  name: string,
  sku: string | null = null,
): Promise<ItemRow> {
  const [row] = await asTenant(t.database, tenantId, (tx) =>
    tx.insert(items).values({ tenantId, name, sku }).returning(),
  );
  return row;
}

export async function makeUnit(t: TestApp, tenantId: number, name: string): Promise<UnitRow> {
  const [row] = await asTenant(t.database, tenantId, (tx) => tx.insert(units).values({ tenantId, name }).returning());
  return row;
}

/** A detail written directly (as the owner), for reads that need no create mutation. */
export async function makeDetail(
  t: TestApp,
  tenantId: number,
  values: Partial<TreatmentDetailRow> & Pick<TreatmentDetailRow, "quantity">,
): Promise<TreatmentDetailRow> {
  const [row] = await asTenant(t.database, tenantId, (tx) =>
    tx
      .insert(treatmentDetails)
      .values({ tenantId, ...values })
      .returning(),
  );
  return row;
}

/** Every row of a tenant's treatment_details, soft-deleted ones included. */
export function allDetails(t: TestApp, tenantId: number): Promise<TreatmentDetailRow[]> {
  return asTenant(t.database, tenantId, (tx) => tx.select().from(treatmentDetails).orderBy(treatmentDetails.id));
}

export function countRows(
  t: TestApp,
  tenantId: number,
  table: typeof items | typeof units | typeof treatmentDetails,
): Promise<number> {
  return asTenant(t.database, tenantId, (tx) => tx.select({ n: sql<number>`count(*)::int` }).from(table)).then(
    ([r]) => r.n,
  );
}
