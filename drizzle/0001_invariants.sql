-- Invariants drizzle-kit cannot express: exclusion constraints and row-level security.

CREATE EXTENSION IF NOT EXISTS btree_gist;
--> statement-breakpoint
-- No provider and no client can hold two overlapping active sessions. '[)' lets sessions touch end to start.
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_provider_no_overlap"
  EXCLUDE USING gist ("provider_id" WITH =, tstzrange("starts_at", "ends_at", '[)') WITH &&)
  WHERE ("status" IN ('SCHEDULED', 'CONFIRMED'));
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_client_no_overlap"
  EXCLUDE USING gist ("client_id" WITH =, tstzrange("starts_at", "ends_at", '[)') WITH &&)
  WHERE ("status" IN ('SCHEDULED', 'CONFIRMED'));
--> statement-breakpoint
-- The role every request runs as (SET LOCAL ROLE inside its transaction): no BYPASSRLS, owns nothing.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sessiongraph_app') THEN
    CREATE ROLE sessiongraph_app NOLOGIN NOBYPASSRLS;
  END IF;
  BEGIN
    EXECUTE format('GRANT sessiongraph_app TO %I', current_user);
  EXCEPTION WHEN others THEN NULL; -- already a member, or a superuser that needs no grant
  END;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO sessiongraph_app;
--> statement-breakpoint
GRANT SELECT ON "tenants" TO sessiongraph_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "users", "care_relationships", "treatment_plans", "sessions",
  "availability_rules", "availability_overrides", "items", "units", "treatment_details" TO sessiongraph_app;
--> statement-breakpoint
-- The outbox is append-only for the application.
GRANT SELECT, INSERT ON "domain_events" TO sessiongraph_app;
--> statement-breakpoint
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO sessiongraph_app;
--> statement-breakpoint
-- Tenant isolation: a row is visible and writable only while the transaction's app.tenant_id names its tenant.
-- nullif: a pooled connection reverts a transaction-local setting to '' rather than unsetting it.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'care_relationships', 'treatment_plans', 'sessions', 'availability_rules',
                           'availability_overrides', 'items', 'units', 'treatment_details', 'domain_events']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::int)
      WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::int)$p$, t);
  END LOOP;
END $$;
