import type { FastifyInstance } from "fastify";
import { useErrorFormat, type ShimOptions } from "../shim.js";
import { availabilityRoutes } from "./availability.js";
import { routeNaming } from "./common.js";
import { nestErrorFormat } from "./errors.js";
import { meetingRoutes } from "./meetings.js";

/**
 * ../shared/legacy-api/booking.md (NestJS): meetings, weekly availability and bookable slots.
 * The document's base URL is /booking; its frontend calls /api/booking: both serve the same routes.
 */
const PREFIXES = [
  { prefix: "/booking", naming: routeNaming("booking", "") },
  { prefix: "/api/booking", naming: routeNaming("apiBooking", " (/api/booking)") },
];

export async function bookingApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  for (const { prefix, naming } of PREFIXES) {
    await app.register(
      async (api) => {
        useErrorFormat(api, nestErrorFormat);
        meetingRoutes(api, options, naming);
        availabilityRoutes(api, options, naming);
      },
      { prefix },
    );
  }
}
