/**
 * Two practices (tenants) with one of everything, for the isolation sweep and the fuzzers: the
 * ids of each tenant's records by kind, a token per role, and each tenant's rows as the owner
 * sees them (to show that a call changed nothing).
 */
import { asc, eq, sql } from "drizzle-orm";
import { rowsOf } from "../../src/db/client.js";
import {
  availabilityOverrides,
  availabilityRules,
  careRelationships,
  domainEvents,
  groupSessions,
  webhookDeliveries,
  webhookEndpoints,
  items,
  sessions,
  sessionSeries,
  tenants,
  treatmentDetails,
  treatmentPlans,
  units,
  users,
  type TenantRow,
} from "../../src/db/schema/index.js";
import { TwilioVideoProvider } from "../../src/modules/video/twilio-video.provider.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { FakeTwilio } from "../helpers/fake-twilio.js";
import { dataOf, NOW } from "../sessions/sessions.fixture.js";

/** The kinds of record an id can name. */
export const KINDS = [
  "session",
  "provider",
  "client",
  "admin",
  "plan",
  "rule",
  "override",
  "item",
  "unit",
  "detail",
  "series",
  "hold",
  "waitlistEntry",
  "group",
  "webhookEndpoint",
  "webhookDelivery",
] as const;
export type Kind = (typeof KINDS)[number];
export type Ids = Record<Kind, number>;

export const ROLES = ["admin", "provider", "client"] as const;
export type RoleName = (typeof ROLES)[number];

export interface Practice {
  tenant: TenantRow;
  ids: Ids;
  tokens: Record<RoleName, string>;
}

/** An id that names nothing in any tenant: "another tenant's" must answer exactly like it. */
export const MISSING_ID = 2_000_000_000;

/** A test server on the frozen clock (Sunday 2030-01-06 12:00 UTC) whose video provider talks to a fake Twilio. */
export async function startWorldApp(): Promise<TestApp> {
  const fake = await FakeTwilio.start();
  const video = new TwilioVideoProvider({
    accountSid: `AC${"a1".repeat(16)}`,
    apiKeySid: `SK${"b2".repeat(16)}`,
    apiKeySecret: "test-api-key-secret-0123456789abcdef",
    httpClient: fake.httpClient({ timeout: 2_000 }),
  });
  const t = await startTestApp({ now: () => NOW, video });
  return {
    ...t,
    async close() {
      await t.close();
      await fake.close();
    },
  };
}

/** One practice with a weekly rule, a day off, a plan, an item and a unit, a VIDEO session on Monday 2030-01-07 and a treatment detail of it, a course and a group session. */
export async function makeWorldPractice(t: TestApp, startsAt = "2030-01-07T15:00:00.000Z"): Promise<Practice> {
  const p = await makePractice(t.database);
  const tokens = {
    admin: await t.token(p.admin, p.tenant),
    provider: await t.token(p.provider, p.tenant),
    client: await t.token(p.client, p.tenant),
  };
  const as = async (query: string, variables: Record<string, unknown> = {}) =>
    Object.values(dataOf(await t.gql(query, variables, tokens.admin)))[0] as { id: string };
  const provider = String(p.provider.id);
  const rule = await as(
    `mutation($p: ID) { createAvailabilityRule(input: { providerId: $p, dayOfWeek: 1, startTime: "08:00", endTime: "18:00" }) { id } }`,
    { p: provider },
  );
  const override = await as(
    `mutation($p: ID) { createAvailabilityOverride(input: { providerId: $p, date: "2030-01-09", isAvailable: false, reason: "training" }) { id } }`,
    { p: provider },
  );
  const plan = await as(`mutation($c: ID) { createTreatmentPlan(input: { clientId: $c, title: "Plan" }) { id } }`, {
    c: String(p.client.id),
  });
  const item = await as(`mutation { createItem(name: "Band", sku: "B-1") { id } }`);
  const unit = await as(`mutation { createUnit(name: "piece") { id } }`);
  const session = await as(`mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`, {
    input: {
      providerId: provider,
      clientId: String(p.client.id),
      treatmentPlanId: plan.id,
      startsAt,
      durationMinutes: 60,
      modality: "VIDEO",
    },
  });
  const detail = await as(`mutation($input: TreatmentDetailInput!) { createTreatmentDetail(input: $input) { id } }`, {
    input: { sessionId: session.id, itemId: item.id, unitId: unit.id, quantity: 2 },
  });
  // A weekly course of two (Tuesdays), the series every series field and mutation names.
  const { series } = Object.values(
    dataOf(
      await t.gql(
        `mutation($input: BookSeriesInput!) { bookSeries(input: $input) { series { id } } }`,
        {
          input: {
            providerId: provider,
            clientId: String(p.client.id),
            treatmentPlanId: plan.id,
            startsAt: "2030-01-08T15:00:00Z",
            durationMinutes: 60,
            recurrence: "FREQ=WEEKLY;COUNT=2",
          },
        },
        tokens.admin,
      ),
    ),
  )[0] as { series: { id: string } };
  // A hold (a checkout's) on Thursday, clear of everything above and of the class below; long enough to outlive the run.
  const hold = await as(
    `mutation($p: ID!) { holdSlot(input: { providerId: $p, startsAt: "2030-01-10T17:00:00Z", durationMinutes: 30, ttlSeconds: 900 }) { id } }`,
    { p: provider },
  );
  const { joinWaitlist: entry } = dataOf(
    await t.gql(
      `mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) { id } }`,
      {
        input: {
          providerId: provider,
          clientId: String(p.client.id),
          earliest: "2030-01-09T15:00:00Z",
          latest: "2030-01-09T18:00:00Z",
          durationMinutes: 60,
        },
      },
      tokens.admin,
    ),
  ) as { joinWaitlist: { id: string } };
  // A class on Thursday (clear of the session and the course), no seat taken: every group field and mutation names it.
  const group = await as(`mutation($input: CreateGroupSessionInput!) { createGroupSession(input: $input) { id } }`, {
    input: { providerId: provider, startsAt: "2030-01-10T15:00:00Z", durationMinutes: 60, capacity: 4 },
  });
  // A webhook endpoint (a public address literal: no DNS; subscribed to what the sweep never causes) and a
  // FAILED delivery of it, written as the fan-out would: redeliverWebhook and deleteWebhookEndpoint name them.
  const { createWebhookEndpoint: created } = dataOf(
    await t.gql(
      `mutation { createWebhookEndpoint(url: "https://8.8.8.8/sweep", events: ["waitlist.booked"]) { endpoint { id } } }`,
      {},
      tokens.admin,
    ),
  ) as { createWebhookEndpoint: { endpoint: { id: string } } };
  const [delivery] = await asTenant(t.database, p.tenant.id, (tx) =>
    tx
      .insert(webhookDeliveries)
      .values({
        tenantId: p.tenant.id,
        endpointId: Number(created.endpoint.id),
        eventId: 1,
        eventType: "waitlist.booked",
        payload: {},
        status: "FAILED",
      })
      .returning(),
  );
  const ids: Ids = {
    session: Number(session.id),
    provider: p.provider.id,
    client: p.client.id,
    admin: p.admin.id,
    plan: Number(plan.id),
    rule: Number(rule.id),
    override: Number(override.id),
    item: Number(item.id),
    unit: Number(unit.id),
    detail: Number(detail.id),
    series: Number(series.id),
    hold: Number(hold.id),
    waitlistEntry: Number(entry.id),
    group: Number(group.id),
    webhookEndpoint: Number(created.endpoint.id),
    webhookDelivery: delivery.id,
  };
  return { tenant: p.tenant, ids, tokens };
}

