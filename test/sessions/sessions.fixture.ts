import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { availabilityRules, domainEvents, sessions, type TenantRow, type UserRow } from "../../src/db/schema/index.js";
import { DomainError, renderFieldErrors } from "../../src/errors.js";
import type { GqlResult, TestApp } from "../helpers/app.js";
import { asTenant } from "../helpers/factories.js";

/** The frozen clock of these tests: Sunday 2030-01-06 12:00 UTC. Sessions go on Monday the 7th. */
export const NOW = new Date("2030-01-06T12:00:00Z");
export const at = (h: number, m = 0, day = 7) => new Date(Date.UTC(2030, 0, day, h, m));
export const iso = (h: number, m = 0, day = 7) => at(h, m, day).toISOString();

export const SESSION = `id title description type modality location startsAt endsAt durationMinutes status notes providerNotes
  clientFeedback exercisesPerformed actualStart actualEnd
  provider { id } client { id } treatmentPlan { id }
  cancellation { cancelledAt reason noticeHours cancelledBy { id } }
  timing { phase timeUntilStartSeconds timeRemainingSeconds canJoin }`;

export const BOOK = `mutation($input: BookSessionInput!) { bookSession(input: $input) { ${SESSION} } }`;

export type ErrorInfo = {
  message: string;
  code: string;
  fieldErrors?: Record<string, string>;
  conflictingSessionId?: number;
};

/** The one error of a failed operation, flattened. */
export function errorOf(result: GqlResult<unknown>): ErrorInfo {
  expect(result.errors, JSON.stringify(result.data)).toHaveLength(1);
  return { message: result.errors![0].message, ...result.errors![0].extensions } as ErrorInfo;
}

/** A service error's field errors as the default rendering words them (field -> message). */
export function fieldMessages(err: unknown): Record<string, string> {
  expect(err).toBeInstanceOf(DomainError);
  return renderFieldErrors((err as DomainError).details.fieldErrors ?? {});
}

export function dataOf<T = Record<string, any>>(result: GqlResult<T>): T {
  expect(result.errors).toBeUndefined();
  return result.data!;
}

/** The tenant's sessions and events as the owner sees them (to show a failed call changed nothing). */
export async function snapshot(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, async (tx) => ({
    sessions: await tx.select().from(sessions).orderBy(sessions.id),
    events: await tx.select().from(domainEvents).orderBy(domainEvents.id),
  }));
}

export async function eventsOf(t: TestApp, tenant: TenantRow, sessionId: number) {
  return asTenant(t.database, tenant.id, (tx) =>
    tx.select().from(domainEvents).where(eq(domainEvents.sessionId, sessionId)).orderBy(domainEvents.id),
  );
}

/** Weekly hours for a provider: every day 00:00-23:59 in their zone, so clients can book anything. */
export async function openAllWeek(t: TestApp, tenant: TenantRow, provider: UserRow) {
  await asTenant(t.database, tenant.id, (tx) =>
    tx.insert(availabilityRules).values(
      [0, 1, 2, 3, 4, 5, 6].map((dayOfWeek) => ({
        tenantId: tenant.id,
        providerId: provider.id,
        dayOfWeek,
        startTime: "00:00",
        endTime: "23:59",
      })),
    ),
  );
}
