-- Holds, group sessions and the waitlist (issue 18): the rules that must survive concurrency,
-- decided here. Refusals are raised with a SQLSTATE and a constraint name, which the services map
-- to reasons (never the message):
--   exclusion_violation (23P01) slot_holds_provider_no_overlap      -> CONFLICT SLOT_HELD
--   exclusion_violation (23P01) group_sessions_provider_no_overlap  -> CONFLICT SESSION_OVERLAP (a group)
--   exclusion_violation (23P01) sessions_provider_no_overlap        -> CONFLICT SESSION_OVERLAP (as the constraint)
--   check_violation (23514)     group_sessions_seats                -> CONFLICT SESSION_FULL
--   check_violation (23514)     group_sessions_open                 -> the group is cancelled
--   check_violation (23514)     sessions_seat_matches_group         -> a seat has its group's provider and time
--   unique_violation (23505)    sessions_group_client_key           -> the client already sits in the group

-- A seat does not occupy its provider's time by itself: its group does (checked below), and a
-- group's seats all share it. Sessions outside groups keep the exclusion constraint as before.
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_provider_no_overlap";
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_provider_no_overlap"
  EXCLUDE USING gist ("provider_id" WITH =, tstzrange("starts_at", "ends_at", '[)') WITH &&)
  WHERE ("status" IN ('SCHEDULED', 'CONFIRMED') AND "group_session_id" IS NULL);
--> statement-breakpoint
-- A client sits in a group once (leaving cancels the seat; they may join again).
CREATE UNIQUE INDEX "sessions_group_client_key" ON "sessions" ("tenant_id", "group_session_id", "client_id")
  WHERE "group_session_id" IS NOT NULL AND "status" <> 'CANCELLED';
--> statement-breakpoint
-- Holds and groups cannot share the sessions' exclusion constraint (other tables, and a hold's
-- expiry is a moment, not a row state), so the provider's time is guarded by this function, run
-- by triggers on all three tables under the tenant's write lock: the same advisory lock the
-- outbox takes (src/modules/events/outbox.ts, EVENT_LOCK = 0x5e55 = 24149; services take it
-- first, so the order is always the same). Writers of a tenant's time queue on it, and each
-- statement below takes a new snapshot (READ COMMITTED), so it sees the rows of a writer that
-- committed while this one waited: two holds, or a hold and a booking, give exactly one winner.
-- A hold is live while expires_at is ahead of the database clock: an expired one blocks nothing
-- at once, whether or not it has been deleted yet.
CREATE FUNCTION provider_time_is_free() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(24149, NEW.tenant_id);
  IF EXISTS (
    SELECT 1 FROM slot_holds h
    WHERE h.tenant_id = NEW.tenant_id AND h.provider_id = NEW.provider_id AND h.group_session_id IS NULL
      AND h.starts_at < NEW.ends_at AND h.ends_at > NEW.starts_at AND h.expires_at > clock_timestamp()
      AND (TG_TABLE_NAME <> 'slot_holds' OR h.id <> NEW.id)
  ) THEN
    RAISE EXCEPTION 'the provider''s time from % to % is held', NEW.starts_at, NEW.ends_at
      USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'slot_holds_provider_no_overlap';
  END IF;
  IF EXISTS (
    SELECT 1 FROM group_sessions g
    WHERE g.tenant_id = NEW.tenant_id AND g.provider_id = NEW.provider_id AND g.cancelled_at IS NULL
      AND g.starts_at < NEW.ends_at AND g.ends_at > NEW.starts_at
      AND (TG_TABLE_NAME <> 'group_sessions' OR g.id <> NEW.id)
  ) THEN
    RAISE EXCEPTION 'the provider''s time from % to % is taken by a group session', NEW.starts_at, NEW.ends_at
      USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'group_sessions_provider_no_overlap';
  END IF;
  -- Sessions among themselves are the exclusion constraint's; holds and groups meet them here.
  IF TG_TABLE_NAME <> 'sessions' AND EXISTS (
    SELECT 1 FROM sessions s
    WHERE s.tenant_id = NEW.tenant_id AND s.provider_id = NEW.provider_id AND s.group_session_id IS NULL
      AND s.status IN ('SCHEDULED', 'CONFIRMED') AND s.starts_at < NEW.ends_at AND s.ends_at > NEW.starts_at
  ) THEN
    RAISE EXCEPTION 'the provider''s time from % to % is booked', NEW.starts_at, NEW.ends_at
      USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'sessions_provider_no_overlap';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sessions_provider_time_is_free AFTER INSERT OR UPDATE OF starts_at, ends_at, status, provider_id, group_session_id
  ON "sessions" FOR EACH ROW WHEN (NEW.group_session_id IS NULL AND NEW.status IN ('SCHEDULED', 'CONFIRMED'))
  EXECUTE FUNCTION provider_time_is_free();
