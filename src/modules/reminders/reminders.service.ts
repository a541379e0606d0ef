import { eq, sql } from "drizzle-orm";
import { rowsOf } from "../../db/client.js";
import { reminderChannelEnum, tenantSettings, type ReminderChannel } from "../../db/schema/index.js";
import { field, throwFieldErrors, words, type Words } from "../../errors.js";
import { DAY, MINUTE } from "../../time.js";
import type { RequestContext } from "../context.js";
import { requireRole } from "../tenants/index.js";
import { scheduleReminderJobs } from "./reminder.jobs.js";

export interface ReminderSettings {
  offsetsMinutes: number[];
  channels: ReminderChannel[];
}

/** How long before a session a reminder may be due: 5 minutes to 14 days, at most 5 of them (the table's CHECK agrees). */
export const OFFSET_MINUTES_RANGE = { min: 5, max: (14 * DAY) / MINUTE } as const;
export const MAX_OFFSETS = 5;

/** The database's defaults for a tenant that never saved settings: offsets 1 day and 1 hour, no channel (off). */
const DEFAULTS: ReminderSettings = { offsetsMinutes: [1440, 60], channels: [] };

export async function reminderSettings(ctx: RequestContext): Promise<ReminderSettings> {
  requireRole(ctx, "ADMIN");
  const [row] = await ctx.db.run((tx) =>
    tx
      .select({ offsetsMinutes: tenantSettings.reminderOffsetsMinutes, channels: tenantSettings.reminderChannels })
      .from(tenantSettings)
      .where(eq(tenantSettings.tenantId, ctx.tenant.id)),
  );
  return row ?? DEFAULTS;
}

/**
 * Saves the tenant's offsets and channels (an empty channel list turns reminders off) and, in the
 * same transaction, re-derives the reminders of every upcoming active session (the database's
 * sync_tenant_reminders, drizzle/0014) and queues the sending of those it made due at a new time.
 */
export async function updateReminderSettings(
  ctx: RequestContext,
  offsetsMinutes: readonly number[],
  channels: readonly ReminderChannel[],
): Promise<ReminderSettings> {
  requireRole(ctx, "ADMIN");
  throwFieldErrors({ ...offsetErrors(offsetsMinutes), ...channelErrors(channels) });
  const now = ctx.deps.now();
  const values = { offsetsMinutes: [...offsetsMinutes], channels: [...channels] };
  return ctx.db.atomic(async (tx) => {
    const [row] = await tx
      .insert(tenantSettings)
      .values({
        tenantId: ctx.tenant.id,
        reminderOffsetsMinutes: values.offsetsMinutes,
        reminderChannels: values.channels,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: tenantSettings.tenantId,
        set: { reminderOffsetsMinutes: values.offsetsMinutes, reminderChannels: values.channels, updatedAt: now },
      })
      .returning({ offsetsMinutes: tenantSettings.reminderOffsetsMinutes, channels: tenantSettings.reminderChannels });
    const due = rowsOf<{ reminder_id: number; reminder_due_at: string | Date }>(
      await tx.execute(sql`select reminder_id, reminder_due_at from sync_tenant_reminders(${ctx.tenant.id})`),
    );
    await scheduleReminderJobs(
      tx,
      ctx.deps.jobs,
      due.map((r) => ({ id: r.reminder_id, dueAt: new Date(r.reminder_due_at) })),
    );
    return row;
  });
}

function offsetErrors(offsets: readonly number[]): Record<string, Words> {
  const { min, max } = OFFSET_MINUTES_RANGE;
  if (offsets.length > MAX_OFFSETS)
    return { offsetsMinutes: words`At most ${MAX_OFFSETS} ${field("offsetsMinutes")}, got ${offsets.length}` };
  if (offsets.some((m) => !Number.isInteger(m) || m < min || m > max))
    return {
      offsetsMinutes: words`Each of ${field("offsetsMinutes")} must be a whole number of minutes from ${min} (5 minutes) to ${max} (14 days)`,
    };
  if (new Set(offsets).size !== offsets.length)
    return { offsetsMinutes: words`${field("offsetsMinutes")} must not repeat an offset` };
  return {};
}

function channelErrors(channels: readonly ReminderChannel[]): Record<string, Words> {
  if (channels.some((c) => !reminderChannelEnum.enumValues.includes(c)))
    return { channels: words`${field("channels")} may only hold ${reminderChannelEnum.enumValues.join(", ")}` };
  if (new Set(channels).size !== channels.length)
    return { channels: words`${field("channels")} must not repeat a channel` };
  return {};
}
