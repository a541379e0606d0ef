import type { FastifyInstance } from "fastify";
import type { ShimOptions } from "../shim.js";

/** ../shared/legacy-api/booking.md (being built). */
export async function bookingApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  void app;
  void options;
}
