import { and, asc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { pgErrorOf, rowsOf, type Tx } from "../../db/client.js";
import {
  groupSessions,
  sessions,
  slotHolds,
  waitlistEntries,
  type SlotHoldRow,
  type UserRow,
  type WaitlistEntryRow,
} from "../../db/schema/index.js";
import { providerTimeConflict } from "../../rules/provider-time.js";
import { isActiveSql } from "../../rules/session-states.js";
import { DAY, localDate, MINUTE } from "../../time.js";
import { slotsForProviders } from "../availability/index.js";
import { Loaders, type RequestContext } from "../context.js";
import { lockTenantEvents, recordWaitlistEvent } from "../events/index.js";
import { insertHold, isLiveHoldSql, removeHold } from "../holds/index.js";
import { getUserWithRole } from "../tenants/index.js";
import { offerMinutesOf } from "./waitlist.service.js";

/**
 * The matcher: offers a provider's free time to their waitlist, first come first served. It
 * runs in the caller's transaction behind the tenant's write lock (the lock every write of a
 * provider's time takes before it writes), so matchers of one tenant never interleave with each
 * other or with a booking, and each statement after the lock sees everything that committed
 * before it. The database has the last word on every offer: an offer is a hold, which
 * provider_time_is_free() (drizzle/0011) refuses over a live hold or an active session. So one
 * freed slot is offered to exactly one entry, however many matchers run on however many instances.
 */

/** The most WAITING entries one run considers (FCFS): the work per run is bounded. */
const MAX_ENTRIES_PER_RUN = 100;
/** The most starts one entry tries when the database refuses the earlier ones (a hold placed beside this run). */
const MAX_ATTEMPTS_PER_ENTRY = 20;
/** Slots are computed over at most this many days at once (availableSlots' range is 62 local days). */
const CHUNK_DAYS = 60;
/** The longest slot the slot computation offers (availableSlots' bound): a longer wait is never offered. */
const MAX_SLOT_MINUTES = 480;

export interface MatchResult {
  offered: WaitlistEntryRow[];
  /** Entries given back their lapsed offer (WAITING again) or past their latest start (EXPIRED). */
  settled: WaitlistEntryRow[];
}

/**
 * Settles then offers the provider's waitlist: (a) OFFERED entries whose hold is gone or
 * expired are WAITING again (an expired hold still there is removed: EXPIRED), WAITING entries
 * whose latest start has passed are EXPIRED; (b) each WAITING entry, in FCFS order, is offered
 * the earliest start in its window that its client could book as availableSlots computes it for
 * them, or a seat of the provider's group that starts in its window and lasts its duration,
 * whichever starts first, as a hold of the tenant's offer length (a seat hold counts against
 * the group's capacity in the database).
 */
export async function offerFreedTime(ctx: RequestContext, providerId: number): Promise<MatchResult> {
  await ctx.db.run((tx) => lockTenantEvents(tx, ctx.tenant.id));
  const settled = await settle(ctx, providerId);
  const waiting = await ctx.db.run((tx) =>
    tx
      .select()
      .from(waitlistEntries)
      .where(and(eq(waitlistEntries.providerId, providerId), eq(waitlistEntries.status, "WAITING")))
      .orderBy(asc(waitlistEntries.createdAt), asc(waitlistEntries.id))
      .limit(MAX_ENTRIES_PER_RUN),
  );
  if (!waiting.length) return { offered: [], settled };
  const offerSeconds = (await offerMinutesOf(ctx)) * 60;
  // Live holds of the provider's time: no offer is tried over one (the database would refuse it).
  const held = await ctx.db.run((tx) =>
    tx
      .select({ startsAt: slotHolds.startsAt, endsAt: slotHolds.endsAt })
      .from(slotHolds)
      .where(and(eq(slotHolds.providerId, providerId), isNull(slotHolds.groupSessionId), isLiveHoldSql())),
  );
  const seats = await openSeats(ctx, providerId);
  const slotCache = new Map<string, Promise<Date[]>>();
  const offered: WaitlistEntryRow[] = [];
  for (const entry of waiting) {
    const client = await getUserWithRole(ctx, entry.clientId, "CLIENT", "Client").catch(() => undefined);
    if (!client) continue;
    const asClient = actingAs(ctx, client);
    const passed = new Set(entry.passedStarts.map((d) => d.getTime()));
    const fits = (start: Date) => {
      const end = start.getTime() + entry.durationMinutes * MINUTE;
      return (
        !passed.has(start.getTime()) &&
        !held.some((h) => h.startsAt.getTime() < end && h.endsAt.getTime() > start.getTime())
      );
    };
    const hold = await offerFirstFitting(asClient, entry, offerSeconds, fits, slotCache, seats);
    if (!hold) continue;
    if (hold.groupSessionId === null) held.push(hold);
    offered.push(await markOffered(ctx, entry, hold));
  }
  return { offered, settled };
}

/** A group session of the provider with a seat left, as the matcher counts it (the database counts again). */
interface OpenSeat {
  groupSessionId: number;
  startsAt: Date;
  endsAt: Date;
  free: number;
}

/** One candidate offer: a 1:1 start, or a seat of a group. */
type Candidate = { start: Date; seat?: undefined } | { start: Date; seat: OpenSeat };

/**
 * Tries the entry's candidates, earliest start first (a 1:1 slot or a group seat, whichever
 * starts first), until the database accepts a hold on one.
 */
async function offerFirstFitting(
  asClient: RequestContext,
  entry: WaitlistEntryRow,
  offerSeconds: number,
  fits: (start: Date) => boolean,
  slotCache: Map<string, Promise<Date[]>>,
  seats: OpenSeat[],
): Promise<SlotHoldRow | undefined> {
  let attempts = 0;
  for await (const candidate of candidates(asClient, entry, fits, slotCache, seats)) {
    const { seat, start } = candidate;
    if (seat && (seat.free <= 0 || (await clientBusy(asClient, entry.clientId, seat)))) continue;
    if (++attempts > MAX_ATTEMPTS_PER_ENTRY) return undefined;
    try {
      const hold = await asClient.db.atomic((tx) =>
        insertHold(tx, asClient, {
          providerId: entry.providerId,
          clientId: entry.clientId,
          startsAt: start,
          endsAt: seat ? seat.endsAt : new Date(start.getTime() + entry.durationMinutes * MINUTE),
          ttlSeconds: offerSeconds,
          waitlistEntryId: entry.id,
          groupSessionId: seat?.groupSessionId ?? null,
        }),
      );
      if (seat) seat.free -= 1;
      return hold;
    } catch (err) {
      // Taken since it was read (held, booked, a full or cancelled group): the next may still be free.
      if (providerTimeConflict(err) || pgErrorOf(err)?.code === "23P01") continue;
      throw err;
    }
  }
  return undefined;
}

/**
 * The entry's candidates in start order: its fitting 1:1 starts (fittingStarts, passing `fits`)
 * merged with the seats of groups that start within its window, last exactly its duration and
 * have not started. On the same start a seat comes first (a group's time is never free 1:1).
 */
async function* candidates(
  asClient: RequestContext,
  entry: WaitlistEntryRow,
  fits: (start: Date) => boolean,
  slotCache: Map<string, Promise<Date[]>>,
  seats: OpenSeat[],
): AsyncGenerator<Candidate> {
  const earliest = Math.max(entry.earliest.getTime(), asClient.deps.now().getTime());
  const passed = new Set(entry.passedStarts.map((d) => d.getTime()));
  const fitting = seats.filter(
    (s) =>
      s.startsAt.getTime() >= earliest &&
      s.startsAt.getTime() <= entry.latest.getTime() &&
      s.endsAt.getTime() - s.startsAt.getTime() === entry.durationMinutes * MINUTE &&
      !passed.has(s.startsAt.getTime()),
  );
  let next = 0;
  for await (const start of fittingStarts(asClient, entry, slotCache)) {
    while (next < fitting.length && fitting[next].startsAt.getTime() <= start.getTime())
      yield { start: fitting[next].startsAt, seat: fitting[next++] };
    if (fits(start)) yield { start };
  }
  while (next < fitting.length) yield { start: fitting[next].startsAt, seat: fitting[next++] };
}

/**
 * The provider's groups that have not started and are not cancelled, with their seats left:
 * capacity less the seats not cancelled and the live seat holds (the count seats_within_capacity()
 * makes in drizzle/0011). One statement per run.
 */
async function openSeats(ctx: RequestContext, providerId: number): Promise<OpenSeat[]> {
  const rows = rowsOf<{ id: number; starts_at: string | Date; ends_at: string | Date; free: number | string }>(
    await ctx.db.run((tx) =>
      tx.execute(sql`
        select g.id, g.starts_at, g.ends_at,
               g.capacity
               - (select count(*) from ${sessions} s where s.group_session_id = g.id and s.status <> 'CANCELLED')
               - (select count(*) from ${slotHolds} h where h.group_session_id = g.id and h.expires_at > clock_timestamp())
               as free
          from ${groupSessions} g
         where g.provider_id = ${providerId} and g.cancelled_at is null
           and g.starts_at > ${ctx.deps.now().toISOString()}::timestamptz
         order by g.starts_at, g.id`),
    ),
  );
  return rows
    .map((r) => ({
      groupSessionId: Number(r.id),
      startsAt: new Date(r.starts_at),
      endsAt: new Date(r.ends_at),
      free: Number(r.free),
    }))
    .filter((s) => s.free > 0);
}

/** Whether the client has an active session (a seat of this group included) overlapping the group's time. */
async function clientBusy(ctx: RequestContext, clientId: number, seat: OpenSeat): Promise<boolean> {
  const [busy] = await ctx.db.run((tx) =>
    tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          eq(sessions.clientId, clientId),
          isActiveSql(),
          lt(sessions.startsAt, seat.endsAt),
          gt(sessions.endsAt, seat.startsAt),
        ),
      )
      .limit(1),
  );
  return busy !== undefined;
}

