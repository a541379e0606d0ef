import type { FastifyInstance } from "fastify";
import { useDrf } from "../drf.js";
import type { ShimOptions } from "../shim.js";
import { sessionRoutes } from "./sessions.js";
import { treatmentPlanRoutes } from "./treatment-plans.js";

/**
 * ../shared/legacy-api/sapphire-scheduler-sessions.md: the scheduler's sessions, clients and
 * treatment plans, Django REST Framework style (trailing slashes, DRF error bodies). Dates and
 * times are naive, in the staff member's time zone.
 */
export async function sapphireApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  await app.register(
    async (api) => {
      useDrf(api, {
        nonField: "non_field_errors",
        primaryKeys: ["client", "staff", "treatment_plan"],
        // The services' field names -> the scheduler's.
        fields: {
          providerId: "staff",
          clientId: "client",
          treatmentPlanId: "treatment_plan_id",
          startsAt: "start_time",
          endsAt: "end_time",
          durationMinutes: "end_time",
          notes: "session_notes",
          status: null,
        },
      });
      sessionRoutes(api, options);
      treatmentPlanRoutes(api, options);
    },
    { prefix: "/sapphire" },
  );
}