/** Every row the tenant owns, table by table, in id order, as the owner sees them. */
export async function snapshot(t: TestApp, tenant: TenantRow) {
  return asTenant(t.database, tenant.id, async (tx) => ({
    tenant: await tx.select().from(tenants).where(eq(tenants.id, tenant.id)),
    users: await tx.select().from(users).orderBy(asc(users.id)),
    careRelationships: await tx.select().from(careRelationships).orderBy(asc(careRelationships.id)),
    sessions: await tx.select().from(sessions).orderBy(asc(sessions.id)),
    events: await tx.select().from(domainEvents).orderBy(asc(domainEvents.id)),
    availabilityRules: await tx.select().from(availabilityRules).orderBy(asc(availabilityRules.id)),
    availabilityOverrides: await tx.select().from(availabilityOverrides).orderBy(asc(availabilityOverrides.id)),
    treatmentPlans: await tx.select().from(treatmentPlans).orderBy(asc(treatmentPlans.id)),
    items: await tx.select().from(items).orderBy(asc(items.id)),
    units: await tx.select().from(units).orderBy(asc(units.id)),
    treatmentDetails: await tx.select().from(treatmentDetails).orderBy(asc(treatmentDetails.id)),
    series: await tx.select().from(sessionSeries).orderBy(asc(sessionSeries.id)),
    groups: await tx.select().from(groupSessions).orderBy(asc(groupSessions.id)),
    webhookEndpoints: await tx.select().from(webhookEndpoints).orderBy(asc(webhookEndpoints.id)),
    webhookDeliveries: await tx.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.id)),
  }));
}

/**
 * The tenant-owned tables whose rows a rejected request must leave alone. The audit log is
 * not among them: it records rejected attempts too, by design.
 */
const TENANT_TABLES = [
  "users",
  "care_relationships",
  "sessions",
  "domain_events",
  "availability_rules",
  "availability_overrides",
  "treatment_plans",
  "items",
  "units",
  "treatment_details",
  "session_series",
  "slot_holds",
  "waitlist_entries",
  "group_sessions",
  "webhook_endpoints",
  "webhook_deliveries",
];

/** A digest of each tenant-owned table's rows (and the tenant's own row), in one statement: cheap enough to take around every request. */
export async function fingerprint(t: TestApp, tenant: TenantRow): Promise<Record<string, string>> {
  const digests = TENANT_TABLES.map(
    (table) => `(select md5(coalesce(string_agg(r::text, '|' order by r.id), '')) from ${table} r) as ${table}`,
  );
  const query = `select (select md5(r::text) from tenants r where r.id = ${Number(tenant.id)}) as tenants, ${digests.join(", ")}`;
  const [row] = rowsOf<Record<string, string>>(
    await asTenant(t.database, tenant.id, (tx) => tx.execute(sql.raw(query))),
  );
  return row;
}

/** The tables whose digests differ. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before).filter((table) => before[table] !== after[table]);
}