/**
 * The starts in the entry's window (not before now, nor its earliest; up to its latest) that
 * its client could book for its duration, earliest first, as availableSlots computes them with
 * the client as the viewer (their own sessions busy, the provider's notice and buffer). Computed
 * a chunk of days at a time, each chunk once per client, window and duration in a run.
 */
async function* fittingStarts(
  asClient: RequestContext,
  entry: WaitlistEntryRow,
  slotCache: Map<string, Promise<Date[]>>,
): AsyncGenerator<Date> {
  if (entry.durationMinutes > MAX_SLOT_MINUTES) return;
  const provider = await getUserWithRole(asClient, entry.providerId, "PROVIDER", "Provider");
  const earliest = Math.max(entry.earliest.getTime(), asClient.deps.now().getTime());
  const latest = entry.latest.getTime();
  for (let chunk = earliest; chunk <= latest; chunk += (CHUNK_DAYS + 1) * DAY) {
    const from = localDate(new Date(chunk), provider.timeZone);
    const to = localDate(new Date(Math.min(latest, chunk + CHUNK_DAYS * DAY)), provider.timeZone);
    const key = `${entry.clientId}:${entry.durationMinutes}:${from}:${to}`;
    let starts = slotCache.get(key);
    if (!starts) {
      starts = slotsForProviders(asClient, [entry.providerId], from, to, {
        durations: [entry.durationMinutes],
        clientId: entry.clientId,
      }).then(([slots]) =>
        slots.days.flatMap((day) =>
          day.slots.filter((s) => s.availableDurations.includes(entry.durationMinutes)).map((s) => s.startsAt),
        ),
      );
      slotCache.set(key, starts);
    }
    for (const start of await starts) {
      if (start.getTime() >= earliest && start.getTime() <= latest) yield start;
    }
  }
}

