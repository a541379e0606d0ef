ALTER TABLE "treatment_details" DROP CONSTRAINT "treatment_details_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "treatment_details" DROP CONSTRAINT "treatment_details_session_fk";
--> statement-breakpoint
ALTER TABLE "treatment_details" ADD CONSTRAINT "treatment_details_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "treatment_details" ADD CONSTRAINT "treatment_details_session_fk" FOREIGN KEY ("tenant_id","session_id") REFERENCES "public"."sessions"("tenant_id","id") ON DELETE restrict ON UPDATE no action;