CREATE TABLE "session_series" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"client_id" integer NOT NULL,
	"treatment_plan_id" integer,
	"recurrence" text NOT NULL,
	"time_zone" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"duration_minutes" integer NOT NULL,
	"exceptions" timestamp with time zone[] DEFAULT '{}' NOT NULL,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_series_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "session_series_duration_positive" CHECK ("session_series"."duration_minutes" > 0)
);
--> statement-breakpoint
ALTER TABLE "treatment_plans" ADD COLUMN "authorized_sessions" integer;--> statement-breakpoint
ALTER TABLE "treatment_plans" ADD COLUMN "authorized_until" date;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "series_id" integer;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "occurrence_index" integer;--> statement-breakpoint
ALTER TABLE "session_series" ADD CONSTRAINT "session_series_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_series" ADD CONSTRAINT "session_series_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_series" ADD CONSTRAINT "session_series_client_fk" FOREIGN KEY ("tenant_id","client_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_series" ADD CONSTRAINT "session_series_plan_fk" FOREIGN KEY ("tenant_id","treatment_plan_id") REFERENCES "public"."treatment_plans"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "session_series_provider_idx" ON "session_series" USING btree ("tenant_id","provider_id");--> statement-breakpoint
CREATE INDEX "session_series_client_idx" ON "session_series" USING btree ("tenant_id","client_id");--> statement-breakpoint
CREATE INDEX "session_series_plan_idx" ON "session_series" USING btree ("tenant_id","treatment_plan_id");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_series_fk" FOREIGN KEY ("tenant_id","series_id") REFERENCES "public"."session_series"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_series_idx" ON "sessions" USING btree ("tenant_id","series_id","starts_at");--> statement-breakpoint
ALTER TABLE "treatment_plans" ADD CONSTRAINT "treatment_plans_authorized_sessions_nonnegative" CHECK ("treatment_plans"."authorized_sessions" >= 0);--> statement-breakpoint
-- A series is tenant-owned like every other row: the app role reads and writes it only under its tenant.
GRANT SELECT, INSERT, UPDATE, DELETE ON "session_series" TO sessiongraph_app;--> statement-breakpoint
ALTER TABLE "session_series" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "session_series" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "session_series"
  USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::int)
  WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::int);