/**
 * The entry is OFFERED, its start recorded among passed_starts now: an offer is either accepted
 * (BOOKED, where passed starts no longer matter) or declined or let lapse, and then it must not
 * be offered again, even when the hold is gone before anyone settles it (removed on expiry).
 */
async function markOffered(ctx: RequestContext, entry: WaitlistEntryRow, hold: SlotHoldRow): Promise<WaitlistEntryRow> {
  return ctx.db.run(async (tx) => {
    const [row] = await tx
      .update(waitlistEntries)
      .set({
        status: "OFFERED",
        passedStarts: sql`array_append(${waitlistEntries.passedStarts}, ${hold.startsAt.toISOString()}::timestamptz)`,
        updatedAt: ctx.deps.now(),
      })
      .where(eq(waitlistEntries.id, entry.id))
      .returning();
    await recordWaitlistEvent(tx, ctx, row, "WAITLIST_OFFERED");
    return row;
  });
}

/**
 * (a) of the matcher: lapsed offers back to WAITING (their expired hold removed, if still
 * there), then WAITING entries past their latest start EXPIRED; one event each.
 */
async function settle(ctx: RequestContext, providerId: number): Promise<WaitlistEntryRow[]> {
  return ctx.db.run(async (tx) => {
    const lapsed = await tx
      .select({ entry: waitlistEntries, hold: slotHolds })
      .from(waitlistEntries)
      .leftJoin(
        slotHolds,
        and(eq(slotHolds.tenantId, waitlistEntries.tenantId), eq(slotHolds.waitlistEntryId, waitlistEntries.id)),
      )
      .where(
        and(
          eq(waitlistEntries.providerId, providerId),
          eq(waitlistEntries.status, "OFFERED"),
          sql`(${slotHolds.id} is null or not ${isLiveHoldSql()})`,
        ),
      );
    const settled: WaitlistEntryRow[] = [];
    for (const { entry, hold } of lapsed) {
      settled.push(await setStatus(tx, ctx, entry, "WAITING"));
      if (hold) await removeHold(tx, ctx, hold, "EXPIRED");
    }
    const past = await tx
      .select()
      .from(waitlistEntries)
      .where(
        and(
          eq(waitlistEntries.providerId, providerId),
          eq(waitlistEntries.status, "WAITING"),
          lt(waitlistEntries.latest, ctx.deps.now()),
        ),
      );
    for (const entry of past) settled.push(await setStatus(tx, ctx, entry, "EXPIRED"));
    return settled;
  });
}

async function setStatus(
  tx: Tx,
  ctx: RequestContext,
  entry: WaitlistEntryRow,
  status: "WAITING" | "EXPIRED",
): Promise<WaitlistEntryRow> {
  const [row] = await tx
    .update(waitlistEntries)
    .set({ status, updatedAt: ctx.deps.now() })
    .where(eq(waitlistEntries.id, entry.id))
    .returning();
  await recordWaitlistEvent(tx, ctx, row, "WAITLIST_CHANGED");
  return row;
}

/**
 * The same transaction seen as another user: the matcher computes slots and places each offer
 * as the waiting client (their own booking rule, the hold created by them).
 */
function actingAs(ctx: RequestContext, actor: UserRow): RequestContext {
  const acting: RequestContext = { ...ctx, viewer: actor, loaders: new Loaders() };
  acting.loaders.bind(acting);
  return acting;
}
