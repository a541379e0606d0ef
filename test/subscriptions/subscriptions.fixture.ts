import type { TestApp } from "../helpers/app.js";
import { makePractice } from "../helpers/factories.js";
import { dataOf } from "../sessions/sessions.fixture.js";

export { NOW, at, iso, BOOK, dataOf, errorOf } from "../sessions/sessions.fixture.js";

export const SLOTS_CHANGED = `subscription($providerId: ID!, $from: Date!, $to: Date, $after: String) {
  slotsChanged(providerId: $providerId, from: $from, to: $to, after: $after) {
    providerId dates reason cursor days { date slots { startsAt availableDurations } }
  }
}`;

export const SESSION_CHANGED = `subscription($providerId: ID, $clientId: ID, $after: String) {
  sessionChanged(providerId: $providerId, clientId: $clientId, after: $after) {
    id type occurredAt cursor session { id status startsAt providerNotes client { id } provider { id } }
  }
}`;

/** A practice whose provider works Mondays 09:00–17:00 (America/New_York: 14:00Z–22:00Z in January). */
export async function practiceWithHours(t: TestApp) {
  const p = await makePractice(t.database);
  const tokens = {
    admin: await t.token(p.admin, p.tenant),
    provider: await t.token(p.provider, p.tenant),
    client: await t.token(p.client, p.tenant),
    otherClient: await t.token(p.otherClient, p.tenant),
  };
  dataOf(
    await t.gql(
      `mutation { createAvailabilityRule(input: { dayOfWeek: 1, startTime: "09:00", endTime: "17:00" }) { id } }`,
      {},
      tokens.provider,
    ),
  );
  return { ...p, tokens };
}
