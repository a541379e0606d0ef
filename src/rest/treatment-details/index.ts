import type { FastifyInstance } from "fastify";
import type { ShimOptions } from "../shim.js";

/** ../shared/legacy-api/treatment-details.md (being built). */
export async function treatmentDetailsApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  void app;
  void options;
}
