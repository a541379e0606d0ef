-- Events carry no clinical text: subscribers read the session's current state when they deliver.
-- The snapshot column (the whole session row, notes included) goes; the payload keys that held free
-- text (titles, descriptions, session notes, reasons) are scrubbed from the rows already written.
-- FORCE ROW LEVEL SECURITY applies to the table's owner too (no tenant is set here): lifted for the
-- scrub only, inside this migration's transaction.
ALTER TABLE "domain_events" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
UPDATE "domain_events" SET "payload" = "payload" - 'title' - 'description' - 'sessionNotes' - 'rescheduleReason' - 'cancellationReason'
  WHERE "payload" ?| ARRAY['title', 'description', 'sessionNotes', 'rescheduleReason', 'cancellationReason'];--> statement-breakpoint
ALTER TABLE "domain_events" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE INDEX "domain_events_occurred_idx" ON "domain_events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
ALTER TABLE "domain_events" DROP COLUMN "snapshot";
