import type { FastifyInstance } from "fastify";
import { useDrf } from "../drf.js";
import type { ShimOptions } from "../shim.js";
import { appointmentRoutes } from "./appointments.js";
import { videoRoutes } from "./video.js";

/**
 * ../shared/legacy-api/psychologist-video.md: telehealth video tokens and room status, and the
 * appointment lists with video and timer fields, Django REST Framework style (trailing slashes,
 * DRF error bodies and pagination).
 */
export async function psychologistVideoApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  await app.register(
    async (api) => {
      // The video service's errors name the appointment in the path: a view's {"detail": "..."}.
      useDrf(api, { nonField: "detail", fields: { sessionId: null } });
      videoRoutes(api, options);
      appointmentRoutes(api, options);
    },
    { prefix: "/api/appointments" },
  );
}
