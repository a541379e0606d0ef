/**
 * The bench dataset: one tenant of providers with weekly hours, their clients, treatment plans,
 * sessions in every status and treatment details, generated from a seed (same options, same
 * rows) and loaded with COPY as the owner. Sessions never overlap while active: each provider
 * gets distinct hours of their own working grid, and each client books with one provider only.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DateTime } from "luxon";
import type postgres from "postgres";
import type { DatasetOptions } from "./options.js";

export const TENANT_CODE = "BENCH";
const TENANT_ZONE = "America/New_York";
const PROVIDER_ZONES = [
  TENANT_ZONE,
  TENANT_ZONE,
  TENANT_ZONE,
  TENANT_ZONE,
  TENANT_ZONE,
  TENANT_ZONE,
  TENANT_ZONE,
  TENANT_ZONE,
  "America/Chicago",
  "Europe/London",
];
const UNIT_NAMES = ["piece", "pair", "box", "pack", "ml", "g", "set", "roll", "sheet", "dose"];
const FIRST_NAMES = [
  "Ada",
  "Ben",
  "Chloe",
  "Dan",
  "Eva",
  "Finn",
  "Grace",
  "Hugo",
  "Ines",
  "Jon",
  "Kara",
  "Liam",
  "Maya",
  "Noah",
  "Olga",
  "Paul",
  "Quinn",
  "Rosa",
  "Sam",
  "Tara",
];
const LAST_NAMES = [
  "Smith",
  "Jones",
  "Chen",
  "Garcia",
  "Kim",
  "Novak",
  "Okafor",
  "Patel",
  "Rossi",
  "Silva",
  "Tanaka",
  "Weber",
  "Young",
  "Zhou",
  "Brown",
  "Haddad",
];
const SESSION_TYPES = [
  "THERAPY",
  "THERAPY",
  "THERAPY",
  "PERSONAL",
  "ASSESSMENT",
  "CONSULTATION",
  "ONLINE",
  "GROUP",
] as const;
const MODALITIES = ["IN_PERSON", "IN_PERSON", "VIDEO", "VIDEO", "AUDIO", "CHAT"] as const;
const PAST_STATUSES = weighted([
  ["COMPLETED", 75],
  ["CANCELLED", 12],
  ["NO_SHOW", 8],
  ["CONFIRMED", 3],
  ["SCHEDULED", 2],
]);
const FUTURE_STATUSES = weighted([
  ["SCHEDULED", 55],
  ["CONFIRMED", 35],
  ["CANCELLED", 10],
]);
const DURATIONS = weighted([
  [60, 70],
  [45, 15],
  [30, 15],
]);

export interface BenchUser {
  id: number;
  username: string;
  role: "ADMIN" | "PROVIDER" | "CLIENT";
  timeZone: string;
}

/** What the scenarios need to know about the loaded data. */
export interface LoadedDataset {
  tenantId: number;
  admin: BenchUser;
  providers: BenchUser[];
  clients: BenchUser[];
}

/** Counts of the loaded rows, printed in the header. */
export type RowCounts = Record<string, number>;

/** The provider a client books with (and is in primary care with). */
const providerIndexOf = (clientIndex: number, providers: number) => clientIndex % providers;

