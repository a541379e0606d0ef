import { eq, sql } from "drizzle-orm";
import { domainEvents, slotHolds, type TenantRow } from "../../src/db/schema/index.js";
import { HOLD_EXPIRY_QUEUE } from "../../src/modules/holds/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { NOW, openAllWeek } from "../sessions/sessions.fixture.js";

export { at, BOOK, dataOf, errorOf, iso, NOW, snapshot } from "../sessions/sessions.fixture.js";

/** Each holds test file's world: a server at NOW (Sunday 2030-01-06 12:00Z), a practice whose provider is open all week, tokens. */
export async function holdsPractice(env: Record<string, string> = {}) {
  const t = await startTestApp({ now: () => NOW, env });
  const p = await makePractice(t.database);
  const [admin, provider, client, otherClient] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient].map((u) => t.token(u, p.tenant)),
  );
  await openAllWeek(t, p.tenant, p.provider);
  return { t, p, tokens: { admin, provider, client, otherClient } };
}

export const HOLD_FIELDS = `id startsAt endsAt expiresAt provider { id } client { id }`;
export const HOLD = `mutation($input: HoldSlotInput!) { holdSlot(input: $input) { ${HOLD_FIELDS} } }`;
export const RELEASE = `mutation($id: ID!) { releaseHold(id: $id) }`;
export const SLOT_HOLD = `query($id: ID!) { slotHold(id: $id) { ${HOLD_FIELDS} } }`;
export const SLOTS = `query($providerId: ID!, $from: Date!) {
  availableSlots(providerId: $providerId, from: $from, durations: [60]) { date slots { startsAt } } }`;

/** The starts availableSlots offers for 60 minutes on a local date. */
export async function offeredStarts(t: TestApp, providerId: number, date: string, token: string): Promise<string[]> {
  const result = await t.gql(SLOTS, { providerId: String(providerId), from: date }, token);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return (result.data!.availableSlots as { slots: { startsAt: string }[] }[]).flatMap((d) =>
    d.slots.map((s) => s.startsAt),
  );
}

/** The tenant's holds as stored. */
export function holdRows(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) => tx.select().from(slotHolds).orderBy(slotHolds.id));
}

/** Makes a hold expire now, as time would: its expires_at set into the past by the database's clock. */
export function expire(t: TestApp, tenant: TenantRow, holdId: number | string) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx
      .update(slotHolds)
      .set({ expiresAt: sql`clock_timestamp() - interval '1 second'` })
      .where(eq(slotHolds.id, Number(holdId))),
  );
}

/** Makes a hold's expiry job due now, as time would (with expire(): the hold has expired, and its job runs). */
export function expiryDueNow(t: TestApp, holdId: number | string) {
  return t.database.db.execute(
    sql`update pgboss.job set start_after = now() where name = ${HOLD_EXPIRY_QUEUE} and data->>'holdId' = ${String(holdId)}`,
  );
}

/** The changes (PLACED, RELEASED, CONSUMED, EXPIRED) recorded for a hold, in order. */
export async function holdChanges(t: TestApp, tenant: TenantRow, holdId: number | string): Promise<string[]> {
  const rows = await asTenant(t.database, tenant.id, (tx) =>
    tx
      .select()
      .from(domainEvents)
      .where(
        sql`${domainEvents.type} = 'SLOT_HOLD_CHANGED' and (${domainEvents.payload}->>'holdId')::int = ${Number(holdId)}`,
      )
      .orderBy(domainEvents.id),
  );
  return rows.map((r) => (r.payload as { change: string }).change);
}
