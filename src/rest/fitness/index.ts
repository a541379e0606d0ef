import type { FastifyInstance } from "fastify";
import type { ShimOptions } from "../shim.js";

/** ../shared/legacy-api/fitness.md (being built). */
export async function fitnessApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  void app;
  void options;
}