/** Generates and loads the dataset into a freshly migrated database; returns the row counts. */
export async function loadDataset(sql: postgres.Sql, options: DatasetOptions): Promise<RowCounts> {
  const random = mulberry32(options.seed);
  const [tenant] = await sql<
    { id: number }[]
  >`insert into tenants (code, name, time_zone) values (${TENANT_CODE}, 'Bench Practice', ${TENANT_ZONE}) returning id`;
  const [{ last }] = await sql<{ last: string }[]>`select last_value::text as last from entity_id_seq`;
  let nextId = Number(last) + 1;
  const newId = () => nextId++;
  const t = tenant.id;
  const counts: RowCounts = {};
  const copy = async (table: string, columns: string[], rows: Iterable<unknown[]>) => {
    counts[table] = (counts[table] ?? 0) + (await copyRows(sql, table, columns, rows));
  };

  // People: one admin, providers with their zones and settings, clients partitioned among them.
  const person = (role: BenchUser["role"], username: string, zone: string) => {
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    return { id: newId(), role, username, first, last, zone };
  };
  const admin = person("ADMIN", "admin", TENANT_ZONE);
  const providers = Array.from({ length: options.providers }, (_, i) => ({
    ...person("PROVIDER", `provider${pad(i + 1, 3)}`, PROVIDER_ZONES[i % PROVIDER_ZONES.length]),
    bufferMinutes: i % 10 === 9 ? 15 : 0,
    minNoticeMinutes: i % 5 === 4 ? 120 : 0,
  }));
  const clients = Array.from({ length: options.clients }, (_, i) =>
    person("CLIENT", `client${pad(i + 1, 4)}`, TENANT_ZONE),
  );
  await copy(
    "users",
    [
      "id",
      "tenant_id",
      "role",
      "username",
      "name",
      "first_name",
      "last_name",
      "email",
      "phone",
      "staff_id",
      "time_zone",
      "min_notice_minutes",
      "buffer_minutes",
    ],
    [
      [
        admin.id,
        t,
        "ADMIN",
        admin.username,
        `${admin.first} ${admin.last}`,
        admin.first,
        admin.last,
        "admin@bench.example",
        null,
        null,
        admin.zone,
        0,
        0,
      ],
      ...providers.map((p, i) => [
        p.id,
        t,
        p.role,
        p.username,
        `${p.first} ${p.last}`,
        p.first,
        p.last,
        `${p.username}@bench.example`,
        `+1-555-${pad(1000 + i, 4)}`,
        `STAFF${pad(i + 1, 4)}`,
        p.zone,
        p.minNoticeMinutes,
        p.bufferMinutes,
      ]),
      ...clients.map((c, i) => [
        c.id,
        t,
        c.role,
        c.username,
        `${c.first} ${c.last}`,
        c.first,
        c.last,
        `${c.username}@bench.example`,
        `+1-555-${pad(i, 4)}`,
        `CLIENT${pad(i + 1, 4)}`,
        c.zone,
        0,
        0,
      ]),
    ],
  );

  // Care: every client with their own provider, a third of them with a second one as well.
  await copy(
    "care_relationships",
    ["id", "tenant_id", "provider_id", "client_id"],
    clients.flatMap((c, i) => {
      const own = providerIndexOf(i, providers.length);
      const rows = [[newId(), t, providers[own].id, c.id]];
      if (providers.length > 1 && random() < 0.33)
        rows.push([
          newId(),
          t,
          providers[(own + 1 + Math.floor(random() * (providers.length - 1))) % providers.length].id,
          c.id,
        ]);
      return rows;
    }),
  );

  // Weekly hours: weekdays in one block or split around lunch; some providers also work Saturday mornings.
  const hours = providers.map(() => workingHours(random));
  await copy(
    "availability_rules",
    ["id", "tenant_id", "provider_id", "day_of_week", "start_time", "end_time", "is_available", "notes"],
    providers.flatMap((p, i) =>
      hours[i].flatMap(({ day, blocks }) =>
        blocks.map(([from, to]) => [newId(), t, p.id, day, hhmm(from), hhmm(to), true, "Regular hours"]),
      ),
    ),
  );
  const days = daysAround(options.anchor, options.months);
  await copy(
    "availability_overrides",
    ["id", "tenant_id", "provider_id", "date", "start_time", "end_time", "is_available", "reason"],
    providers.flatMap((p) => [
      ...[0, 1, 2].map(() => [newId(), t, p.id, pick(random, days).date, null, null, false, "Time off"]),
      [
        newId(),
        t,
        p.id,
        pick(
          random,
          days.filter((d) => d.weekday === 6),
        ).date,
        "10:00",
        "14:00",
        true,
        "Extra Saturday hours",
      ],
    ]),
  );

  const plans = Array.from({ length: options.plans }, (_, k) => {
    const clientIndex = (k * 7) % clients.length;
    return { id: newId(), clientIndex };
  });
  const planOfClient = new Map<number, number>();
  for (const plan of plans) if (!planOfClient.has(plan.clientIndex)) planOfClient.set(plan.clientIndex, plan.id);
  const planTypes = ["Comprehensive ABA", "Physiotherapy", "Strength program", "CBT", "Speech therapy"];
  await copy(
    "treatment_plans",
    [
      "id",
      "tenant_id",
      "client_ref",
      "client_name",
      "client_id",
      "plan_type",
      "title",
      "status",
      "start_date",
      "created_by",
    ],
    plans.map((plan, k) => {
      const client = clients[plan.clientIndex];
      const type = pick(random, planTypes);
      return [
        plan.id,
        t,
        `CLIENT${pad(plan.clientIndex + 1, 4)}`,
        `${client.first} ${client.last}`,
        client.id,
        type,
        `${type} plan ${k + 1}`,
        random() < 0.9 ? "active" : "completed",
        pick(random, days).date,
        providers[providerIndexOf(plan.clientIndex, providers.length)].id,
      ];
    }),
  );

  const items = Array.from({ length: options.items }, (_, i) => ({
    id: newId(),
    name: `Item ${pad(i + 1, 3)}`,
    sku: `SKU-${pad(i + 1, 4)}`,
  }));
  await copy(
    "items",
    ["id", "tenant_id", "name", "sku"],
    items.map((item) => [item.id, t, item.name, item.sku]),
  );
  const units = UNIT_NAMES.map((name) => ({ id: newId(), name }));
  await copy(
    "units",
    ["id", "tenant_id", "name"],
    units.map((unit) => [unit.id, t, unit.name]),
  );

  // Sessions: per provider, distinct hours of their own working grid, in time order.
  const anchorAt = Date.parse(`${options.anchor}T00:00:00Z`);
  const clientsOf = providers.map((_, p) =>
    clients.map((_, i) => i).filter((i) => providerIndexOf(i, providers.length) === p),
  );
  const completed: { id: number; providerId: number; endsAt: Date }[] = [];
  const sessionRows: unknown[][] = [];
  for (const [p, provider] of providers.entries()) {
    const wanted = Math.floor(options.sessions / providers.length) + (p < options.sessions % providers.length ? 1 : 0);
    const grid = days.flatMap((d) =>
      (hours[p].find((h) => h.day === d.weekday)?.blocks ?? []).flatMap(([from, to]) =>
        range(from, to).map((hour) => ({ day: d, hour })),
      ),
    );
    if (wanted > grid.length)
      throw new Error(
        `--sessions too large: ${provider.username} has only ${grid.length} working hours in ${options.months} months`,
      );
    const chosen = sample(random, grid, wanted).sort((a, b) => a.day.date.localeCompare(b.day.date) || a.hour - b.hour);
    for (const { day, hour } of chosen) {
      const startsAt = new Date(
        Date.UTC(day.y, day.m - 1, day.d, hour) - offsetMinutes(provider.zone, day.date) * 60_000,
      );
      const endsAt = new Date(startsAt.getTime() + DURATIONS(random) * 60_000);
      const clientIndex = pick(random, clientsOf[p]);
      const client = clients[clientIndex];
      const past = startsAt.getTime() < anchorAt;
      const status = (past ? PAST_STATUSES : FUTURE_STATUSES)(random);
      const type = pick(random, SESSION_TYPES);
      const modality = pick(random, MODALITIES);
      const id = newId();
      const createdAt = new Date(startsAt.getTime() - (1 + Math.floor(random() * 30)) * 86_400_000);
      const cancelled = status === "CANCELLED";
      const cancelledAt = cancelled ? new Date(startsAt.getTime() - Math.floor(random() * 72) * 3_600_000) : null;
      const done = status === "COMPLETED";
      if (done) completed.push({ id, providerId: provider.id, endsAt });
      sessionRows.push([
        id,
        t,
        provider.id,
        client.id,
        random() < 0.6 ? (planOfClient.get(clientIndex) ?? null) : null,
        `${type[0]}${type.slice(1).toLowerCase()} session`,
        random() < 0.3 ? "Follow-up on last week's goals" : null,
        type,
        modality,
        modality === "IN_PERSON" ? `Room ${1 + Math.floor(random() * 12)}` : null,
        startsAt,
        endsAt,
        done ? new Date(startsAt.getTime() + Math.floor(random() * 5) * 60_000) : null,
        done ? endsAt : null,
        status,
        random() < 0.4 ? "Client reports steady progress" : null,
        random() < 0.2 ? "Review home exercises" : null,
        cancelledAt,
        cancelled ? (random() < 0.5 ? client.id : provider.id) : null,
        cancelled ? "Schedule conflict" : null,
        provider.id,
        provider.id,
        createdAt,
        cancelledAt ?? createdAt,
      ]);
    }
  }
  await copy(
    "sessions",
    [
      "id",
      "tenant_id",
      "provider_id",
      "client_id",
      "treatment_plan_id",
      "title",
      "description",
      "type",
      "modality",
      "location",
      "starts_at",
      "ends_at",
      "actual_start",
      "actual_end",
      "status",
      "notes",
      "provider_notes",
      "cancelled_at",
      "cancelled_by",
      "cancellation_reason",
      "created_by",
      "updated_by",
      "created_at",
      "updated_at",
    ],
    sessionRows,
  );

  // Items used in completed sessions; a few lines soft-deleted.
  await copy(
    "treatment_details",
    [
      "id",
      "tenant_id",
      "session_id",
      "item_id",
      "unit_id",
      "quantity",
      "created_by",
      "deleted_by",
      "deleted_at",
      "created_at",
      "updated_at",
    ],
    completed.length === 0
      ? []
      : Array.from({ length: options.details }, () => {
          const session = pick(random, completed);
          const deleted = random() < 0.02;
          return [
            newId(),
            t,
            session.id,
            pick(random, items).id,
            pick(random, units).id,
            1 + Math.floor(random() * 5),
            session.providerId,
            deleted ? session.providerId : null,
            deleted ? session.endsAt : null,
            session.endsAt,
            session.endsAt,
          ];
        }),
  );

  await sql`select setval('entity_id_seq', ${nextId - 1})`;
  await sql.unsafe("vacuum analyze");
  return counts;
}