--> statement-breakpoint
CREATE TRIGGER slot_holds_provider_time_is_free AFTER INSERT OR UPDATE OF starts_at, ends_at, expires_at, provider_id
  ON "slot_holds" FOR EACH ROW WHEN (NEW.group_session_id IS NULL)
  EXECUTE FUNCTION provider_time_is_free();
--> statement-breakpoint
CREATE TRIGGER group_sessions_provider_time_is_free AFTER INSERT OR UPDATE OF starts_at, ends_at, provider_id, cancelled_at
  ON "group_sessions" FOR EACH ROW WHEN (NEW.cancelled_at IS NULL)
  EXECUTE FUNCTION provider_time_is_free();
--> statement-breakpoint
-- A group's seats: taken seats (sessions of the group not CANCELLED) plus live seat holds never
-- exceed its capacity. Counted under the group's row lock, FOR NO KEY UPDATE (as a treatment
-- plan's authorization, drizzle/0009: compatible with the KEY SHARE lock of the seat's foreign
-- key check), so N+10 concurrent joins of N seats give exactly N.
CREATE FUNCTION seats_within_capacity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  grp group_sessions%ROWTYPE;
  taken integer;
BEGIN
  SELECT * INTO grp FROM group_sessions
    WHERE tenant_id = NEW.tenant_id AND id = NEW.group_session_id FOR NO KEY UPDATE;
  IF grp.cancelled_at IS NOT NULL THEN
    RAISE EXCEPTION 'group session % is cancelled', grp.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'group_sessions_open';
  END IF;
  IF NEW.provider_id <> grp.provider_id OR NEW.starts_at <> grp.starts_at OR NEW.ends_at <> grp.ends_at THEN
    RAISE EXCEPTION 'a seat of group session % has its provider and time', grp.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'sessions_seat_matches_group';
  END IF;
  SELECT (SELECT count(*) FROM sessions
            WHERE tenant_id = NEW.tenant_id AND group_session_id = grp.id AND status <> 'CANCELLED')
       + (SELECT count(*) FROM slot_holds
            WHERE tenant_id = NEW.tenant_id AND group_session_id = grp.id AND expires_at > clock_timestamp())
    INTO taken;
  IF taken > grp.capacity THEN
    RAISE EXCEPTION 'group session % has % seats', grp.id, grp.capacity
      USING ERRCODE = 'check_violation', CONSTRAINT = 'group_sessions_seats';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sessions_seats_within_capacity AFTER INSERT OR UPDATE OF status, group_session_id, starts_at, ends_at, provider_id
  ON "sessions" FOR EACH ROW WHEN (NEW.group_session_id IS NOT NULL AND NEW.status <> 'CANCELLED')
  EXECUTE FUNCTION seats_within_capacity();
--> statement-breakpoint
CREATE TRIGGER slot_holds_seats_within_capacity AFTER INSERT OR UPDATE OF expires_at, group_session_id
  ON "slot_holds" FOR EACH ROW WHEN (NEW.group_session_id IS NOT NULL)
  EXECUTE FUNCTION seats_within_capacity();
