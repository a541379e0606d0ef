import { eq } from "drizzle-orm";
import { domainEvents, groupSessions, sessions, type TenantRow, type UserRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice, makeUser, relate } from "../helpers/factories.js";
import { NOW, openAllWeek } from "../sessions/sessions.fixture.js";

export { dataOf, errorOf, NOW, snapshot } from "../sessions/sessions.fixture.js";

/** Each groups test file's world: a server at NOW (Sunday 2030-01-06 12:00 UTC), a practice whose provider is open all week, and tokens. */
export async function groupsPractice() {
  const t = await startTestApp({ now: () => NOW });
  const p = await makePractice(t.database);
  const [admin, provider, client, otherClient] = await Promise.all(
    [p.admin, p.provider, p.client, p.otherClient].map((u) => t.token(u, p.tenant)),
  );
  await openAllWeek(t, p.tenant, p.provider);
  return { t, p, admin, provider, client, otherClient };
}

/** `n` more clients in care with the provider, each with a token. */
export async function clientsInCare(t: TestApp, tenant: TenantRow, provider: UserRow, n: number) {
  const users: UserRow[] = [];
  for (let i = 0; i < n; i++) {
    const user = await makeUser(t.database, tenant, "CLIENT");
    await relate(t.database, tenant, provider, user);
    users.push(user);
  }
  const tokens = await Promise.all(users.map((u) => t.token(u, tenant)));
  return users.map((user, i) => ({ user, token: tokens[i] }));
}

export const GROUP = `id title description type modality location startsAt endsAt capacity seatsTaken seatsLeft status
  provider { id } attendees { id status client { id } groupSession { id } }`;

export const CREATE = `mutation($input: CreateGroupSessionInput!) { createGroupSession(input: $input) { ${GROUP} } }`;
export const JOIN = `mutation($id: ID!, $clientId: ID) { joinGroupSession(id: $id, clientId: $clientId) {
  id status startsAt endsAt title type modality location client { id } provider { id } groupSession { id } } }`;
export const LEAVE = `mutation($id: ID!, $clientId: ID, $reason: String) { leaveGroupSession(id: $id, clientId: $clientId, reason: $reason) { ${GROUP} } }`;
export const CANCEL = `mutation($id: ID!, $reason: String) { cancelGroupSession(id: $id, reason: $reason) { ${GROUP} } }`;
export const GET = `query($id: ID!) { groupSession(id: $id) { ${GROUP} } }`;
export const LIST = `query($providerId: ID, $from: DateTime!, $to: DateTime!) { groupSessions(providerId: $providerId, from: $from, to: $to) { id seatsTaken seatsLeft status } }`;

/** The group's seats as stored (every status), by id. */
export function seatsOf(t: TestApp, tenant: TenantRow, groupId: number | string) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx
      .select()
      .from(sessions)
      .where(eq(sessions.groupSessionId, Number(groupId)))
      .orderBy(sessions.id),
  );
}

export function groupRows(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) => tx.select().from(groupSessions).orderBy(groupSessions.id));
}

export function eventsOfTenant(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) => tx.select().from(domainEvents).orderBy(domainEvents.id));
}
