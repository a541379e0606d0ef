CREATE TYPE "public"."waitlist_status" AS ENUM('WAITING', 'OFFERED', 'BOOKED', 'EXPIRED', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "group_sessions" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"title" text,
	"description" text,
	"type" "session_type" DEFAULT 'GROUP' NOT NULL,
	"modality" "modality" DEFAULT 'IN_PERSON' NOT NULL,
	"location" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"capacity" integer NOT NULL,
	"cancelled_at" timestamp with time zone,
	"cancelled_by" integer,
	"cancellation_reason" text,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_sessions_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "group_sessions_capacity_range" CHECK ("group_sessions"."capacity" between 2 and 200),
	CONSTRAINT "group_sessions_ends_after_starts" CHECK ("group_sessions"."ends_at" > "group_sessions"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "tenant_settings" (
	"tenant_id" integer PRIMARY KEY NOT NULL,
	"waitlist_offer_minutes" integer DEFAULT 15 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_settings_offer_minutes_range" CHECK ("tenant_settings"."waitlist_offer_minutes" between 5 and 1440)
);
--> statement-breakpoint
CREATE TABLE "waitlist_entries" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"client_id" integer NOT NULL,
	"earliest" timestamp with time zone NOT NULL,
	"latest" timestamp with time zone NOT NULL,
	"duration_minutes" integer NOT NULL,
	"status" "waitlist_status" DEFAULT 'WAITING' NOT NULL,
	"note" text,
	"passed_starts" timestamp with time zone[] DEFAULT '{}' NOT NULL,
	"session_id" integer,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "waitlist_entries_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "waitlist_entries_window" CHECK ("waitlist_entries"."latest" >= "waitlist_entries"."earliest"),
	CONSTRAINT "waitlist_entries_duration_positive" CHECK ("waitlist_entries"."duration_minutes" > 0)
);
--> statement-breakpoint
CREATE TABLE "waitlist_refills" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "waitlist_refills_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slot_holds" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"client_id" integer,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"waitlist_entry_id" integer,
	"group_session_id" integer,
	"created_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slot_holds_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "slot_holds_ends_after_starts" CHECK ("slot_holds"."ends_at" > "slot_holds"."starts_at")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "group_session_id" integer;--> statement-breakpoint
ALTER TABLE "group_sessions" ADD CONSTRAINT "group_sessions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_sessions" ADD CONSTRAINT "group_sessions_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_settings" ADD CONSTRAINT "tenant_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_client_fk" FOREIGN KEY ("tenant_id","client_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_entries" ADD CONSTRAINT "waitlist_entries_session_fk" FOREIGN KEY ("tenant_id","session_id") REFERENCES "public"."sessions"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waitlist_refills" ADD CONSTRAINT "waitlist_refills_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_client_fk" FOREIGN KEY ("tenant_id","client_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_waitlist_entry_fk" FOREIGN KEY ("tenant_id","waitlist_entry_id") REFERENCES "public"."waitlist_entries"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_group_fk" FOREIGN KEY ("tenant_id","group_session_id") REFERENCES "public"."group_sessions"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "group_sessions_provider_starts_idx" ON "group_sessions" USING btree ("tenant_id","provider_id","starts_at");--> statement-breakpoint
CREATE INDEX "waitlist_entries_provider_idx" ON "waitlist_entries" USING btree ("tenant_id","provider_id","status","created_at");--> statement-breakpoint
CREATE INDEX "waitlist_entries_client_idx" ON "waitlist_entries" USING btree ("tenant_id","client_id");--> statement-breakpoint
CREATE INDEX "waitlist_refills_tenant_provider_idx" ON "waitlist_refills" USING btree ("tenant_id","provider_id");--> statement-breakpoint
CREATE INDEX "slot_holds_provider_starts_idx" ON "slot_holds" USING btree ("tenant_id","provider_id","starts_at");--> statement-breakpoint
CREATE INDEX "slot_holds_expires_idx" ON "slot_holds" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "slot_holds_group_idx" ON "slot_holds" USING btree ("tenant_id","group_session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "slot_holds_waitlist_entry_key" ON "slot_holds" USING btree ("tenant_id","waitlist_entry_id");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_group_fk" FOREIGN KEY ("tenant_id","group_session_id") REFERENCES "public"."group_sessions"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_group_idx" ON "sessions" USING btree ("tenant_id","group_session_id");--> statement-breakpoint
-- Tenant-owned like every other row: the app role reads and writes them only under its tenant.
GRANT SELECT, INSERT, UPDATE, DELETE ON "group_sessions", "slot_holds", "waitlist_entries", "waitlist_refills",
  "tenant_settings" TO sessiongraph_app;--> statement-breakpoint
GRANT USAGE ON SEQUENCE "waitlist_refills_id_seq" TO sessiongraph_app;--> statement-breakpoint
-- Holds, waitlist entries and refill requests are also read across tenants by background work
-- (expiry, refills) on the owner connection: RLS is not FORCEd on them, so the owner sees every
-- tenant's rows, while the app role (never the owner) is held to its tenant by the policy as everywhere.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['group_sessions', 'slot_holds', 'waitlist_entries', 'waitlist_refills', 'tenant_settings']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    IF t IN ('group_sessions', 'tenant_settings') THEN
      EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    END IF;
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::int)
      WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::int)$p$, t);
  END LOOP;
END $$;