--> statement-breakpoint
-- A group whose capacity shrinks below its seats is refused the same way.
CREATE FUNCTION group_capacity_covers_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM sessions
        WHERE tenant_id = NEW.tenant_id AND group_session_id = NEW.id AND status <> 'CANCELLED') > NEW.capacity THEN
    RAISE EXCEPTION 'group session % has more seats taken than %', NEW.id, NEW.capacity
      USING ERRCODE = 'check_violation', CONSTRAINT = 'group_sessions_seats';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER group_capacity_covers_seats AFTER UPDATE OF capacity ON "group_sessions"
  FOR EACH ROW WHEN (NEW.capacity < OLD.capacity) EXECUTE FUNCTION group_capacity_covers_seats();
--> statement-breakpoint
-- Time that may have freed up asks the waitlist for a refill, in the transaction of the change:
-- a rolled-back change asks nothing, a committed one is not lost. Only while the provider has
-- WAITING entries, and once per provider until the waitlist claims the request (a series of 200
-- cancelled occurrences asks once). The pending request is taken FOR UPDATE SKIP LOCKED: one
-- that a refill is processing right now (its row locked) may not see this change, so another is
-- written beside it.
CREATE FUNCTION request_waitlist_refill() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tenant integer;
  provider integer;
BEGIN
  -- The time given up: the old row's provider (an insert only adds availability).
  IF TG_OP = 'INSERT' THEN tenant := NEW.tenant_id; provider := NEW.provider_id;
  ELSE tenant := OLD.tenant_id; provider := OLD.provider_id; END IF;
  IF EXISTS (SELECT 1 FROM waitlist_entries
             WHERE tenant_id = tenant AND provider_id = provider AND status = 'WAITING') THEN
    PERFORM 1 FROM waitlist_refills WHERE tenant_id = tenant AND provider_id = provider
      LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      INSERT INTO waitlist_refills (tenant_id, provider_id) VALUES (tenant, provider);
    END IF;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A session stops taking time (cancelled; completed or no-show early), moves, or is deleted; a
-- seat is given up (its group has room again).
CREATE TRIGGER sessions_request_waitlist_refill AFTER UPDATE OF status, starts_at, ends_at, provider_id ON "sessions"
  FOR EACH ROW WHEN (OLD.status IN ('SCHEDULED', 'CONFIRMED') AND (
    NEW.status NOT IN ('SCHEDULED', 'CONFIRMED') OR NEW.starts_at <> OLD.starts_at OR NEW.ends_at <> OLD.ends_at
    OR NEW.provider_id <> OLD.provider_id))
  EXECUTE FUNCTION request_waitlist_refill();
--> statement-breakpoint
CREATE TRIGGER sessions_deleted_request_waitlist_refill AFTER DELETE ON "sessions"
  FOR EACH ROW WHEN (OLD.status IN ('SCHEDULED', 'CONFIRMED'))
  EXECUTE FUNCTION request_waitlist_refill();
--> statement-breakpoint
-- A hold released, consumed, or deleted after its expiry.
CREATE TRIGGER slot_holds_request_waitlist_refill AFTER DELETE ON "slot_holds"
  FOR EACH ROW EXECUTE FUNCTION request_waitlist_refill();
--> statement-breakpoint
CREATE TRIGGER group_sessions_request_waitlist_refill AFTER UPDATE OF cancelled_at, starts_at, ends_at, provider_id
  ON "group_sessions" FOR EACH ROW EXECUTE FUNCTION request_waitlist_refill();
--> statement-breakpoint
CREATE TRIGGER availability_rules_request_waitlist_refill AFTER INSERT OR UPDATE OR DELETE ON "availability_rules"
  FOR EACH ROW EXECUTE FUNCTION request_waitlist_refill();
--> statement-breakpoint
CREATE TRIGGER availability_overrides_request_waitlist_refill AFTER INSERT OR UPDATE OR DELETE ON "availability_overrides"
  FOR EACH ROW EXECUTE FUNCTION request_waitlist_refill();
