import { eq } from "drizzle-orm";
import { sessions, sessionSeries, type TenantRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { NOW, openAllWeek } from "../sessions/sessions.fixture.js";

export { dataOf, errorOf, NOW, openAllWeek, snapshot } from "../sessions/sessions.fixture.js";

/** Each series test file's world: a server at NOW, a practice whose provider is open all week, and its people's tokens. */
export async function seriesPractice() {
  const t = await startTestApp({ now: () => NOW });
  const p = await makePractice(t.database);
  const [admin, provider, client] = await Promise.all([p.admin, p.provider, p.client].map((u) => t.token(u, p.tenant)));
  await openAllWeek(t, p.tenant, p.provider);
  return { t, p, admin, provider, client };
}

export const SERIES = `id recurrence timeZone startsAt durationMinutes status exceptions
  provider { id } client { id } treatmentPlan { id } nextSession { id startsAt }`;

export const BOOK_SERIES = `mutation($input: BookSeriesInput!) { bookSeries(input: $input) {
  series { ${SERIES} }
  sessions { id startsAt endsAt status occurrenceIndex series { id } }
  skipped { startsAt reason message conflictingSessionId } } }`;

export const PREVIEW = `query($input: BookSeriesInput!) { previewSeries(input: $input) { startsAt endsAt bookable reason conflictingSessionId } }`;

/** The series' occurrences as stored, by start. */
export function occurrencesOf(t: TestApp, tenant: TenantRow, seriesId: number) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx.select().from(sessions).where(eq(sessions.seriesId, seriesId)).orderBy(sessions.startsAt),
  );
}

export function seriesRows(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, (tx) => tx.select().from(sessionSeries).orderBy(sessionSeries.id));
}

/** Wall-clock date and time of an instant in a zone ("2030-03-12 15:00"). */
export function wall(instant: string | Date, zone: string): string {
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(instant));
}

export const weekday = (instant: string, zone: string) =>
  new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "short" }).format(new Date(instant));
