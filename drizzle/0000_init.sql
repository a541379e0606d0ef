CREATE TYPE "public"."role" AS ENUM('ADMIN', 'PROVIDER', 'CLIENT');--> statement-breakpoint
CREATE TYPE "public"."modality" AS ENUM('VIDEO', 'AUDIO', 'IN_PERSON', 'CHAT');--> statement-breakpoint
CREATE TYPE "public"."session_status" AS ENUM('SCHEDULED', 'CONFIRMED', 'COMPLETED', 'CANCELLED', 'NO_SHOW');--> statement-breakpoint
CREATE TYPE "public"."session_type" AS ENUM('PERSONAL', 'GROUP', 'ONLINE', 'ASSESSMENT', 'CONSULTATION', 'THERAPY');--> statement-breakpoint
CREATE SEQUENCE "public"."entity_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "care_relationships" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"client_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "care_relationships_pair_key" UNIQUE("tenant_id","provider_id","client_id")
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"time_zone" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"role" "role" NOT NULL,
	"username" text NOT NULL,
	"name" text NOT NULL,
	"first_name" text,
	"last_name" text,
	"email" text,
	"phone" text,
	"staff_id" text,
	"status" text DEFAULT 'active' NOT NULL,
	"time_zone" text NOT NULL,
	"external_subject" text,
	"min_notice_minutes" integer DEFAULT 0 NOT NULL,
	"buffer_minutes" integer DEFAULT 0 NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "users_tenant_username_key" UNIQUE("tenant_id","username")
);
--> statement-breakpoint
CREATE TABLE "treatment_plans" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"client_ref" text,
	"client_name" text,
	"client_id" integer,
	"plan_type" text,
	"title" text,
	"status" text DEFAULT 'active' NOT NULL,
	"start_date" date,
	"end_date" date,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "treatment_plans_tenant_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"client_id" integer NOT NULL,
	"treatment_plan_id" integer,
	"title" text,
	"description" text,
	"type" "session_type" DEFAULT 'THERAPY' NOT NULL,
	"modality" "modality" DEFAULT 'IN_PERSON' NOT NULL,
	"location" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"actual_start" timestamp with time zone,
	"actual_end" timestamp with time zone,
	"status" "session_status" DEFAULT 'SCHEDULED' NOT NULL,
	"notes" text,
	"provider_notes" text,
	"client_feedback" text,
	"exercises_performed" text,
	"google_event_id" text,
	"outlook_event_id" text,
	"video_room_name" text,
	"video_room_sid" text,
	"cancelled_at" timestamp with time zone,
	"cancelled_by" integer,
	"cancellation_reason" text,
	"created_by" integer,
	"updated_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sessions_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "sessions_video_room_name_key" UNIQUE("video_room_name"),
	CONSTRAINT "sessions_ends_after_starts" CHECK ("sessions"."ends_at" > "sessions"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "availability_overrides" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"date" date NOT NULL,
	"start_time" time,
	"end_time" time,
	"is_available" boolean NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "availability_overrides_times_paired" CHECK (("availability_overrides"."start_time" is null) = ("availability_overrides"."end_time" is null)),
	CONSTRAINT "availability_overrides_start_before_end" CHECK ("availability_overrides"."start_time" is null or "availability_overrides"."start_time" < "availability_overrides"."end_time"),
	CONSTRAINT "availability_overrides_hours_need_times" CHECK (not "availability_overrides"."is_available" or "availability_overrides"."start_time" is not null)
);
--> statement-breakpoint
CREATE TABLE "availability_rules" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"provider_id" integer NOT NULL,
	"day_of_week" smallint NOT NULL,
	"start_time" time NOT NULL,
	"end_time" time NOT NULL,
	"is_available" boolean DEFAULT true NOT NULL,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "availability_rules_day_of_week" CHECK ("availability_rules"."day_of_week" between 0 and 6),
	CONSTRAINT "availability_rules_start_before_end" CHECK ("availability_rules"."start_time" < "availability_rules"."end_time")
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"name" text NOT NULL,
	"sku" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "items_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "items_tenant_sku_key" UNIQUE("tenant_id","sku")
);
--> statement-breakpoint
CREATE TABLE "treatment_details" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"session_id" integer,
	"item_id" integer,
	"unit_id" integer,
	"quantity" integer NOT NULL,
	"created_by" integer,
	"updated_by" integer,
	"deleted_by" integer,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "treatment_details_quantity_positive" CHECK ("treatment_details"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "units" (
	"id" integer PRIMARY KEY DEFAULT nextval('entity_id_seq') NOT NULL,
	"tenant_id" integer NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "units_tenant_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "domain_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "domain_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" integer NOT NULL,
	"type" text NOT NULL,
	"session_id" integer,
	"provider_id" integer,
	"client_id" integer,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "care_relationships" ADD CONSTRAINT "care_relationships_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "care_relationships" ADD CONSTRAINT "care_relationships_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "care_relationships" ADD CONSTRAINT "care_relationships_client_fk" FOREIGN KEY ("tenant_id","client_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "treatment_plans" ADD CONSTRAINT "treatment_plans_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "treatment_plans" ADD CONSTRAINT "treatment_plans_client_fk" FOREIGN KEY ("tenant_id","client_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_client_fk" FOREIGN KEY ("tenant_id","client_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_plan_fk" FOREIGN KEY ("tenant_id","treatment_plan_id") REFERENCES "public"."treatment_plans"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "availability_overrides" ADD CONSTRAINT "availability_overrides_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "availability_overrides" ADD CONSTRAINT "availability_overrides_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "availability_rules" ADD CONSTRAINT "availability_rules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "availability_rules" ADD CONSTRAINT "availability_rules_provider_fk" FOREIGN KEY ("tenant_id","provider_id") REFERENCES "public"."users"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "treatment_details" ADD CONSTRAINT "treatment_details_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "treatment_details" ADD CONSTRAINT "treatment_details_session_fk" FOREIGN KEY ("tenant_id","session_id") REFERENCES "public"."sessions"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "treatment_details" ADD CONSTRAINT "treatment_details_item_fk" FOREIGN KEY ("tenant_id","item_id") REFERENCES "public"."items"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "treatment_details" ADD CONSTRAINT "treatment_details_unit_fk" FOREIGN KEY ("tenant_id","unit_id") REFERENCES "public"."units"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_events" ADD CONSTRAINT "domain_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "care_relationships_tenant_idx" ON "care_relationships" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "care_relationships_client_idx" ON "care_relationships" USING btree ("tenant_id","client_id");--> statement-breakpoint
CREATE INDEX "users_tenant_idx" ON "users" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_external_subject_key" ON "users" USING btree ("tenant_id","external_subject");--> statement-breakpoint
CREATE INDEX "users_tenant_role_idx" ON "users" USING btree ("tenant_id","role");--> statement-breakpoint
CREATE INDEX "treatment_plans_tenant_idx" ON "treatment_plans" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "treatment_plans_client_idx" ON "treatment_plans" USING btree ("tenant_id","client_id");--> statement-breakpoint
CREATE INDEX "sessions_tenant_idx" ON "sessions" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "sessions_provider_starts_idx" ON "sessions" USING btree ("tenant_id","provider_id","starts_at");--> statement-breakpoint
CREATE INDEX "sessions_client_starts_idx" ON "sessions" USING btree ("tenant_id","client_id","starts_at");--> statement-breakpoint
CREATE INDEX "sessions_plan_idx" ON "sessions" USING btree ("tenant_id","treatment_plan_id");--> statement-breakpoint
CREATE INDEX "availability_overrides_tenant_idx" ON "availability_overrides" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "availability_overrides_provider_idx" ON "availability_overrides" USING btree ("tenant_id","provider_id","date");--> statement-breakpoint
CREATE INDEX "availability_rules_tenant_idx" ON "availability_rules" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "availability_rules_provider_idx" ON "availability_rules" USING btree ("tenant_id","provider_id","day_of_week");--> statement-breakpoint
CREATE INDEX "items_tenant_idx" ON "items" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "treatment_details_tenant_idx" ON "treatment_details" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "treatment_details_session_idx" ON "treatment_details" USING btree ("tenant_id","session_id");--> statement-breakpoint
CREATE INDEX "treatment_details_item_idx" ON "treatment_details" USING btree ("tenant_id","item_id");--> statement-breakpoint
CREATE INDEX "units_tenant_idx" ON "units" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "domain_events_tenant_idx" ON "domain_events" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "domain_events_provider_idx" ON "domain_events" USING btree ("tenant_id","provider_id","id");