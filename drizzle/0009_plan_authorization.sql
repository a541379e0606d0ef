-- Treatment-plan authorizations (issue 17), decided by the database under concurrency.
--
-- A plan's authorized_sessions (null = unlimited) bounds its sessions that are not CANCELLED; no
-- session of the plan may start after authorized_until, a date read in the session's provider's
-- zone. Refusals are check violations (23514) named by their constraint, which the services map
-- to reasons (never the message): treatment_plan_session_limit -> PLAN_SESSION_LIMIT,
-- treatment_plan_authorized_until -> PLAN_EXPIRED.
--
-- Every write that adds a session to a plan locks the plan row first, FOR NO KEY UPDATE: writers
-- of one plan queue on it, and so does an UPDATE of the plan itself. Not FOR UPDATE: that would
-- conflict with the KEY SHARE lock the sessions_plan_fk check of the same insert takes, and two
-- inserts holding KEY SHARE would deadlock upgrading it. After the lock, each following statement
-- of the PL/pgSQL function takes a new snapshot (READ COMMITTED), so the count sees the row of a
-- writer that committed while this one waited.

CREATE FUNCTION sessions_within_plan_authorization() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  authorized integer;
  until date;
  booked integer;
  zone text;
BEGIN
  SELECT authorized_sessions, authorized_until INTO authorized, until FROM treatment_plans
    WHERE tenant_id = NEW.tenant_id AND id = NEW.treatment_plan_id FOR NO KEY UPDATE;
  -- Only a session that starts to count can exceed the limit (a reschedule of a counted one cannot).
  IF authorized IS NOT NULL
     AND (TG_OP = 'INSERT' OR OLD.status = 'CANCELLED' OR OLD.treatment_plan_id IS DISTINCT FROM NEW.treatment_plan_id) THEN
    SELECT count(*) INTO booked FROM sessions
      WHERE tenant_id = NEW.tenant_id AND treatment_plan_id = NEW.treatment_plan_id AND status <> 'CANCELLED';
    IF booked > authorized THEN
      RAISE EXCEPTION 'treatment plan % authorizes % sessions', NEW.treatment_plan_id, authorized
        USING ERRCODE = 'check_violation', CONSTRAINT = 'treatment_plan_session_limit';
    END IF;
  END IF;
  IF until IS NOT NULL THEN
    SELECT time_zone INTO zone FROM users WHERE tenant_id = NEW.tenant_id AND id = NEW.provider_id;
    IF (NEW.starts_at AT TIME ZONE zone)::date > until THEN
      RAISE EXCEPTION 'treatment plan % is authorized until %', NEW.treatment_plan_id, until
        USING ERRCODE = 'check_violation', CONSTRAINT = 'treatment_plan_authorized_until';
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Fires only when a session starts to count for a plan (booked, linked, un-cancelled) or a
-- counted one moves (another start, another provider and so another zone).
CREATE TRIGGER sessions_within_plan_authorization AFTER INSERT ON "sessions"
  FOR EACH ROW WHEN (NEW.treatment_plan_id IS NOT NULL AND NEW.status <> 'CANCELLED')
  EXECUTE FUNCTION sessions_within_plan_authorization();
--> statement-breakpoint
CREATE TRIGGER sessions_within_plan_authorization_on_change
  AFTER UPDATE OF status, treatment_plan_id, starts_at, provider_id ON "sessions"
  FOR EACH ROW WHEN (
    NEW.treatment_plan_id IS NOT NULL AND NEW.status <> 'CANCELLED' AND (
      OLD.status = 'CANCELLED' OR OLD.treatment_plan_id IS DISTINCT FROM NEW.treatment_plan_id
      OR OLD.starts_at <> NEW.starts_at OR OLD.provider_id <> NEW.provider_id))
  EXECUTE FUNCTION sessions_within_plan_authorization();
--> statement-breakpoint
-- A plan's authorization cannot be narrowed below what is already booked (refused, not left
-- overdrawn): the same two constraints, raised from the plan's side. The UPDATE holds the plan
-- row, so sessions written meanwhile queue behind it, and the counts below (new statements)
-- see the ones that committed before it.
CREATE FUNCTION treatment_plan_authorization_covers_booked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.authorized_sessions IS NOT NULL AND (
       SELECT count(*) FROM sessions
       WHERE tenant_id = NEW.tenant_id AND treatment_plan_id = NEW.id AND status <> 'CANCELLED'
     ) > NEW.authorized_sessions THEN
    RAISE EXCEPTION 'treatment plan % has more sessions booked than % authorized', NEW.id, NEW.authorized_sessions
      USING ERRCODE = 'check_violation', CONSTRAINT = 'treatment_plan_session_limit';
  END IF;
  IF NEW.authorized_until IS NOT NULL AND EXISTS (
       SELECT 1 FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.provider_id
       WHERE s.tenant_id = NEW.tenant_id AND s.treatment_plan_id = NEW.id AND s.status <> 'CANCELLED'
         AND (s.starts_at AT TIME ZONE u.time_zone)::date > NEW.authorized_until
     ) THEN
    RAISE EXCEPTION 'treatment plan % has sessions after %', NEW.id, NEW.authorized_until
      USING ERRCODE = 'check_violation', CONSTRAINT = 'treatment_plan_authorized_until';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER treatment_plan_authorization_covers_booked
  AFTER UPDATE OF authorized_sessions, authorized_until ON "treatment_plans"
  FOR EACH ROW WHEN (
    (NEW.authorized_sessions IS NOT NULL AND NEW.authorized_sessions IS DISTINCT FROM OLD.authorized_sessions)
    OR (NEW.authorized_until IS NOT NULL AND NEW.authorized_until IS DISTINCT FROM OLD.authorized_until))
  EXECUTE FUNCTION treatment_plan_authorization_covers_booked();