/** Reads back the people of the bench tenant (after loading, or from a kept database). */
export async function readDataset(sql: postgres.Sql): Promise<LoadedDataset> {
  const [tenant] = await sql<{ id: number }[]>`select id from tenants where code = ${TENANT_CODE}`;
  if (!tenant) throw new Error(`The bench database has no tenant ${TENANT_CODE}`);
  const users = await sql<{ id: number; username: string; role: BenchUser["role"]; time_zone: string }[]>`
    select id, username, role, time_zone from users where tenant_id = ${tenant.id} order by username`;
  const as = (u: (typeof users)[number]): BenchUser => ({
    id: u.id,
    username: u.username,
    role: u.role,
    timeZone: u.time_zone,
  });
  return {
    tenantId: tenant.id,
    admin: as(users.find((u) => u.role === "ADMIN")!),
    providers: users.filter((u) => u.role === "PROVIDER").map(as),
    clients: users.filter((u) => u.role === "CLIENT").map(as),
  };
}

/** COPY ... FROM STDIN in text format, written in chunks with backpressure; returns the row count. */
async function copyRows(
  sql: postgres.Sql,
  table: string,
  columns: string[],
  rows: Iterable<unknown[]>,
): Promise<number> {
  let count = 0;
  function* chunks() {
    let chunk = "";
    for (const row of rows) {
      chunk += row.map(copyValue).join("\t") + "\n";
      count += 1;
      if (chunk.length > 64 * 1024) {
        yield chunk;
        chunk = "";
      }
    }
    if (chunk) yield chunk;
  }
  const target = await sql.unsafe(`copy ${table} (${columns.join(", ")}) from stdin`).writable();
  await pipeline(Readable.from(chunks()), target);
  return count;
}

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "boolean") return value ? "t" : "f";
  return String(value).replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

