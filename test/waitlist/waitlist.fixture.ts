import { eq } from "drizzle-orm";
import {
  slotHolds,
  waitlistEntries,
  waitlistRefills,
  type TenantRow,
  type UserRow,
} from "../../src/db/schema/index.js";
import { asTenant, makePractice, makeSession, makeUser, relate } from "../helpers/factories.js";
import type { GqlResult, TestApp } from "../helpers/app.js";
import { at, errorOf as sessionsErrorOf, openAllWeek, type ErrorInfo } from "../sessions/sessions.fixture.js";

export { at, dataOf, iso, NOW } from "../sessions/sessions.fixture.js";

/** The one error of a failed operation, flattened, with its reason. */
export const errorOf = (result: GqlResult<unknown>) => sessionsErrorOf(result) as ErrorInfo & { reason: string };

/** A practice whose provider is open all week, with three clients in their care, and everyone's tokens. */
export async function waitlistPractice(t: TestApp) {
  const p = await makePractice(t.database);
  const third = await makeUser(t.database, p.tenant, "CLIENT");
  await Promise.all([
    relate(t.database, p.tenant, p.provider, p.otherClient),
    relate(t.database, p.tenant, p.provider, third),
  ]);
  await openAllWeek(t, p.tenant, p.provider);
  const token = (u: UserRow) => t.token(u, p.tenant);
  const [admin, provider, client, otherClient, thirdClient] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient, third].map(token),
  );
  return { ...p, third, tokens: { admin, provider, client, otherClient, third: thirdClient } };
}
export type WaitlistPractice = Awaited<ReturnType<typeof waitlistPractice>>;

export const ENTRY = `id status earliest latest durationMinutes note position
  client { id } provider { id } offer { id startsAt endsAt expiresAt waitlistEntry { id } } session { id startsAt endsAt status }`;
export const JOIN = `mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) { ${ENTRY} } }`;
export const LEAVE = `mutation($id: ID!) { leaveWaitlist(id: $id) { ${ENTRY} } }`;
export const ACCEPT = `mutation($id: ID!) { acceptWaitlistOffer(id: $id) { id startsAt endsAt status client { id } } }`;
export const DECLINE = `mutation($id: ID!) { declineWaitlistOffer(id: $id) { ${ENTRY} } }`;
export const LIST = `query($providerId: ID, $clientId: ID, $status: [WaitlistStatus!]) {
  waitlist(providerId: $providerId, clientId: $clientId, status: $status) { ${ENTRY} } }`;
export const CANCEL = `mutation($id: ID!) { cancelSession(id: $id) { id status } }`;
export const BOOK = `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`;

/** The provider's time taken by a session of the practice's third client: what the waitlist waits for. */
export function bookedHour(t: TestApp, p: WaitlistPractice, hour: number, day = 7) {
  return makeSession(t.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.third.id,
    startsAt: at(hour, 0, day),
    endsAt: at(hour + 1, 0, day),
  });
}

/** Joins as `token` for exactly the start `start` (a window of one instant), 60 minutes. */
export async function joinFor(t: TestApp, p: WaitlistPractice, token: string, clientId: number, start: Date) {
  const result = await t.gql(
    JOIN,
    {
      input: {
        providerId: String(p.provider.id),
        clientId: String(clientId),
        earliest: start.toISOString(),
        latest: start.toISOString(),
        durationMinutes: 60,
      },
    },
    token,
  );
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.joinWaitlist as { id: string; status: string; position: number | null };
}

export function entriesOf(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) => tx.select().from(waitlistEntries).orderBy(waitlistEntries.id));
}

export function holdsOf(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) => tx.select().from(slotHolds).orderBy(slotHolds.id));
}

export function refillsOf(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx.select().from(waitlistRefills).where(eq(waitlistRefills.tenantId, tenant.id)),
  );
}

/** Moves a hold's expiry into the past, as if its time ran out. */
export function expireHold(t: TestApp, tenant: TenantRow, holdId: number) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx
      .update(slotHolds)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(slotHolds.id, holdId)),
  );
}
