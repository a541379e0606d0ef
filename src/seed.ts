import { eq } from "drizzle-orm";
import { HOUR, MINUTE } from "./time.js";
import { DateTime } from "luxon";
import { enterTenant, type Database } from "./db/client.js";
import {
  availabilityRules,
  careRelationships,
  items,
  sessions,
  tenants,
  treatmentDetails,
  treatmentPlans,
  units,
  users,
  type TenantRow,
  type UserRow,
} from "./db/schema/index.js";

export interface DemoSeed {
  tenant: TenantRow;
  admin: UserRow;
  provider: UserRow;
  client: UserRow;
}

/**
 * The demo practice: two providers with weekly hours, three clients with care relationships,
 * a treatment plan, items and units, and a few sessions around `now`. Idempotent per tenant code.
 */
export async function seedDemo(database: Database, now: Date = new Date(), code = "DEMO"): Promise<DemoSeed> {
  const zone = "America/New_York";
  return database.db.transaction(async (tx) => {
    const [existing] = await tx.select().from(tenants).where(eq(tenants.code, code));
    if (existing) {
      await enterTenant(tx, existing.id);
      const byName = async (username: string) => (await tx.select().from(users).where(eq(users.username, username)))[0];
      return {
        tenant: existing,
        admin: await byName("admin"),
        provider: await byName("dr.smith"),
        client: await byName("john.doe"),
      };
    }
    const [tenant] = await tx
      .insert(tenants)
      .values({ code, name: "Demo Therapy & Training", timeZone: zone })
      .returning();
    await enterTenant(tx, tenant.id);
    const person = (
      role: "ADMIN" | "PROVIDER" | "CLIENT",
      username: string,
      firstName: string,
      lastName: string,
      extra: Partial<UserRow> = {},
    ) => ({
      tenantId: tenant.id,
      role,
      username,
      name: `${firstName} ${lastName}`,
      firstName,
      lastName,
      email: `${username}@demo.example`,
      timeZone: zone,
      ...extra,
    });
    const [admin, provider, coach, client, sarah, liam] = await tx
      .insert(users)
      .values([
        person("ADMIN", "admin", "Ada", "Admin"),
        person("PROVIDER", "dr.smith", "Jane", "Smith", { staffId: "STAFF0002", phone: "+1-555-0100" }),
        person("PROVIDER", "coach.mike", "Mike", "Thompson", { staffId: "STAFF0003", timeZone: "America/Chicago" }),
        person("CLIENT", "john.doe", "John", "Doe", { staffId: "CLIENT001", phone: "+1-555-0123" }),
        person("CLIENT", "sarah.johnson", "Sarah", "Johnson", { phone: "+1-555-0456" }),
        person("CLIENT", "liam.chen", "Liam", "Chen"),
      ])
      .returning();
    await tx.insert(careRelationships).values([
      { tenantId: tenant.id, providerId: provider.id, clientId: client.id },
      { tenantId: tenant.id, providerId: provider.id, clientId: sarah.id },
      { tenantId: tenant.id, providerId: coach.id, clientId: client.id },
      { tenantId: tenant.id, providerId: coach.id, clientId: liam.id },
    ]);
    await tx.insert(availabilityRules).values([
      ...[1, 2, 3, 4, 5].map((day) => ({
        tenantId: tenant.id,
        providerId: provider.id,
        dayOfWeek: day,
        startTime: "09:00",
        endTime: "17:00",
        notes: "Regular sessions",
      })),
      ...[1, 3, 5].map((day) => ({
        tenantId: tenant.id,
        providerId: coach.id,
        dayOfWeek: day,
        startTime: "07:00",
        endTime: "12:00",
        notes: "Morning training",
      })),
    ]);
    const [plan] = await tx
      .insert(treatmentPlans)
      .values({
        tenantId: tenant.id,
        clientRef: "CLIENT001",
        clientName: "John Doe",
        clientId: client.id,
        planType: "Comprehensive ABA",
        title: "Anxiety management",
        createdBy: provider.id,
      })
      .returning();
    const [band, gloves] = await tx
      .insert(items)
      .values([
        { tenantId: tenant.id, name: "Resistance band", sku: "RB-01" },
        { tenantId: tenant.id, name: "Nitrile gloves", sku: "NG-02" },
      ])
      .returning();
    const [piece, pair] = await tx
      .insert(units)
      .values([
        { tenantId: tenant.id, name: "piece" },
        { tenantId: tenant.id, name: "pair" },
      ])
      .returning();

    // Sessions on weekdays around today, in the provider's zone.
    const day = (offset: number, hour: number) => {
      let d = DateTime.fromJSDate(now, { zone }).startOf("day").plus({ days: offset });
      while (d.weekday > 5) d = d.plus({ days: offset < 0 ? -1 : 1 });
      return d.set({ hour }).toJSDate();
    };
    const session = (start: Date, minutes: number, values: Partial<typeof sessions.$inferInsert>) => ({
      tenantId: tenant.id,
      providerId: provider.id,
      clientId: client.id,
      startsAt: start,
      endsAt: new Date(start.getTime() + minutes * MINUTE),
      createdBy: provider.id,
      ...values,
    });
    const past = day(-7, 10);
    const [done] = await tx
      .insert(sessions)
      .values([
        session(past, 60, {
          title: "Intake assessment",
          type: "ASSESSMENT",
          status: "COMPLETED",
          treatmentPlanId: plan.id,
          actualStart: past,
          actualEnd: new Date(past.getTime() + HOUR),
          notes: "Baseline established",
        }),
        session(day(1, 10), 60, {
          title: "Weekly therapy session",
          type: "THERAPY",
          modality: "VIDEO",
          treatmentPlanId: plan.id,
          notes: "Anxiety management techniques",
          providerNotes: "Follow up on sleep diary",
        }),
        session(day(2, 14), 90, {
          title: "Strength training",
          type: "PERSONAL",
          clientId: sarah.id,
          location: "Main Gym - Studio A",
        }),
        session(day(3, 9), 60, {
          title: "Cancelled check-in",
          type: "CONSULTATION",
          status: "CANCELLED",
          cancelledAt: now,
          cancelledBy: client.id,
          cancellationReason: "Travelling",
        }),
        session(day(1, 8), 60, {
          title: "Morning conditioning",
          type: "PERSONAL",
          providerId: coach.id,
          clientId: liam.id,
          location: "Outdoor Track",
        }),
      ])
      .returning();
    await tx.insert(treatmentDetails).values([
      {
        tenantId: tenant.id,
        sessionId: done.id,
        itemId: band.id,
        unitId: piece.id,
        quantity: 2,
        createdBy: provider.id,
      },
      {
        tenantId: tenant.id,
        sessionId: done.id,
        itemId: gloves.id,
        unitId: pair.id,
        quantity: 1,
        createdBy: provider.id,
      },
    ]);
    return { tenant, admin, provider, client };
  });
}

/** Whether the database has no tenant yet (the server seeds the demo then). */
export async function isEmpty(database: Database): Promise<boolean> {
  const rows = await database.db.select({ id: tenants.id }).from(tenants).limit(1);
  return rows.length === 0;
}
