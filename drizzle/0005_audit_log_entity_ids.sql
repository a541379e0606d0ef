ALTER TABLE "audit_log" ADD COLUMN "entity_ids" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_log_entity_ids_idx" ON "audit_log" USING gin ("entity_ids");