interface Day {
  date: string;
  y: number;
  m: number;
  d: number;
  /** 0 = Sunday ... 6 = Saturday, like availability_rules.day_of_week. */
  weekday: number;
}

/** The calendar days from months/2 before the anchor to months/2 after it. */
function daysAround(anchor: string, months: number): Day[] {
  const start = DateTime.fromISO(anchor, { zone: "UTC" }).minus({ months: months / 2 });
  const end = DateTime.fromISO(anchor, { zone: "UTC" }).plus({ months: months / 2 });
  const days: Day[] = [];
  for (let d = start; d < end; d = d.plus({ days: 1 }))
    days.push({ date: d.toISODate()!, y: d.year, m: d.month, d: d.day, weekday: d.weekday % 7 });
  return days;
}

/** The zone's UTC offset at noon of a local date (working hours never straddle a DST change). */
const offsets = new Map<string, number>();
function offsetMinutes(zone: string, date: string): number {
  const key = `${zone} ${date}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = DateTime.fromISO(`${date}T12:00`, { zone }).offset;
    offsets.set(key, offset);
  }
  return offset;
}

function workingHours(random: () => number): { day: number; blocks: [number, number][] }[] {
  const split = random() < 0.3;
  const start = 7 + Math.floor(random() * 4);
  const end = Math.min(19, start + 7 + Math.floor(random() * 3));
  const blocks: [number, number][] = split
    ? [
        [start, 12],
        [13, end],
      ]
    : [[start, end]];
  const week = [1, 2, 3, 4, 5].map((day) => ({ day, blocks }));
  if (random() < 0.2) week.push({ day: 6, blocks: [[9, 13]] });
  return week;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)];
}

/** k distinct elements (partial Fisher-Yates on a copy). */
function sample<T>(random: () => number, list: readonly T[], k: number): T[] {
  const copy = list.slice();
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, k);
}

function weighted<T>(entries: [T, number][]): (random: () => number) => T {
  const total = entries.reduce((n, [, w]) => n + w, 0);
  return (random) => {
    let r = random() * total;
    for (const [value, weight] of entries) if ((r -= weight) < 0) return value;
    return entries[entries.length - 1][0];
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const pad = (n: number, width: number) => String(n).padStart(width, "0");
const hhmm = (hour: number) => `${pad(hour, 2)}:00`;
