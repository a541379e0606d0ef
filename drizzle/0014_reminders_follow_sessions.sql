ALTER TABLE "reminders" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
-- The reminders a session should have: one per offset and channel of its tenant's settings, due at
-- its start minus the offset, while it is SCHEDULED or CONFIRMED, on the channels its client has
-- an address for (no email: no EMAIL reminder; no phone: no SMS). One rule, used by the triggers
-- below and by a change of the tenant's settings.
CREATE FUNCTION session_reminders_wanted(p_tenant_id integer, p_session_id integer)
RETURNS TABLE (channel reminder_channel, offset_minutes integer, due_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT c.channel, o.offset_minutes, s.starts_at - make_interval(mins => o.offset_minutes)
    FROM sessions s
    JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.client_id
    JOIN tenant_settings ts ON ts.tenant_id = s.tenant_id
   CROSS JOIN LATERAL unnest(ts.reminder_offsets_minutes) AS o(offset_minutes)
   CROSS JOIN LATERAL unnest(ts.reminder_channels) AS c(channel)
   WHERE s.tenant_id = p_tenant_id AND s.id = p_session_id
     AND s.status IN ('SCHEDULED', 'CONFIRMED')
     AND u.status <> 'deleted'
     AND CASE c.channel WHEN 'EMAIL' THEN nullif(btrim(u.email), '') ELSE nullif(btrim(u.phone), '') END IS NOT NULL
$$;
--> statement-breakpoint
-- Brings a session's reminder rows to what is wanted, in the caller's transaction:
-- - no longer wanted (cancelled, completed, no-show, offset or channel dropped, address gone):
--   the PENDING and FAILED ones are CANCELLED; SENT ones stay as they were;
-- - wanted at a new time (a reschedule) that is still ahead: PENDING at the new time, whatever
--   they were (a reminder SENT for the old time is due again: the client must learn the new one);
--   a new time already passed: CANCELLED unless SENT (a due time passed is never sent);
-- - wanted and missing: created PENDING when their due time is still ahead;
-- - CANCELLED and wanted again at a time ahead (an offset re-added): PENDING.
-- Returns the reminders it made PENDING at a new due time: the caller schedules their sending.
CREATE FUNCTION sync_session_reminders(p_tenant_id integer, p_session_id integer)
RETURNS TABLE (reminder_id integer, reminder_due_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reminders r SET status = 'CANCELLED', claimed_until = NULL, updated_at = now()
   WHERE r.tenant_id = p_tenant_id AND r.session_id = p_session_id AND r.status IN ('PENDING', 'FAILED')
     AND NOT EXISTS (
       SELECT 1 FROM session_reminders_wanted(p_tenant_id, p_session_id) w
        WHERE w.channel = r.channel AND w.offset_minutes = r.offset_minutes AND (w.due_at = r.due_at OR w.due_at > now()));
  RETURN QUERY
  INSERT INTO reminders AS r (tenant_id, session_id, channel, offset_minutes, due_at)
  SELECT p_tenant_id, p_session_id, w.channel, w.offset_minutes, w.due_at
    FROM session_reminders_wanted(p_tenant_id, p_session_id) w
   WHERE w.due_at > now()
  ON CONFLICT (tenant_id, session_id, channel, offset_minutes) DO UPDATE
     SET due_at = excluded.due_at, status = 'PENDING', attempts = 0, last_error = NULL, sent_at = NULL,
         claimed_until = NULL, updated_at = now()
   WHERE r.due_at <> excluded.due_at OR r.status = 'CANCELLED'
  RETURNING r.id, r.due_at;
END $$;
--> statement-breakpoint
CREATE FUNCTION sessions_sync_reminders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM sync_session_reminders(NEW.tenant_id, NEW.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Every write path (GraphQL, the REST shims, series, seats, the waitlist) books, moves, reassigns
-- and ends sessions through these rows, so the reminders follow in the session's own transaction.
CREATE TRIGGER sessions_sync_reminders_insert AFTER INSERT ON sessions
  FOR EACH ROW WHEN (NEW.status IN ('SCHEDULED', 'CONFIRMED'))
  EXECUTE FUNCTION sessions_sync_reminders();
--> statement-breakpoint
CREATE TRIGGER sessions_sync_reminders_update AFTER UPDATE OF status, starts_at, client_id ON sessions
  FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status OR NEW.starts_at <> OLD.starts_at OR NEW.client_id <> OLD.client_id)
  EXECUTE FUNCTION sessions_sync_reminders();
--> statement-breakpoint
-- A change of the tenant's reminder settings, for its upcoming active sessions (ended and
-- cancelled sessions keep the reminders they had).
CREATE FUNCTION sync_tenant_reminders(p_tenant_id integer)
RETURNS TABLE (reminder_id integer, reminder_due_at timestamptz)
LANGUAGE sql AS $$
  SELECT x.reminder_id, x.reminder_due_at
    FROM sessions s CROSS JOIN LATERAL sync_session_reminders(s.tenant_id, s.id) x
   WHERE s.tenant_id = p_tenant_id AND s.status IN ('SCHEDULED', 'CONFIRMED') AND s.starts_at > now()
$$;
